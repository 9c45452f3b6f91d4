package eventfiles

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/store"
)

// BlobPath is where a node serves the files uploaded on it to the nodes
// of their events' audience: BlobPath<hash>, signed GETs only.
const BlobPath = "/event-files/blob/"

// Config bounds the archives.
type Config struct {
	MaxFileBytes int64 // the largest file; zero: twinfed.EventFileMaxBytes
	QuotaBytes   int64 // one event's files together; zero: twinfed.EventFilesQuotaBytes
}

// Fetcher makes a signed GET to another node and returns the body unread
// and its length (-1: unknown): the federation's GetStream.
type Fetcher func(ctx context.Context, rawURL string) (io.ReadCloser, int64, error)

// Registry finds the country of a node's host (twinfed.Registry).
type Registry interface {
	CountryByHost(ctx context.Context, host string) (*twinfed.Country, error)
}

// Profiles returns the directory's profiles of actors (by actor URL,
// unknown ones absent): directory.Service.Profiles.
type Profiles func(actors []string) map[string]*twinfed.Profile

// Deps are the archive's collaborators.
type Deps struct {
	Events   *event.Service
	Store    *store.Store
	Acts     *outbox.Activities
	Blobs    *blob.Collector // the node's blob store; nil: no files
	Fetch    Fetcher         // nil: other nodes' files cannot be fetched
	Registry Registry        // nil: files are given only to the event's home node
	// Profiles names the uploaders (the federated directory); nil: they
	// are shown by their address.
	Profiles Profiles
	Logger   *slog.Logger
	Now      func() time.Time // nil: time.Now
}

// Service is the events' archives on a node. It is safe for concurrent
// use.
type Service struct {
	cfg    Config
	events *event.Service
	store  *store.Store
	acts   *outbox.Activities
	blobs  *blob.Collector
	fetch  Fetcher
	reg    Registry
	profs  Profiles
	log    *slog.Logger
	base   string
	now    func() time.Time
	// quotaMu guards pending: the bytes of uploads stored but not yet
	// recorded, per event, counted as used.
	quotaMu sync.Mutex
	pending map[string]int64
}

// New returns the archives of events on the node at base.
func New(base string, cfg Config, d Deps) (*Service, error) {
	if d.Events == nil || d.Store == nil || d.Acts == nil {
		return nil, errors.New("eventfiles: New needs the events, a store and the node's Activities")
	}
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = twinfed.EventFileMaxBytes
	}
	if cfg.QuotaBytes <= 0 {
		cfg.QuotaBytes = twinfed.EventFilesQuotaBytes
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, events: d.Events, store: d.Store, acts: d.Acts, blobs: d.Blobs, fetch: d.Fetch, reg: d.Registry, profs: d.Profiles,
		log: d.Logger, base: strings.TrimRight(base, "/"), now: d.Now, pending: map[string]int64{}}
	n, err := s.logEarlier()
	if err != nil {
		return nil, fmt.Errorf("eventfiles: putting the earlier files in the change log: %w", err)
	}
	if n > 0 {
		s.log.Info("eventfiles: earlier files put in the change log", "files", n)
	}
	return s, nil
}

// Config returns the archives' bounds.
func (s *Service) Config() Config { return s.cfg }

func actorOf(base string, p *twinfed.Principal) string {
	if p == nil || p.Role != twinfed.RoleMember || p.Username == "" {
		return ""
	}
	return twinfed.ActorURL(base, p.Username)
}

// allowed checks the rule for actor in event id within txn: write asks
// that the event is not cancelled as well.
func (s *Service) allowed(txn *badger.Txn, id, actor string, write bool) (*twinfed.Event, error) {
	e, err := s.events.Event(txn, id)
	if err != nil {
		return nil, err
	}
	err = twinfed.CanUseEventTools(e, actor, s.events.Confirmed(txn, e, actor))
	switch {
	case twinfed.ErrorCode(err) == twinfed.EFORBIDDEN:
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "Only the organiser and the confirmed participants use the event's files.")
	case err != nil && write:
		return nil, err
	}
	return e, nil
}

