package materials

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/twinspace"
)

// Uploading: the type by content (blob.Sniff) before anything is stored,
// then the file into the blob store within the smallest of the limits
// left (the largest file, the TwinSpace's quota, the node's), its
// thumbnail, and the material's record through the TwinSpace (which
// checks SpaceUpload and shares the record with every partner node; the
// file stays here).

// Upload stores one file of a TwinSpace's materials for p, in folder (""
// for the top), and returns its record. Nothing is stored when it is
// refused: EFORBIDDEN for a reader whose role does not allow uploads,
// EINVALID for a content that is not accepted or that its name
// contradicts, ETOOLARGE past the largest file or a quota.
func (s *Service) Upload(ctx context.Context, p *twinfed.Principal, project, folder, filename string, r io.Reader) (*twinfed.SpaceObject, error) {
	v, err := s.spaces.OpenView(ctx, p, project, false)
	if err != nil {
		return nil, err
	}
	if err := v.Require(twinfed.SpaceUpload); err != nil {
		return nil, err
	}
	if err := s.checkFolderExists(project, folder); err != nil {
		return nil, err
	}
	name := CleanName(filename)
	if name == "" {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Choose a file to upload.", Fields: map[string]string{"files": "Choose a file to upload."}}
	}
	head, all, err := blob.Head(r)
	if err != nil {
		return nil, err
	}
	typ, err := blob.Sniff(head, name)
	if err != nil {
		return nil, err
	}
	limit, quota := s.Usage(project).room(s.cfg.MaxFileBytes)
	if limit <= 0 {
		return nil, quota
	}
	defer s.blobs.Hold()()
	ref, err := s.blobs.Put(ctx, all, limit)
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.ETOOLARGE && quota != nil {
			return nil, quota
		}
		return nil, err
	}
	if err := s.hold(project, ref.Size); err != nil {
		go s.blobs.Collect(ref.Hash)
		return nil, err
	}
	defer s.release(project, ref.Size)
	thumb := s.thumbnail(ctx, ref.Hash, typ)
	o, err := s.spaces.Edit(ctx, p, project, twinfed.SpaceKindMaterial, "", func(v *twinspace.View, o *twinfed.SpaceObject) error {
		o.Parent, o.Title = folder, name
		o.Fields = map[string]string{"hash": ref.Hash, "size": strconv.FormatInt(ref.Size, 10), "type": typ.MIME,
			"filename": name, "origin": s.base}
		if thumb != "" {
			o.Fields["thumb"] = thumb
		}
		return nil
	})
	if err != nil {
		go s.blobs.Collect(ref.Hash, thumb)
		return nil, err
	}
	return o, nil
}

// room returns the largest file that fits u's limits (the largest file,
// the TwinSpace's quota, the node's) and the error that names the quota
// which makes it smaller than max (nil when none does).
func (u Usage) room(max int64) (int64, error) {
	var quota error
	if left := u.SpaceQuota - u.Space; left < max {
		max, quota = left, twinfed.Errorf(twinfed.ETOOLARGE, "This TwinSpace's files may hold %d MB in all and %d MB are used: delete files, or ask your national agency for more room.", u.SpaceQuota>>20, u.Space>>20)
	}
	if left := u.NodeQuota - u.Node; left < max {
		max, quota = left, twinfed.Errorf(twinfed.ETOOLARGE, "This national node has no room left for files: ask your national agency.")
	}
	return max, quota
}

// hold counts size bytes of a stored upload as used by project's
// TwinSpace until release, and refuses them when, with the uploads that
// were stored meanwhile, they pass a quota: Upload's limit was computed
// before the file was read, and another upload may have used the room.
// The node's count (the blob store's) holds every stored upload already.
func (s *Service) hold(project string, size int64) error {
	s.quotaMu.Lock()
	defer s.quotaMu.Unlock()
	u := s.usage(project)
	u.Space += size
	if u.Space > u.SpaceQuota || u.Node > u.NodeQuota {
		u.Space -= size
		_, quota := u.room(size)
		if quota == nil { // the node's count holds this file: it alone passes
			quota = twinfed.Errorf(twinfed.ETOOLARGE, "This national node has no room left for files: ask your national agency.")
		}
		return quota
	}
	s.pending[project] += size
	return nil
}

// release ends hold once the upload's record is written (or refused).
func (s *Service) release(project string, size int64) {
	s.quotaMu.Lock()
	defer s.quotaMu.Unlock()
	if s.pending[project] -= size; s.pending[project] <= 0 {
		delete(s.pending, project)
	}
}

// thumbnail makes and stores the preview of a stored blob: its hash, ""
// when the type has none or it cannot be made (logged).
func (s *Service) thumbnail(ctx context.Context, hash string, typ blob.Type) string {
	if typ.Class != blob.ClassImage && typ.Class != blob.ClassPDF {
		return ""
	}
	select {
	case s.thumbs <- struct{}{}:
		defer func() { <-s.thumbs }()
	case <-ctx.Done():
		return ""
	}
	f, _, err := s.blobs.Open(ctx, hash)
	if err != nil {
		return ""
	}
	defer f.Close()
	jpg, err := blob.Thumbnail(ctx, f, typ)
	if err != nil {
		if !errors.Is(err, blob.ErrNoThumbnail) {
			s.log.Info("materials: no thumbnail", "hash", hash, "err", err)
		}
		return ""
	}
	ref, err := s.blobs.Put(ctx, bytes.NewReader(jpg), int64(len(jpg)))
	if err != nil {
		s.log.Warn("materials: store a thumbnail", "hash", hash, "err", err)
		return ""
	}
	return ref.Hash
}

