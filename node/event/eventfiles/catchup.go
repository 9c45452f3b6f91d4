package eventfiles

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/event/eventforum"
	"github.com/twinfed/twinfed/node/store"
)

// The archive's catch-up, run with the event forum's (eventforum.Part: the
// same due events, runs and retries). A node that missed announces (it was
// offline, or its member was confirmed after the first files) pages
// through the archive's changes on the event's home node: signed GETs of
// CatchUpPath, served only to the nodes of the event's confirmed
// participants. The home node keeps a change log per event, ordered by
// its own time (ea/k/), with one entry per file: its record while it
// lives, its tombstone (Deleted, without its name) once deleted; a node
// asks for the changes since its cursor (ea/c/<event id>: the home node's
// time at the start of its last complete catch-up, asked a minute early).
// Each change is kept as an Announce of it would be (keep), so a catch-up
// is idempotent, and the bytes are fetched on the first download.

// CatchUpPath is where an event's home node serves its archive's changes
// to the nodes of its participants (signed GETs): ?event=<id>&since=<RFC
// 3339>&after=<cursor>&limit=<n>.
const CatchUpPath = "/event-files/catch-up"

// margin is how far before its cursor a catch-up asks again: a change the
// home node dated just before it and committed just after is not missed.
const margin = time.Minute

// changeTime is the change log's time in its keys: fixed width, so that
// the keys sort by time.
const changeTime = "2006-01-02T15:04:05.000000000Z"

// Change is an entry of an archive's change log: a file's record, or the
// tombstone of a deleted one (Deleted set; no name, type or hashes), and
// the home node's time of the change.
type Change struct {
	At time.Time `json:"at"`
	twinfed.EventFile
}

// CatchUpPage is a page of an archive's changes that its home node serves.
type CatchUpPage struct {
	Changes []*Change `json:"changes"`
	Next    string    `json:"next,omitempty"` // "" at the end
	AsOf    time.Time `json:"as_of"`          // the home node's time
}

func changesOf(event string) string { return store.PrefixEventFile + "k/" + event + "/" }

func (c *Change) suffix() string { return c.At.UTC().Format(changeTime) + "/" + c.ID }

func changeIndexKey(file string) string { return store.PrefixEventFile + "l/" + file }

func cursorKey(event string) string { return store.PrefixEventFile + "c/" + event }

// logChange records, on the event's home node, the change of f (kept, or
// deleted when f.Deleted) in its event's change log, in place of the
// file's earlier entry.
func (s *Service) logChange(txn *badger.Txn, f *twinfed.EventFile) error {
	if !s.events.IsHome(f.Event) {
		return nil
	}
	old, ok, err := store.GetString(txn, changeIndexKey(f.ID))
	if err != nil {
		return err
	}
	if ok {
		if err := txn.Delete([]byte(old)); err != nil {
			return err
		}
	}
	c := &Change{At: s.now().UTC(), EventFile: *f}
	if f.Deleted {
		c.EventFile = twinfed.EventFile{ID: f.ID, Event: f.Event, Uploader: f.Uploader, Published: f.Published, Deleted: true}
	}
	key := changesOf(f.Event) + c.suffix()
	if err := store.SetJSON(txn, key, c); err != nil {
		return err
	}
	return txn.Set([]byte(changeIndexKey(f.ID)), []byte(key))
}

// logEarlier puts in the change log the live files of this node's events
// that are not in it: files recorded before the log existed (a store
// written before session 14's catch-up), which would otherwise reach only
// the nodes their announces reached. Each is logged at the present time,
// so that every node whose cursor is older takes it on its next catch-up.
// It runs when the archive starts (New); a file already logged is left as it
// is, so a second run writes nothing. A file deleted before the log
// existed cannot be logged: its tombstone (ea/x/) names no event.
func (s *Service) logEarlier() (int, error) {
	var missing []*twinfed.EventFile
	err := s.store.View(func(txn *badger.Txn) error {
		return store.EachJSON(txn, store.PrefixEventFile+"r/", func(f *twinfed.EventFile) error {
			if s.events.IsHome(f.Event) && !store.Has(txn, changeIndexKey(f.ID)) {
				missing = append(missing, f)
			}
			return nil
		})
	})
	logged := 0
	for len(missing) > 0 && err == nil {
		chunk := missing[:min(len(missing), 500)]
		missing = missing[len(chunk):]
		err = s.store.Update(func(txn *badger.Txn) error {
			n := 0
			for _, f := range chunk {
				if store.Has(txn, changeIndexKey(f.ID)) {
					continue
				}
				if err := s.logChange(txn, f); err != nil {
					return err
				}
				n++
			}
			s.store.AfterCommit(txn, func() { logged += n })
			return nil
		})
	}
	return logged, err
}