// Listing is an event's archive as a reader sees it.
type Listing struct {
	Event *twinfed.Event
	Files []twinfed.EventFile // oldest first
	Used  int64               // bytes, all the files together
	Quota int64
}

// List returns the archive of event id for p, who must be its organiser
// or a confirmed participant (also once it is cancelled).
func (s *Service) List(ctx context.Context, p *twinfed.Principal, id string) (*Listing, error) {
	out := &Listing{Files: []twinfed.EventFile{}, Quota: s.cfg.QuotaBytes}
	err := s.store.View(func(txn *badger.Txn) error {
		e, err := s.allowed(txn, id, actorOf(s.base, p), false)
		if err != nil {
			return err
		}
		out.Event = e
		return store.EachJSON(txn, recordsOf(id), func(f *twinfed.EventFile) error {
			out.Files = append(out.Files, *f)
			out.Used += f.Size
			return nil
		})
	})
	return out, err
}

func recordsOf(event string) string { return store.PrefixEventFile + "r/" + event + "/" }

func recordKey(f *twinfed.EventFile) string {
	return recordsOf(f.Event) + f.Published.UTC().Format(time.RFC3339Nano) + "/" + f.ID
}

func hashKey(hash, id string) string { return store.PrefixEventFile + "h/" + hash + " " + id }

func goneKey(id string) string { return store.PrefixEventFile + "x/" + id }

func fetchedKey(host, hash string) string { return store.PrefixEventFile + "f/" + host + "/" + hash }

// used is the bytes of event id's files this node knows.
func used(txn *badger.Txn, id string) int64 {
	var n int64
	_ = store.EachJSON(txn, recordsOf(id), func(f *twinfed.EventFile) error {
		n += f.Size
		return nil
	})
	return n
}

// find returns the live record file of event id; ENOTFOUND when none.
func find(txn *badger.Txn, id, file string) (*twinfed.EventFile, error) {
	key, ok, err := store.GetString(txn, idKey(file))
	if err != nil {
		return nil, err
	}
	f := new(twinfed.EventFile)
	if ok {
		err = store.GetJSON(txn, key, f)
	}
	if !ok || twinfed.ErrorCode(err) == twinfed.ENOTFOUND || (err == nil && f.Event != id) {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such file.")
	}
	return f, err
}

func idKey(file string) string { return store.PrefixEventFile + "i/" + file }

// Has reports whether this node holds the record file, live or deleted.
func (s *Service) Has(txn *badger.Txn, file string) bool {
	return file != "" && (store.Has(txn, idKey(file)) || store.Has(txn, goneKey(file)))
}