// checkFolderExists: folder is "" or a live folder of project.
func (s *Service) checkFolderExists(project, folder string) error {
	if folder == "" {
		return nil
	}
	return s.spaces.Store().View(func(txn *badger.Txn) error {
		o, err := twinspace.Object(txn, project, folder)
		if err != nil || o.Deleted || o.Kind != twinfed.SpaceKindFolder {
			return twinfed.Errorf(twinfed.ENOTFOUND, "This folder does not exist (or no longer does).")
		}
		return nil
	})
}

// CreateFolder makes a folder in parent ("" for the top): SpaceCreateFolder.
func (s *Service) CreateFolder(ctx context.Context, p *twinfed.Principal, project, parent, name string) (*twinfed.SpaceObject, error) {
	if err := s.checkFolderExists(project, parent); err != nil {
		return nil, err
	}
	return s.spaces.Edit(ctx, p, project, twinfed.SpaceKindFolder, "", func(v *twinspace.View, o *twinfed.SpaceObject) error {
		o.Parent, o.Title = parent, name
		return checkFolder(o)
	})
}

// Delete removes a material or an empty folder: the reader's own
// (SpaceEditOwn) or anyone's (SpaceManageOthers). The file goes when no
// live material names it, on every node that holds it.
func (s *Service) Delete(ctx context.Context, p *twinfed.Principal, project, id string) error {
	var kind twinfed.SpaceKind
	err := s.spaces.Store().View(func(txn *badger.Txn) error {
		o, err := twinspace.Object(txn, project, id)
		if err != nil || o.Deleted || (o.Kind != twinfed.SpaceKindMaterial && o.Kind != twinfed.SpaceKindFolder) {
			return twinfed.Errorf(twinfed.ENOTFOUND, "This file does not exist (or no longer does).")
		}
		kind = o.Kind
		if kind == twinfed.SpaceKindFolder && (twinspace.CountChildren(txn, project, twinfed.SpaceKindMaterial, id) > 0 || twinspace.CountChildren(txn, project, twinfed.SpaceKindFolder, id) > 0) {
			empty := true
			for _, k := range []twinfed.SpaceKind{twinfed.SpaceKindMaterial, twinfed.SpaceKindFolder} {
				_ = twinspace.Children(txn, project, k, id, func(*twinfed.SpaceObject) error { empty = false; return twinspace.ErrStop })
			}
			if !empty {
				return twinfed.Errorf(twinfed.ECONFLICT, "This folder is not empty: delete or move what it holds first.")
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = s.spaces.Edit(ctx, p, project, kind, id, func(v *twinspace.View, o *twinfed.SpaceObject) error {
		o.Deleted = true
		return nil
	})
	return err
}

// Listing is a folder of a TwinSpace's materials as its reader sees it.
type Listing struct {
	Folder  *twinfed.SpaceObject   `json:"folder,omitempty"` // nil at the top
	Path    []*twinfed.SpaceObject `json:"path"`             // the folders above it, from the top
	Folders []*twinfed.SpaceObject `json:"folders"`
	Files   []*twinfed.SpaceObject `json:"files"`
}

// List returns folder ("" for the top) of v's TwinSpace: its folders and
// files (by name): the members' tab (the public reaches a published file
// only through the page or the diary that shows it).
func (s *Service) List(ctx context.Context, v *twinspace.View, folder string) (*Listing, error) {
	if err := v.RequireMember(); err != nil {
		return nil, err
	}
	l := &Listing{Path: []*twinfed.SpaceObject{}, Folders: []*twinfed.SpaceObject{}, Files: []*twinfed.SpaceObject{}}
	err := s.spaces.Store().View(func(txn *badger.Txn) error {
		if folder != "" {
			f, err := twinspace.Object(txn, v.Project.ID, folder)
			if err != nil || f.Kind != twinfed.SpaceKindFolder || !s.spaces.Sees(v, f) {
				return twinfed.Errorf(twinfed.ENOTFOUND, "This folder does not exist (or no longer does).")
			}
			l.Folder = f
			for up, n := f.Parent, 0; up != "" && n < 50; n++ {
				pf, err := twinspace.Object(txn, v.Project.ID, up)
				if err != nil {
					break
				}
				l.Path = append([]*twinfed.SpaceObject{pf}, l.Path...)
				up = pf.Parent
			}
		}
		if err := twinspace.Children(txn, v.Project.ID, twinfed.SpaceKindFolder, folder, func(o *twinfed.SpaceObject) error {
			l.Folders = append(l.Folders, o)
			return nil
		}); err != nil {
			return err
		}
		return twinspace.Children(txn, v.Project.ID, twinfed.SpaceKindMaterial, folder, func(o *twinfed.SpaceObject) error {
			if s.spaces.Sees(v, o) {
				l.Files = append(l.Files, o)
			}
			return nil
		})
	})
	byName := func(list []*twinfed.SpaceObject) {
		sort.SliceStable(list, func(i, j int) bool { return strings.ToLower(list[i].Title) < strings.ToLower(list[j].Title) })
	}
	byName(l.Folders)
	byName(l.Files)
	return l, err
}
