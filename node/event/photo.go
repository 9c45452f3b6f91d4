package event

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/store"
)

// Photos. A member uploads an event's photos in the wizard or the edit
// form: each is checked by its content (blob.Sniff: an image, whatever its
// name says), at most twinfed.EventPhotoMaxBytes, stored in the node's
// blob store by the SHA-256 of its content with a thumbnail
// (blob.Thumbnail), and held for a day under the member's name
// (ep/u/<username>/<hash>) until the event that names it is saved: an
// event takes only photos its organiser uploaded, never another blob of
// the store. The event carries the photos' hashes to every node of its
// audience; a node that has no copy of a photo fetches it from the
// event's home node with a signed GET of PhotoPath<hash> (given only to a
// node of the event's audience) and keeps it. Pages show photos at
// /events/{id}/photos/<hash>, on this node, for the event's audience only:
// no image of another origin is ever in a page (img-src 'self').

// PhotoPath is where the home node serves its events' photos to the nodes
// of their audience: PhotoPath<hash>, signed GETs only.
const PhotoPath = "/event-photos/"

// pendingPhoto is how long an uploaded photo waits for its event.
const pendingPhoto = 24 * time.Hour

// PhotoFetcher makes a signed GET to another node and returns the body
// unread and its length (-1: unknown): the federation's GetStream.
type PhotoFetcher func(ctx context.Context, rawURL string) (io.ReadCloser, int64, error)

// Upload is one file of a form.
type Upload struct {
	Name string // as the member's computer names it
	Body io.Reader
}

// errPhoto is a refused photo, on the form's photos field.
func errPhoto(code, msg string) error {
	return &twinfed.Error{Code: code, Message: "The event cannot be saved; correct the fields shown.", Fields: map[string]string{"photos": msg}}
}

