package eventfiles

import (
	"context"
	"io"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/store"
)

// Downloads: on the uploader's node from its blob store; elsewhere from
// this node's copy, fetched signed from the uploader's node the first
// time (its hash and size checked), and marked as given by that node so
// that a record cannot show a blob of this store merely by naming its
// hash.

// Open returns the content of file of event id (its thumbnail when thumb)
// for p, who must be the organiser or a confirmed participant, with the
// blob's Info and the record; the caller closes it.
func (s *Service) Open(ctx context.Context, p *twinfed.Principal, id, file string, thumb bool) (io.ReadSeekCloser, blob.Info, *twinfed.EventFile, error) {
	var f *twinfed.EventFile
	err := s.store.View(func(txn *badger.Txn) error {
		if _, err := s.allowed(txn, id, actorOf(s.base, p), false); err != nil {
			return err
		}
		var err error
		f, err = find(txn, id, file)
		return err
	})
	if err != nil {
		return nil, blob.Info{}, nil, err
	}
	hash, size := f.Hash, f.Size
	if thumb {
		hash, size = f.Thumb, 0
	}
	if hash == "" || s.blobs == nil {
		return nil, blob.Info{}, nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such file.")
	}
	origin := uploaderBase(f.Uploader)
	if twinfed.URLHost(origin) == twinfed.URLHost(s.base) {
		r, info, err := s.blobs.Open(ctx, hash)
		return r, info, f, err
	}
	key := fetchedKey(twinfed.URLHost(origin), hash)
	fetched := false
	_ = s.store.View(func(txn *badger.Txn) error { fetched = store.Has(txn, key); return nil })
	if fetched {
		r, info, err := s.blobs.Open(ctx, hash)
		if twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			return r, info, f, err
		}
	}
	if err := s.copyFrom(ctx, origin, hash, size); err != nil {
		return nil, blob.Info{}, nil, err
	}
	if err := s.store.Update(func(txn *badger.Txn) error { return txn.Set([]byte(key), nil) }); err != nil {
		return nil, blob.Info{}, nil, err
	}
	r, info, err := s.blobs.Open(ctx, hash)
	return r, info, f, err
}

// copyFrom copies the blob hash (of size bytes, 0: unknown) from the node
// at origin into this node's blob store.
func (s *Service) copyFrom(ctx context.Context, origin, hash string, size int64) error {
	unavailable := twinfed.Errorf(twinfed.EUNAVAILABLE, "The node of the file's author cannot send it now; try again later.")
	if s.fetch == nil {
		return unavailable
	}
	body, _, err := s.fetch(ctx, origin+BlobPath+hash)
	if err != nil {
		s.log.Info("eventfiles: fetch a file", "origin", origin, "hash", hash, "err", err)
		return unavailable
	}
	defer body.Close()
	defer s.blobs.HoldHash(hash)()
	ref, err := s.blobs.Put(ctx, body, s.cfg.MaxFileBytes+1)
	if err != nil {
		s.log.Info("eventfiles: store a fetched file", "origin", origin, "hash", hash, "err", err)
		return unavailable
	}
	if ref.Hash != hash || (size > 0 && ref.Size != size) {
		s.log.Warn("eventfiles: a node sent another file", "origin", origin, "want", hash, "got", ref.Hash)
		go s.blobs.Collect(ref.Hash)
		return unavailable
	}
	return nil
}

// ServesTo reports whether this node gives the blob hash to the node at
// host: a live record of a file uploaded here names it (file or
// thumbnail), and host is the event's home node or a node of its
// audience (the nodes of its confirmed participants are among them).
func (s *Service) ServesTo(ctx context.Context, host, hash string) bool {
	if !blob.ValidHash(hash) || host == "" {
		return false
	}
	var events []*twinfed.Event
	_ = s.store.View(func(txn *badger.Txn) error {
		for _, k := range store.KeysUnder(txn, store.PrefixEventFile+"h/"+hash+" ", 0) {
			key, ok, err := store.GetString(txn, idKey(k))
			if err != nil || !ok {
				continue
			}
			var f twinfed.EventFile
			if store.GetJSON(txn, key, &f) != nil || twinfed.URLHost(uploaderBase(f.Uploader)) != twinfed.URLHost(s.base) {
				continue
			}
			if e, err := s.events.Event(txn, f.Event); err == nil {
				events = append(events, e)
			}
		}
		return nil
	})
	for _, e := range events {
		if s.inAudience(ctx, e, host) {
			return true
		}
	}
	return false
}

// inAudience reports whether the node at host is e's home node or a node
// of its audience (twinfed.CanNodeSeeEvent, with host's country as the
// registry lists it).
func (s *Service) inAudience(ctx context.Context, e *twinfed.Event, host string) bool {
	country := ""
	if s.reg != nil && (e.Audience == twinfed.AudienceAll || e.Audience == twinfed.AudienceCountries) {
		if c, err := s.reg.CountryByHost(ctx, host); err == nil && c.Active {
			country = c.Code
		}
	}
	return twinfed.CanNodeSeeEvent(e, host, country)
}
