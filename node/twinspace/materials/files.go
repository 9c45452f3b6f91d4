package materials

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/twinspace"
)

// Files between nodes: a file stays on the node it was uploaded to (its
// record's origin). A member of a partner node reads it through their own
// node, which fetches it from the origin with a signed GET of FilePath and
// keeps a copy (within the node's quota) until no live record names it.
// The origin gives a file only to a node the registry lists (the signature
// check) that is a partner node of a TwinSpace holding a live material
// with that hash (ServesTo).

// FilePath is where a node serves the files uploaded to it, to partner
// nodes: FilePath<hash>.
const FilePath = "/twinspace/files/"

// Material returns a material (or its folder-less record) of project that
// v's reader sees: ENOTFOUND otherwise, whatever the reason, so that a
// file's existence is not revealed.
func (s *Service) Material(v *twinspace.View, id string) (*twinfed.SpaceObject, error) {
	var o *twinfed.SpaceObject
	_ = s.spaces.Store().View(func(txn *badger.Txn) error {
		o, _ = twinspace.Object(txn, v.Project.ID, id)
		return nil
	})
	if o == nil || o.Kind != twinfed.SpaceKindMaterial || !s.spaces.Sees(v, o) {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "This file does not exist (or no longer does).")
	}
	return o, nil
}

// Open returns the content of a material's file (thumb: its thumbnail)
// from this node's store, fetched first from its origin node when this
// node has no copy. The caller closes it.
func (s *Service) Open(ctx context.Context, o *twinfed.SpaceObject, thumb bool) (io.ReadSeekCloser, blob.Info, error) {
	hash, size := o.Fields["hash"], o.Fields["size"]
	if thumb {
		hash, size = o.Fields["thumb"], ""
		if hash == "" {
			return nil, blob.Info{}, twinfed.Errorf(twinfed.ENOTFOUND, "This file has no preview.")
		}
	}
	f, info, err := s.blobs.Open(ctx, hash)
	if err == nil || twinfed.ErrorCode(err) != twinfed.ENOTFOUND || strings.TrimRight(o.Fields["origin"], "/") == s.base {
		return f, info, err
	}
	if err := s.cache(ctx, o.Fields["origin"], hash, size); err != nil {
		return nil, blob.Info{}, err
	}
	return s.blobs.Open(ctx, hash)
}

// cache fetches a file from its origin node into this node's store,
// checking its size and its hash.
func (s *Service) cache(ctx context.Context, origin, hash, size string) error {
	unavailable := twinfed.Errorf(twinfed.EUNAVAILABLE, "The node this file was uploaded to cannot send it now; try again later.")
	if s.fetch == nil {
		return unavailable
	}
	want, _ := strconv.ParseInt(size, 10, 64)
	limit := want
	if limit <= 0 {
		limit = 4 << 20 // a thumbnail
	}
	if s.blobs.Usage()+limit > s.cfg.NodeQuota {
		return twinfed.Errorf(twinfed.ETOOLARGE, "This national node has no room left for files: ask your national agency.")
	}
	body, _, err := s.fetch(ctx, strings.TrimRight(origin, "/")+FilePath+hash)
	if err != nil {
		s.log.Warn("materials: fetch a file from its node", "origin", origin, "hash", hash, "err", err)
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return twinfed.Errorf(twinfed.ENOTFOUND, "This file does not exist (or no longer does).")
		}
		return unavailable
	}
	defer body.Close()
	defer s.blobs.HoldHash(hash)()
	ref, err := s.blobs.Put(ctx, body, limit)
	if err != nil {
		s.log.Warn("materials: store a partner node's file", "origin", origin, "hash", hash, "err", err)
		return unavailable
	}
	if ref.Hash != hash || (want > 0 && ref.Size != want) {
		s.log.Warn("materials: a partner node sent another file", "origin", origin, "want", hash, "got", ref.Hash)
		go s.blobs.Collect(ref.Hash)
		return unavailable
	}
	return nil
}

// ServesTo reports whether this node gives the file of hash to the node
// of host: host is a partner node of a TwinSpace of which this node holds
// a live material with that hash (file or thumbnail) uploaded here.
func (s *Service) ServesTo(ctx context.Context, host, hash string) bool {
	if !blob.ValidHash(hash) || host == "" {
		return false
	}
	ok := false
	_ = s.spaces.Store().View(func(txn *badger.Txn) error {
		prefix := store.PrefixMaterialHash + hash + " "
		for _, k := range store.KeysUnder(txn, prefix, 0) {
			project, id, found := strings.Cut(k, " ")
			if !found {
				continue
			}
			o, err := twinspace.Object(txn, project, id)
			if err != nil || o.Deleted || strings.TrimRight(o.Fields["origin"], "/") != s.base {
				continue
			}
			p, err := s.projects.Project(txn, project)
			if err != nil {
				continue
			}
			for _, m := range p.TwinSpaceMembers() {
				if twinfed.URLHost(m.Actor) == host {
					ok = true
					return twinspace.ErrStop
				}
			}
		}
		return nil
	})
	return ok
}