// put keeps a live record and the names of its blobs.
func put(txn *badger.Txn, f *twinfed.EventFile) error {
	if err := store.SetJSON(txn, recordKey(f), f); err != nil {
		return err
	}
	if err := txn.Set([]byte(idKey(f.ID)), []byte(recordKey(f))); err != nil {
		return err
	}
	for _, h := range []string{f.Hash, f.Thumb} {
		if h != "" {
			if err := txn.Set([]byte(hashKey(h, f.ID)), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// remove forgets a record, remembers its id as deleted (on the home
// node, in the event's change log too), and deletes its blobs once
// committed, unless something else names them.
func (s *Service) remove(txn *badger.Txn, f *twinfed.EventFile) error {
	gone := *f
	gone.Deleted = true
	if err := s.logChange(txn, &gone); err != nil {
		return err
	}
	if err := txn.Delete([]byte(recordKey(f))); err != nil {
		return err
	}
	if err := txn.Delete([]byte(idKey(f.ID))); err != nil {
		return err
	}
	hashes := []string{f.Hash}
	if f.Thumb != "" {
		hashes = append(hashes, f.Thumb)
	}
	for _, h := range hashes {
		if err := txn.Delete([]byte(hashKey(h, f.ID))); err != nil {
			return err
		}
	}
	if err := txn.Set([]byte(goneKey(f.ID)), nil); err != nil {
		return err
	}
	s.store.AfterCommit(txn, func() { go s.blobs.Collect(hashes...) })
	return nil
}

// maxNameRunes bounds a file's name.
const maxNameRunes = 120

// cleanName is a file's name as kept: its last path element, without
// control characters, at most maxNameRunes (its extension kept).
func cleanName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(strings.TrimSpace(name))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "." || name == "/" || name == ".." {
		return ""
	}
	if utf8.RuneCountInString(name) > maxNameRunes {
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > 10 {
			ext = ""
		}
		r := []rune(name)
		name = string(r[:maxNameRunes-utf8.RuneCountInString(ext)]) + ext
	}
	return name
}

// Upload stores a file p uploads to the archive of event id and returns
// its record: kept here, and sent to the event's home node (Create) or,
// on the home node, to the nodes of the confirmed participants
// (Announce). Nothing is stored when it is refused: EFORBIDDEN for
// someone without a confirmed place, EINVALID for an empty file, a type
// the archive does not take or a cancelled event, ETOOLARGE past the
// largest file or the event's quota.
func (s *Service) Upload(ctx context.Context, p *twinfed.Principal, id, filename string, r io.Reader) (*twinfed.EventFile, error) {
	me := actorOf(s.base, p)
	var usedNow int64
	if err := s.store.View(func(txn *badger.Txn) error {
		if _, err := s.allowed(txn, id, me, true); err != nil {
			return err
		}
		usedNow = used(txn, id)
		return nil
	}); err != nil {
		return nil, err
	}
	if s.blobs == nil {
		return nil, twinfed.Errorf(twinfed.EUNAVAILABLE, "This node takes no files.")
	}
	name := cleanName(filename)
	if name == "" {
		return nil, twinfed.Errorf(twinfed.EINVALID, "Choose a file to upload.")
	}
	head, all, err := blob.Head(r)
	if err != nil {
		return nil, err
	}
	typ, err := blob.Sniff(head, name)
	if err != nil {
		return nil, err
	}
	quota := twinfed.Errorf(twinfed.ETOOLARGE, "This event's files may hold %d MB in all and %d MB are used: delete files first.", s.cfg.QuotaBytes>>20, (usedNow+1<<20-1)>>20)
	limit, overQuota := s.cfg.MaxFileBytes, false
	if left := s.cfg.QuotaBytes - usedNow - s.pendingOf(id); left < limit {
		limit, overQuota = left, true
	}
	if limit <= 0 {
		return nil, quota
	}
	defer s.blobs.Hold()()
	ref, err := s.blobs.Put(ctx, all, limit)
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.ETOOLARGE {
			if overQuota {
				return nil, quota
			}
			return nil, twinfed.Errorf(twinfed.ETOOLARGE, "A file may be at most %d MB.", s.cfg.MaxFileBytes>>20)
		}
		return nil, err
	}
	if !s.hold(id, ref.Size, usedNow) {
		go s.blobs.Collect(ref.Hash)
		return nil, quota
	}
	defer s.release(id, ref.Size)
	f := &twinfed.EventFile{ID: s.base + "/event-files/" + store.NewID(), Event: id, Uploader: me, Name: name, Type: typ.MIME,
		Size: ref.Size, Hash: ref.Hash, Published: s.now().UTC()}
	if typ.Class == blob.ClassImage {
		f.Thumb = s.thumbnail(ctx, ref.Hash, typ)
	}
	err = s.store.Update(func(txn *badger.Txn) error {
		e, err := s.allowed(txn, id, me, true)
		if err != nil {
			return err
		}
		if used(txn, id)+f.Size > s.cfg.QuotaBytes {
			return quota
		}
		if err := put(txn, f); err != nil {
			return err
		}
		if s.events.IsHome(e.ID) {
			if err := s.logChange(txn, f); err != nil {
				return err
			}
			return s.announce(ctx, txn, e, f)
		}
		a := s.acts.New(twinfed.ActivityCreate, p.Username)
		a.To, a.Object, a.Note = []string{e.Organiser}, f.ID, note(f)
		return s.acts.Send(txn, a)
	})
	if err != nil {
		go s.blobs.Collect(f.Hash, f.Thumb)
		return nil, err
	}
	s.acts.Notify()
	return f, nil
}

func (s *Service) pendingOf(id string) int64 {
	s.quotaMu.Lock()
	defer s.quotaMu.Unlock()
	return s.pending[id]
}

// hold counts size bytes of a stored upload against event id's quota
// until release; false when, with the uploads stored meanwhile, they
// pass it.
func (s *Service) hold(id string, size, usedNow int64) bool {
	s.quotaMu.Lock()
	defer s.quotaMu.Unlock()
	if usedNow+s.pending[id]+size > s.cfg.QuotaBytes {
		return false
	}
	s.pending[id] += size
	return true
}

func (s *Service) release(id string, size int64) {
	s.quotaMu.Lock()
	defer s.quotaMu.Unlock()
	if s.pending[id] -= size; s.pending[id] <= 0 {
		delete(s.pending, id)
	}
}

// thumbnail makes and stores the preview of an image: its hash, "" when
// it cannot be made.
func (s *Service) thumbnail(ctx context.Context, hash string, t blob.Type) string {
	f, _, err := s.blobs.Open(ctx, hash)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, err := blob.Thumbnail(ctx, f, t)
	if err != nil {
		s.log.Info("eventfiles: no thumbnail", "hash", hash, "err", err)
		return ""
	}
	ref, err := s.blobs.Put(ctx, bytes.NewReader(b), int64(len(b))+1)
	if err != nil {
		return ""
	}
	return ref.Hash
}

func note(f *twinfed.EventFile) *twinfed.Note {
	return &twinfed.Note{ID: f.ID, From: f.Uploader, To: f.Event, Content: f.Name, InReplyTo: f.Event, Published: f.Published, File: f}
}

// announce shares a record of e's archive (or its deletion), on its home
// node, with the nodes of the confirmed participants.
func (s *Service) announce(ctx context.Context, txn *badger.Txn, e *twinfed.Event, f *twinfed.EventFile) error {
	to := s.events.ParticipantNodes(ctx, txn, e)
	if len(to) == 0 {
		return nil
	}
	a := s.acts.NewBy(twinfed.ActivityAnnounce, e.Organiser)
	a.To, a.Object, a.Note = to, f.ID, note(f)
	return s.acts.Send(txn, a)
}

// Delete deletes file from the archive of event id for p, its uploader
// or the event's organiser, on every node that holds it.
func (s *Service) Delete(ctx context.Context, p *twinfed.Principal, id, file string) error {
	me := actorOf(s.base, p)
	err := s.store.Update(func(txn *badger.Txn) error {
		e, err := s.allowed(txn, id, me, false)
		if err != nil {
			return err
		}
		f, err := find(txn, id, file)
		if err != nil {
			return err
		}
		if err := twinfed.CanDeleteEventFile(e, f, me); err != nil {
			return err
		}
		if err := s.remove(txn, f); err != nil {
			return err
		}
		if s.events.IsHome(e.ID) {
			gone := *f
			gone.Deleted = true
			return s.announce(ctx, txn, e, &gone)
		}
		// Only the uploader's node speaks for the file (same origin): the
		// organiser deletes on the home node.
		a := s.acts.New(twinfed.ActivityDelete, p.Username)
		a.To, a.Object, a.Target = []string{e.Organiser}, f.ID, e.ID
		return s.acts.Send(txn, a)
	})
	if err == nil {
		s.acts.Notify()
	}
	return err
}

// profiles returns the directory's profiles of the actors, none without
// a directory.
func (s *Service) profiles(actors []string) map[string]*twinfed.Profile {
	if s.profs == nil {
		return nil
	}
	return s.profs(actors)
}
