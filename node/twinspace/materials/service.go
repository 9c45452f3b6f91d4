package materials

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/web"
)

// Config is the node's limits on files (the [materials] section).
type Config struct {
	Dir            string // the blob store's directory (when Deps.Blobs is nil)
	MaxFileBytes   int64  // the largest file; zero: 100 MB
	TwinSpaceQuota int64  // a TwinSpace's files uploaded on this node; zero: 2 GB
	NodeQuota      int64  // every file the node stores; zero: 200 GB
}

// FileFetcher makes a signed GET to another node and returns the body
// unread (the federation's GetStream) and its length (-1: unknown).
type FileFetcher func(ctx context.Context, rawURL string) (io.ReadCloser, int64, error)

// Projects is what the tool asks of the project feature.
type Projects interface {
	// Project returns a project this node holds, within txn; ENOTFOUND
	// when it holds none.
	Project(txn *badger.Txn, id string) (*twinfed.Project, error)
}

// Deps are the Materials tool's collaborators.
type Deps struct {
	Spaces   *twinspace.Service
	Projects Projects
	Blobs    blob.Store   // nil: a blob.Disk in Config.Dir
	Fetch    FileFetcher  // nil: files of other nodes cannot be fetched
	Logger   *slog.Logger // nil: the TwinSpace's
}

// Service is the Materials tab of the node's TwinSpaces.
type Service struct {
	cfg      Config
	spaces   *twinspace.Service
	projects Projects
	blobs    *blob.Collector
	fetch    FileFetcher
	log      *slog.Logger
	base     string
	// thumbs bounds the thumbnails made at once: a big picture takes a
	// few hundred MB while it is decoded.
	thumbs chan struct{}
	// quotaMu guards pending: the bytes of each TwinSpace's uploads
	// stored but not yet recorded, which Usage counts as used, so that
	// uploads at the same moment cannot pass a quota together.
	quotaMu sync.Mutex
	pending map[string]int64
}

// New builds the tool and registers its kinds (folder, material) with the
// TwinSpace.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Spaces == nil || d.Projects == nil {
		return nil, errors.New("materials: New needs the TwinSpace and the projects")
	}
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = 100 << 20
	}
	if cfg.TwinSpaceQuota <= 0 {
		cfg.TwinSpaceQuota = 2 << 30
	}
	if cfg.NodeQuota <= 0 {
		cfg.NodeQuota = 200 << 30
	}
	if d.Logger == nil {
		d.Logger = d.Spaces.Logger()
	}
	if d.Blobs == nil {
		disk, err := blob.OpenDisk(cfg.Dir)
		if err != nil {
			return nil, err
		}
		d.Blobs = disk
	}
	s := &Service{cfg: cfg, pending: map[string]int64{}, spaces: d.Spaces, projects: d.Projects, blobs: blob.NewCollector(d.Blobs, d.Spaces.Store().BlobNamed, d.Logger), fetch: d.Fetch, log: d.Logger, base: d.Spaces.BaseURL(),
		thumbs: make(chan struct{}, 2)}
	if !blob.PDFPreview() {
		s.log.Info("materials: pdftoppm (poppler-utils) is not installed: PDFs get no first-page preview")
	}
	d.Spaces.Register(twinfed.SpaceKindFolder, twinspace.Kind{Create: twinfed.SpaceCreateFolder, Check: checkFolder})
	d.Spaces.Register(twinfed.SpaceKindMaterial, twinspace.Kind{Create: twinfed.SpaceUpload, Needs: materialNeeds, Check: checkMaterial, Applied: s.applied})
	return s, nil
}

// materialNeeds: uploading needs SpaceUpload; making a file public, and
// nothing else, needs what publishing a page needs (a published page or a
// diary post shows it, whoever uploaded it); any other change the
// author's SpaceEditOwn or SpaceManageOthers.
func materialNeeds(old, o *twinfed.SpaceObject) []twinfed.SpaceAction {
	switch {
	case old == nil:
		return []twinfed.SpaceAction{twinfed.SpaceUpload}
	case o.Public && !old.Public && !o.Deleted && o.Title == old.Title && o.Parent == old.Parent && maps.Equal(o.Fields, old.Fields):
		return []twinfed.SpaceAction{twinfed.SpacePublishPage}
	case o.Writer() == old.Author:
		return []twinfed.SpaceAction{twinfed.SpaceEditOwn}
	}
	return []twinfed.SpaceAction{twinfed.SpaceManageOthers}
}

// Config returns the limits in force.
func (s *Service) Config() Config { return s.cfg }

// Blobs returns the node's blob store with its collector, which the
// events' photos and files share.
func (s *Service) Blobs() *blob.Collector { return s.blobs }

// maxNameRunes bounds a folder's and a file's name.
const maxNameRunes = 200

// checkFolder: a folder has a name of 1 to 200 characters.
func checkFolder(o *twinfed.SpaceObject) error {
	o.Title = strings.TrimSpace(o.Title)
	if o.Title == "" || utf8.RuneCountInString(o.Title) > maxNameRunes {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: "Give the folder a name of at most 200 characters.", Fields: map[string]string{"name": "Give the folder a name of at most 200 characters."}}
	}
	o.Content = ""
	return nil
}