// Served returns, on the event's home node, up to limit changes (200 when
// 0, at most 500) of the archive of event id made at or after since,
// after the cursor after, for the node at host, which must host a
// confirmed participant.
// Errors: ENOTFOUND (no such event of this node), EFORBIDDEN.
func (s *Service) Served(ctx context.Context, host, id string, since time.Time, after string, limit int) (*CatchUpPage, error) {
	if limit <= 0 {
		limit = 200
	}
	limit = min(limit, 500)
	out := &CatchUpPage{AsOf: s.now().UTC()}
	err := s.store.View(func(txn *badger.Txn) error {
		e, err := eventforum.HomeEventFor(ctx, txn, s.events, id, host, "Only the nodes of the event's confirmed participants catch up on its files.")
		if err != nil {
			return err
		}
		if after == "" && !since.IsZero() {
			after = since.UTC().Format(changeTime) // before every change at since
		}
		prefix := changesOf(e.ID)
		out.Changes, out.Next, err = store.PageJSON(txn, prefix, prefix, after, limit, (*Change).suffix, nil)
		return err
	})
	return out, err
}

// CatchUp takes the changes to the archive of event id on its home node
// since this node's cursor, keeps them as their announces would be kept,
// and moves the cursor. It returns how many records it stored or removed
// (eventforum.Part).
func (s *Service) CatchUp(ctx context.Context, fetch directory.Fetcher, id string) (int, error) {
	u, err := url.Parse(id)
	if err != nil || u.Host == "" || s.events.IsHome(id) {
		return 0, nil
	}
	home := u.Scheme + "://" + u.Host
	var since time.Time
	if err := s.store.View(func(txn *badger.Txn) error {
		if _, err := s.events.Event(txn, id); err != nil {
			return err
		}
		v, ok, err := store.GetString(txn, cursorKey(id))
		if err == nil && ok {
			since, err = time.Parse(time.RFC3339Nano, v)
			since = since.Add(-margin)
		}
		return err
	}); err != nil {
		return 0, err
	}
	var asOf time.Time
	stored := 0
	q := home + CatchUpPath + "?event=" + url.QueryEscape(id) + "&limit=200&after="
	if !since.IsZero() {
		q = home + CatchUpPath + "?event=" + url.QueryEscape(id) + "&since=" + url.QueryEscape(since.UTC().Format(time.RFC3339Nano)) + "&limit=200&after="
	}
	err = directory.BackfillPages(ctx, s.store.Update, fetch, q, "event files catch-up from "+u.Host,
		func(pg *CatchUpPage) string { return pg.Next },
		func(txn *badger.Txn, pg *CatchUpPage) error {
			if asOf.IsZero() {
				asOf = pg.AsOf
			}
			for _, c := range pg.Changes {
				if err := s.caughtUp(id, &c.EventFile); err != nil {
					s.log.Warn("eventfiles: catch-up: a change left out", "from", u.Host, "err", err)
					continue
				}
				changed, err := s.keep(txn, &c.EventFile)
				if err != nil {
					return err
				}
				if changed {
					stored++
				}
			}
			return nil
		})
	if err != nil || asOf.IsZero() {
		return stored, err
	}
	err = s.store.Update(func(txn *badger.Txn) error {
		return txn.Set([]byte(cursorKey(id)), []byte(asOf.UTC().Format(time.RFC3339Nano)))
	})
	return stored, err
}

// caughtUp checks a change of the archive of event id that its home node
// served: a record as its announce would be checked, a tombstone by its
// id, its uploader and its event.
func (s *Service) caughtUp(id string, f *twinfed.EventFile) error {
	switch {
	case f.Event != id:
		return twinfed.Errorf(twinfed.EINVALID, "event file %s is not a file of event %s", f.ID, id)
	case f.Uploader == "" || !strings.HasPrefix(f.ID, uploaderBase(f.Uploader)+"/event-files/"):
		return twinfed.Errorf(twinfed.EINVALID, "event file %s: its uploader and its id disagree", f.ID)
	case f.Deleted:
		return nil
	}
	f.Published = f.Published.UTC()
	return twinfed.CheckEventFile(f, s.cfg.MaxFileBytes)
}

// keep takes, on a participant's node, a record of the event's home node
// (announced or caught up): a live one is kept unless known, a deleted one
// removes the record and is remembered. It reports whether anything
// changed.
func (s *Service) keep(txn *badger.Txn, f *twinfed.EventFile) (bool, error) {
	if f.Deleted {
		old, err := find(txn, f.Event, f.ID)
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			if store.Has(txn, goneKey(f.ID)) {
				return false, nil
			}
			return true, txn.Set([]byte(goneKey(f.ID)), nil)
		}
		if err != nil {
			return false, err
		}
		return true, s.remove(txn, old)
	}
	if s.Has(txn, f.ID) {
		return false, nil
	}
	return true, put(txn, f)
}
