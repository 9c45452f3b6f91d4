package node

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// A node's backup is one zip file, written while the node serves:
//   - manifest.json: BackupManifest;
//   - db.badger: the store's backup stream (store.Backup: every record as
//     of one moment, so a write acknowledged before the backup began is in
//     it);
//   - keys/<name>.key: the node's key files (its identity in the
//     federation: a node restored without them is a stranger to the others).
//
// The search indexes, the registry cache and the page cache are not in it:
// the node rebuilds them at start.

// BackupManifest describes a backup.
type BackupManifest struct {
	Format  int       `json:"format"` // the store's format version (store.FormatVersion of the binary that wrote it)
	Created time.Time `json:"created"`
	Country string    `json:"country"`
	BaseURL string    `json:"base_url"`
	ReadTS  uint64    `json:"read_ts"` // the store version the copy was read at
}

// Backup writes the node's backup to w (a zip, see above) while it serves.
func (n *Node) Backup(w io.Writer) error {
	z := zip.NewWriter(w)
	keys, err := filepath.Glob(filepath.Join(n.dir, "*.key"))
	if err != nil {
		return err
	}
	for _, k := range keys {
		raw, err := os.ReadFile(k)
		if err != nil {
			return fmt.Errorf("node: backup %s: %w", filepath.Base(k), err)
		}
		f, err := z.CreateHeader(&zip.FileHeader{Name: "keys/" + filepath.Base(k), Method: zip.Deflate})
		if err != nil {
			return err
		}
		if _, err := f.Write(raw); err != nil {
			return err
		}
	}
	f, err := z.CreateHeader(&zip.FileHeader{Name: "db.badger", Method: zip.Deflate})
	if err != nil {
		return err
	}
	started := n.svc.now().UTC()
	ts, err := n.store.Backup(f)
	if err != nil {
		return fmt.Errorf("node: backup the store: %w", err)
	}
	m, err := z.Create("manifest.json")
	if err != nil {
		return err
	}
	if err := json.NewEncoder(m).Encode(BackupManifest{Format: store.FormatVersion, Created: started, Country: n.svc.cfg.Country, BaseURL: n.url, ReadTS: ts}); err != nil {
		return err
	}
	return z.Close()
}

// RestoreBackup restores the backup file archive into dataDir, which must
// not exist or be empty: the store (its format checked, older ones
// migrated) and the key files. Start the node on dataDir afterwards.
func RestoreBackup(archive, dataDir string, opts store.Options) (*BackupManifest, error) {
	z, err := zip.OpenReader(archive)
	if err != nil {
		return nil, fmt.Errorf("node: %s is not a Twinfed backup (a zip file): %w", archive, err)
	}
	defer z.Close()
	files := map[string]*zip.File{}
	for _, f := range z.File {
		files[f.Name] = f
	}
	mf, db := files["manifest.json"], files["db.badger"]
	if mf == nil || db == nil {
		return nil, fmt.Errorf("node: %s is not a complete Twinfed backup (manifest.json or db.badger missing: was the backup interrupted?)", archive)
	}
	var m BackupManifest
	if err := readJSON(mf, &m); err != nil {
		return nil, fmt.Errorf("node: the backup's manifest: %w", err)
	}
	if m.Format > store.FormatVersion {
		return nil, fmt.Errorf("node: the backup holds store format %d and this binary reads formats up to %d; restore it with the newer binary", m.Format, store.FormatVersion)
	}
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("node: %s is not empty; restore into a new directory", dataDir)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	for name, f := range files {
		if !strings.HasPrefix(name, "keys/") {
			continue
		}
		base := filepath.Base(name)
		if base != strings.TrimPrefix(name, "keys/") || !strings.HasSuffix(base, ".key") {
			return nil, fmt.Errorf("node: the backup holds an unexpected file %q", name)
		}
		r, err := f.Open()
		if err != nil {
			return nil, err
		}
		raw, err := io.ReadAll(io.LimitReader(r, 1<<20))
		r.Close()
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dataDir, base), raw, 0o600); err != nil {
			return nil, err
		}
	}
	r, err := db.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if err := store.Restore(filepath.Join(dataDir, "db"), r, opts); err != nil {
		return nil, err
	}
	return &m, nil
}

func readJSON(f *zip.File, v any) error {
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	return json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(v)
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
		name := fmt.Sprintf("twinfed-%s-%s.zip", strings.ToLower(s.svc.cfg.Country), s.svc.now().UTC().Format("20060102-150405"))
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
func Migrations() []store.Migration { return nil }