// checkMaterial: a material names a blob (its hash and size), an accepted
// type, a file name, its origin (the uploader's node: the author's) and
// maybe a thumbnail. It runs on every node the record reaches.
func checkMaterial(o *twinfed.SpaceObject) error {
	f := o.Fields
	size, err := strconv.ParseInt(f["size"], 10, 64)
	_, known := blob.TypeOf(f["type"])
	origin, uerr := url.Parse(f["origin"])
	switch {
	case !blob.ValidHash(f["hash"]) || err != nil || size < 1 || !known:
		return twinfed.Errorf(twinfed.EINVALID, "a material needs the hash, size and type of its file")
	case f["thumb"] != "" && !blob.ValidHash(f["thumb"]):
		return twinfed.Errorf(twinfed.EINVALID, "a material's thumbnail is named by its hash")
	case uerr != nil || (origin.Scheme != "http" && origin.Scheme != "https") || origin.Host != twinfed.URLHost(o.Author) || strings.Trim(origin.Path, "/") != "":
		return twinfed.Errorf(twinfed.EINVALID, "a material's file stays on its uploader's node")
	}
	name := CleanName(f["filename"])
	if name == "" {
		return twinfed.Errorf(twinfed.EINVALID, "a material needs its file's name")
	}
	f["filename"], o.Title, o.Content = name, name, ""
	return nil
}

// CleanName returns a file's name as a material keeps it: its last path
// element, without control characters, at most 200 characters.
func CleanName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "." || name == ".." || name == "/" {
		return ""
	}
	if utf8.RuneCountInString(name) > maxNameRunes {
		r := []rune(name)
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > 20 {
			ext = ""
		}
		name = string(r[:maxNameRunes-utf8.RuneCountInString(ext)]) + ext
	}
	return name
}

// applied keeps, on every node, the index of the blobs the live materials
// name and the count of the TwinSpace's quota (files uploaded here); a
// blob no live material names any more is deleted once the transaction
// commits (the original on the uploader's node, a cached copy elsewhere).
func (s *Service) applied(txn *badger.Txn, old, o *twinfed.SpaceObject) error {
	wasLive, isLive := old != nil && !old.Deleted, !o.Deleted
	if wasLive == isLive {
		return nil
	}
	rec := o
	if !isLive {
		rec = old
	}
	hashes := []string{rec.Fields["hash"]}
	if t := rec.Fields["thumb"]; t != "" {
		hashes = append(hashes, t)
	}
	for _, h := range hashes {
		k := []byte(store.PrefixMaterialHash + h + " " + o.Project + " " + o.ID)
		var err error
		if isLive {
			err = txn.Set(k, nil)
		} else {
			err = txn.Delete(k)
		}
		if err != nil {
			return err
		}
	}
	if strings.TrimRight(rec.Fields["origin"], "/") == s.base {
		size, _ := strconv.ParseInt(rec.Fields["size"], 10, 64)
		if !isLive {
			size = -size
		}
		if err := addUsage(txn, o.Project, size); err != nil {
			return err
		}
	}
	if !isLive {
		s.spaces.Store().AfterCommit(txn, func() {
			go s.blobs.Collect(hashes...)
		})
	}
	return nil
}

// usage returns the bytes of project's files uploaded on this node.
func usage(txn *badger.Txn, project string) int64 {
	item, err := txn.Get([]byte(store.PrefixMaterialUsage + project))
	if err != nil {
		return 0
	}
	var n int64
	_ = item.Value(func(v []byte) error {
		n, _ = strconv.ParseInt(string(v), 10, 64)
		return nil
	})
	return n
}

func addUsage(txn *badger.Txn, project string, delta int64) error {
	n := max(usage(txn, project)+delta, 0)
	return txn.Set([]byte(store.PrefixMaterialUsage+project), []byte(strconv.FormatInt(n, 10)))
}

// Usage is a TwinSpace's and the node's use of their quotas, in bytes.
type Usage struct {
	Space      int64 `json:"space"`       // the TwinSpace's files uploaded on this node
	SpaceQuota int64 `json:"space_quota"` // its quota
	Node       int64 `json:"node"`        // every file the node stores
	NodeQuota  int64 `json:"node_quota"`
	MaxFile    int64 `json:"max_file"` // the largest file
}

// Usage returns project's and the node's use of their quotas.
func (s *Service) Usage(project string) Usage {
	s.quotaMu.Lock()
	defer s.quotaMu.Unlock()
	return s.usage(project)
}

// usage is Usage with quotaMu held.
func (s *Service) usage(project string) Usage {
	u := Usage{SpaceQuota: s.cfg.TwinSpaceQuota, Node: s.blobs.Usage(), NodeQuota: s.cfg.NodeQuota, MaxFile: s.cfg.MaxFileBytes}
	_ = s.spaces.Store().View(func(txn *badger.Txn) error {
		u.Space = usage(txn, project)
		return nil
	})
	u.Space += s.pending[project]
	return u
}

// EditorImages returns the images of v's TwinSpace that its reader may put
// on a page (the page editor's picker: node/twinspace/pages.Images), by
// name.
func (s *Service) EditorImages(ctx context.Context, v *twinspace.View) ([]web.EditorImage, error) {
	if err := v.RequireMember(); err != nil {
		return nil, err
	}
	out := []web.EditorImage{}
	err := s.spaces.Store().View(func(txn *badger.Txn) error {
		return twinspace.Each(txn, v.Project.ID, twinfed.SpaceKindMaterial, func(o *twinfed.SpaceObject) error {
			if !strings.HasPrefix(o.Fields["type"], "image/") || !s.spaces.Sees(v, o) {
				return nil
			}
			q := url.Values{"id": {v.Project.ID}, "m": {o.ID}}.Encode()
			img := web.EditorImage{URL: "/twinspace/materials/file?" + q, Name: o.Fields["filename"], Alt: o.Title}
			if img.Name == "" {
				img.Name = o.Title
			}
			if o.Fields["thumb"] != "" {
				img.Thumb = "/twinspace/materials/thumb?" + q
			}
			out = append(out, img)
			return nil
		})
	})
	slices.SortFunc(out, func(a, b web.EditorImage) int { return strings.Compare(a.Name, b.Name) })
	return out, err
}