// UploadPhotos stores photos p uploads for an event and holds them for a
// day under p's name; their hashes go into Input.Photos. A file that is
// not an image (by its content) or is larger than
// twinfed.EventPhotoMaxBytes is refused, and so are more than
// twinfed.EventMaxPhotos at once; a refusal keeps none of the files.
func (s *Service) UploadPhotos(ctx context.Context, p *twinfed.Principal, files []Upload) (_ []twinfed.EventPhoto, err error) {
	if err := s.store.View(func(txn *badger.Txn) error { _, err := s.member(txn, p); return err }); err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, nil
	}
	if s.blobs == nil {
		return nil, errPhoto(twinfed.EUNAVAILABLE, "This node takes no photos.")
	}
	if len(files) > twinfed.EventMaxPhotos {
		return nil, errPhoto(twinfed.EINVALID, "An event has at most 6 photos.")
	}
	// The blobs stored here are named from the moment the pending
	// records below are committed; a collection waits until then. When
	// the upload fails, what it stored goes (unless something else
	// names it).
	defer s.blobs.Hold()()
	var out []twinfed.EventPhoto
	var stored []string
	defer func() {
		if err != nil {
			go s.blobs.Collect(stored...)
		}
	}()
	for _, f := range files {
		head, r, err := blob.Head(f.Body)
		if err != nil {
			return nil, err
		}
		t, err := blob.Sniff(head, f.Name)
		if err != nil || t.Class != blob.ClassImage {
			return nil, errPhoto(twinfed.EINVALID, "A photo must be an image: JPEG, PNG, GIF or WebP.")
		}
		ref, err := s.blobs.Put(ctx, r, twinfed.EventPhotoMaxBytes)
		if err != nil {
			if twinfed.ErrorCode(err) == twinfed.ETOOLARGE {
				return nil, errPhoto(twinfed.ETOOLARGE, "A photo may be at most 5 MiB.")
			}
			return nil, err
		}
		stored = append(stored, ref.Hash)
		ph := twinfed.EventPhoto{Hash: ref.Hash, Type: t.MIME}
		if th, err := s.thumbnail(ctx, ref.Hash, t); err == nil {
			ph.Thumb = th
			stored = append(stored, th)
		} else if twinfed.ErrorCode(err) == twinfed.EINVALID {
			return nil, errPhoto(twinfed.EINVALID, "A photo must be an image: JPEG, PNG, GIF or WebP.")
		}
		out = append(out, ph)
	}
	until := []byte(s.now().Add(pendingPhoto).UTC().Format(time.RFC3339))
	err = s.store.Update(func(txn *badger.Txn) error {
		for _, ph := range out {
			raw, err := json.Marshal(ph)
			if err != nil {
				return err
			}
			if err := txn.SetEntry(badger.NewEntry([]byte(pendingKey(p.Username, ph.Hash)), raw).WithTTL(pendingPhoto)); err != nil {
				return err
			}
			for _, h := range []string{ph.Hash, ph.Thumb} {
				if h == "" {
					continue
				}
				if err := txn.Set([]byte(pendingNameKey(h, p.Username)), until); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

// pendingNameKey names the blob hash (a photo or its thumbnail) that
// username uploaded for an event not yet saved, until the time it holds
// (store.BlobNamed): SweepPendingPhotos then forgets it and the blob
// store's collector deletes the blob unless an event names it by then.
func pendingNameKey(hash, username string) string {
	return store.PrefixEventPhoto + "p/" + hash + " " + username
}

// SweepPendingPhotos forgets the photos uploaded for an event more than
// a day ago and deletes those no event took (nor anything else names). It
// returns how many uploads it forgot.
func (s *Service) SweepPendingPhotos() (int, error) {
	now := s.now()
	var keys []string
	var hashes []string
	err := s.store.View(func(txn *badger.Txn) error {
		for _, k := range store.KeysUnder(txn, store.PrefixEventPhoto+"p/", 0) { // <hash> <username>
			until, ok, err := store.GetString(txn, store.PrefixEventPhoto+"p/"+k)
			if err != nil || !ok {
				continue
			}
			if t, err := time.Parse(time.RFC3339, until); err == nil && now.Before(t) {
				continue
			}
			keys = append(keys, store.PrefixEventPhoto+"p/"+k)
			hash, _, _ := strings.Cut(k, " ")
			hashes = append(hashes, hash)
		}
		return nil
	})
	if err != nil || len(keys) == 0 {
		return 0, err
	}
	err = s.store.Update(func(txn *badger.Txn) error {
		for _, k := range keys {
			if err := txn.Delete([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.blobs.Collect(hashes...)
	return len(keys), nil
}

// thumbnail makes and stores the thumbnail of the blob hash, of type t.
func (s *Service) thumbnail(ctx context.Context, hash string, t blob.Type) (string, error) {
	f, _, err := s.blobs.Open(ctx, hash)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := blob.Thumbnail(ctx, f, t)
	if err != nil {
		return "", twinfed.Errorf(twinfed.EINVALID, "not a picture: %v", err)
	}
	ref, err := s.blobs.Put(ctx, bytes.NewReader(b), int64(len(b))+1)
	return ref.Hash, err
}

func pendingKey(username, hash string) string {
	return store.PrefixEventPhoto + "u/" + username + "/" + hash
}

// photosOf resolves the photos' hashes a form sends for an event of
// username: a photo the event has already, or one the member uploaded in
// the last day. Anything else is refused.
func photosOf(txn *badger.Txn, username string, hashes []string, had []twinfed.EventPhoto) ([]twinfed.EventPhoto, error) {
	var out []twinfed.EventPhoto
	for _, h := range hashes {
		if h == "" || slices.ContainsFunc(out, func(p twinfed.EventPhoto) bool { return p.Hash == h }) {
			continue
		}
		if i := slices.IndexFunc(had, func(p twinfed.EventPhoto) bool { return p.Hash == h }); i >= 0 {
			out = append(out, had[i])
			continue
		}
		var ph twinfed.EventPhoto
		if err := store.GetJSON(txn, pendingKey(username, h), &ph); err != nil {
			if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
				return nil, errPhoto(twinfed.EINVALID, "Upload the event's photos again.")
			}
			return nil, err
		}
		out = append(out, ph)
	}
	return out, nil
}

// notePhotos records, within txn, the blobs e names (ep/<hash> <id>) and
// forgets those old named and e no longer does, which the blob store's
// collector deletes once txn has committed unless something else names
// them.
func (s *Service) notePhotos(txn *badger.Txn, old, e *twinfed.Event) error {
	names := func(ev *twinfed.Event) []string {
		var out []string
		if ev == nil {
			return nil
		}
		for _, p := range ev.Photos {
			out = append(out, p.Hash)
			if p.Thumb != "" {
				out = append(out, p.Thumb)
			}
		}
		return out
	}
	now := names(e)
	var dropped []string
	for _, h := range names(old) {
		if !slices.Contains(now, h) {
			if err := txn.Delete([]byte(store.PrefixEventPhoto + h + " " + e.ID)); err != nil {
				return err
			}
			dropped = append(dropped, h)
		}
	}
	if len(dropped) > 0 {
		s.store.AfterCommit(txn, func() { go s.blobs.Collect(dropped...) })
	}
	for _, h := range now {
		if err := txn.Set([]byte(store.PrefixEventPhoto+h+" "+e.ID), nil); err != nil {
			return err
		}
	}
	return nil
}

// Photo opens a photo (or its thumbnail) of event id for p, who must be of
// its audience: from this node's blob store; for another node's event,
// once the event's home node has given it (fetched then, signed). It
// returns the content,
// its size and modification time, and its media type; the caller closes
// it.
func (s *Service) Photo(ctx context.Context, p *twinfed.Principal, id, hash string) (io.ReadSeekCloser, blob.Info, string, error) {
	none := twinfed.Errorf(twinfed.ENOTFOUND, "There is no such photo.")
	v, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, blob.Info{}, "", err
	}
	mime := ""
	for _, ph := range v.Event.Photos {
		switch hash {
		case ph.Hash:
			mime = ph.Type
		case ph.Thumb:
			mime = "image/jpeg"
		}
	}
	if mime == "" || s.blobs == nil || !blob.ValidHash(hash) {
		return nil, blob.Info{}, "", none
	}
	if s.isLocal(id) {
		f, info, err := s.blobs.Open(ctx, hash)
		return f, info, mime, err
	}
	// Another node's event: this node's copy is shown only once the
	// event's home node has given it (fetchedKey), so that an event cannot
	// show a blob of this store merely by naming its hash.
	home := id[:strings.Index(id, "/events/")]
	fetched := false
	_ = s.store.View(func(txn *badger.Txn) error { fetched = store.Has(txn, fetchedKey(home, hash)); return nil })
	if !fetched {
		if err := s.fetchPhoto(ctx, id, hash); err != nil {
			return nil, blob.Info{}, "", err
		}
		if err := s.store.Update(func(txn *badger.Txn) error { return txn.Set([]byte(fetchedKey(home, hash)), nil) }); err != nil {
			return nil, blob.Info{}, "", err
		}
	}
	f, info, err := s.blobs.Open(ctx, hash)
	return f, info, mime, err
}

// fetchedKey marks the photo hash as given by the node at home.
func fetchedKey(home, hash string) string {
	return store.PrefixEventPhoto + "h/" + twinfed.URLHost(home) + "/" + hash
}

// fetchPhoto copies a photo of event id from its home node into this
// node's blob store, checking its size and its hash.
func (s *Service) fetchPhoto(ctx context.Context, id, hash string) error {
	unavailable := twinfed.Errorf(twinfed.EUNAVAILABLE, "The event's node cannot send this photo now; try again later.")
	if s.fetch == nil {
		return unavailable
	}
	home := id[:strings.Index(id, "/events/")]
	body, _, err := s.fetch(ctx, home+PhotoPath+hash)
	if err != nil {
		s.log.Info("event: fetch a photo", "event", id, "hash", hash, "err", err)
		return unavailable
	}
	defer body.Close()
	defer s.blobs.HoldHash(hash)()
	ref, err := s.blobs.Put(ctx, body, twinfed.EventPhotoMaxBytes)
	if err != nil {
		s.log.Info("event: store a photo", "event", id, "hash", hash, "err", err)
		return unavailable
	}
	if ref.Hash != hash { // not what the event names: drop it unless something else names it
		s.log.Warn("event: a photo's home node sent other content", "event", id, "want", hash, "got", ref.Hash)
		go s.blobs.Collect(ref.Hash)
		return unavailable
	}
	return nil
}

// ServesPhoto reports whether this node gives the photo hash to the node
// at host: some event of this node names it and host's node is of its
// audience.
func (s *Service) ServesPhoto(ctx context.Context, host, hash string) bool {
	if !blob.ValidHash(hash) {
		return false
	}
	var ids []string
	_ = s.store.View(func(txn *badger.Txn) error {
		for _, k := range store.KeysUnder(txn, store.PrefixEventPhoto+hash+" ", 0) {
			ids = append(ids, k)
		}
		return nil
	})
	for _, id := range ids {
		e, ok := s.idx.get(id)
		if !ok || !s.isLocal(e.ID) {
			continue
		}
		for _, a := range s.audienceNodes(ctx, e) {
			if twinfed.URLHost(a) == host {
				return true
			}
		}
	}
	return false
}
