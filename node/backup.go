package node

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/web"
)

// Backup writes the node's backup to w while it serves: its key files, its
// store as of one moment, and the TwinSpaces' files of its blob store
// (store.WriteArchive; restored by store.RestoreArchive, the files into
// <data dir>/blobs). Files kept in object storage (blob.S3) are not in it:
// the manifest says where they are (BlobsElsewhere), and the storage keeps
// them with its own versioning and replication.
func (n *Node) Backup(w io.Writer) error {
	m := store.BackupManifest{Created: n.svc.kit.Now().UTC(), Country: n.svc.cfg.Country, BaseURL: n.url}
	blobs := ""
	if n.svc.twinspaces != nil {
		switch b := n.svc.twinspaces.Materials.Blobs().Store.(type) {
		case *blob.Disk:
			blobs = b.Dir()
		case *blob.S3:
			m.BlobsElsewhere = b.Bucket().String()
		default:
			m.BlobsElsewhere = fmt.Sprintf("a %T store", b)
		}
	}
	return n.store.WriteArchive(w, n.dir, blobs, m)
}

// backupRoute serves GET /api/v1/agency/backup: the backup as a download,
// for an agency administrator (twinfed.MayBackUp), while the node serves.
func (s *Server) backupRoute(k *web.Kit) {
	if s.cfg.Backup == nil {
		return
	}
	k.HandleFunc("GET /api/v1/agency/backup", k.API(true, func(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
		if err := twinfed.MayBackUp(st.Principal); err != nil {
			web.APIFail(w, err)
			return
		}
		name := fmt.Sprintf("twinfed-%s-%s.zip", strings.ToLower(s.svc.cfg.Country), s.svc.kit.Now().UTC().Format("20060102-150405"))
		w.Header().Set("Content-Type", "application/zip")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Cache-Control", "no-store")
		if err := s.cfg.Backup(w); err != nil {
			// The status is sent: cut the body so the client sees an
			// incomplete zip rather than a whole-looking one.
			s.log.Error("backup", "err", err)
			panic(http.ErrAbortHandler)
		}
	}))
}

// Migrations are the features' migrations of their records, for
// store.Options.Migrations wherever the node's store is opened (Open, and
// cmd/twinfed when it opens the store for the federation too).
func Migrations() []store.Migration {
	return []store.Migration{twinspace.Migration(), social.Migration()}
}
