package eventforum

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// The forum's catch-up. A node that missed announces (it was offline, or
// its member was confirmed after the first messages) pages through the
// forum on the event's home node: signed GETs of CatchUpPath, served only
// to the nodes of the event's confirmed participants, which give every
// message (tombstones too) changed since the node's durable cursor for
// the event (et/c/<event id>: the home node's time at the start of the
// last complete catch-up). Each message is kept when newer than the copy
// here (newer), so a catch-up is idempotent and never undoes a later
// announce. A catch-up is due (et/d/<event id>) when the home node
// confirms a member of this node (Due), and for every event with a
// confirmed member of this node when the node starts and every interval
// after (Run); a failed one is tried again soon, then less often. The
// event's other tools that federate through the home node (the file
// archive) register as a Part (Also) and are caught up in the same runs,
// with their own cursors: an event stays due until all have succeeded.

// CatchUpPath is where an event's home node serves its forum to the
// nodes of its participants (signed GETs): ?event=<id>&since=<RFC 3339>
// &after=<cursor>&limit=<n>.
const CatchUpPath = "/event-forums/catch-up"

// HomeEventFor returns, within txn, the event id of this node for a
// catch-up by the node at host, which must host one of its confirmed
// participants (EFORBIDDEN with refusal otherwise; ENOTFOUND for an event
// that is not this node's): the rule of every tool's catch-up.
func HomeEventFor(ctx context.Context, txn *badger.Txn, events *event.Service, id, host, refusal string) (*twinfed.Event, error) {
	e, err := events.Event(txn, id)
	if err != nil || !events.IsHome(e.ID) {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such event on this node.")
	}
	for _, n := range events.ParticipantNodes(ctx, txn, e) {
		if twinfed.URLHost(n) == host {
			return e, nil
		}
	}
	return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "%s", refusal)
}

// ServeCatchUp is the handler of a tool's catch-up route (behind the
// signature check): it reads ?event, since (RFC 3339), after and limit
// and answers with served's page for the node that signed the request.
// An unknown event is a 404 marked twinfed.HeaderNotFound, so that the
// asking node goes on catching up on this node's other events.
func ServeCatchUp[P any](served func(ctx context.Context, host, event string, since time.Time, after string, limit int) (P, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		host, _ := web.Signer(r.Context())
		q := r.URL.Query()
		var since time.Time
		if v := q.Get("since"); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				web.APIFail(w, twinfed.Errorf(twinfed.EINVALID, "since must be a time in RFC 3339 form, such as 2026-01-02T15:04:05Z."))
				return
			}
			since = t
		}
		limit, _ := strconv.Atoi(q.Get("limit"))
		page, err := served(r.Context(), host, q.Get("event"), since, q.Get("after"), limit)
		if err != nil {
			if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
				w.Header().Set(twinfed.HeaderNotFound, "record") // the route is served
			}
			web.APIFail(w, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, page)
	}
}

// margin is how far before its cursor a catch-up asks again: a change the
// home node dated just before it and committed just after is not missed.
const margin = time.Minute

// CatchUpPage is a page of an event's forum that its home node serves.
type CatchUpPage struct {
	Posts []*Post   `json:"posts"`
	Next  string    `json:"next,omitempty"` // "" at the end
	AsOf  time.Time `json:"as_of"`          // the home node's time
}

// Served returns, on the event's home node, up to limit messages (200
// when 0, at most 500) of the forum of event id changed at or after
// since, after the cursor after, for the node at host, which must host a
// confirmed participant.
// Errors: ENOTFOUND (no such event of this node), EFORBIDDEN.
func (s *Service) Served(ctx context.Context, host, id string, since time.Time, after string, limit int) (*CatchUpPage, error) {
	if limit <= 0 {
		limit = 200
	}
	limit = min(limit, 500)
	out := &CatchUpPage{AsOf: s.clock()}
	err := s.store.View(func(txn *badger.Txn) error {
		e, err := HomeEventFor(ctx, txn, s.events, id, host, "Only the nodes of the event's confirmed participants catch up on its forum.")
		if err != nil {
			return err
		}
		prefix := store.PrefixEventPost + e.ID + "/"
		out.Posts, out.Next, err = store.PageJSON(txn, prefix, prefix, after, limit, cursor,
			func(p *Post) bool { return !p.version().Before(since) })
		return err
	})
	return out, err
}

// homeOf is the base URL of the node an event lives on.
func homeOf(id string) string {
	u, err := url.Parse(id)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// CatchUp takes the changes to the forum of event id on its home node
// since this node's cursor, keeps those newer than its copies, and moves
// the cursor. It returns how many messages it stored.
func (s *Service) CatchUp(ctx context.Context, fetch directory.Fetcher, id string) (int, error) {
	home := homeOf(id)
	if home == "" || s.events.IsHome(id) {
		return 0, nil
	}
	var since time.Time
	if err := s.store.View(func(txn *badger.Txn) error {
		v, ok, err := store.GetString(txn, cursorKey(id))
		if err == nil && ok {
			since, err = time.Parse(time.RFC3339, v)
			since = since.Add(-margin)
		}
		return err
	}); err != nil {
		return 0, err
	}
	host := twinfed.URLHost(home)
	var asOf time.Time
	stored := 0
	u := home + CatchUpPath + "?event=" + url.QueryEscape(id) + "&since=" + url.QueryEscape(since.UTC().Format(time.RFC3339)) + "&limit=200&after="
	err := directory.BackfillPages(ctx, s.store.Update, fetch, u, "event forum catch-up from "+host,
		func(pg *CatchUpPage) string { return pg.Next },
		func(txn *badger.Txn, pg *CatchUpPage) error {
			if asOf.IsZero() {
				asOf = pg.AsOf
			}
			for _, p := range pg.Posts {
				if p.Event != id || p.Published.IsZero() || utf8.RuneCountInString(p.Text) > maxText || (p.Text == "") != p.Deleted {
					return fmt.Errorf("event forum catch-up from %s: %s is not a message of event %s", host, p.ID, id)
				}
				ok, err := keep(txn, p)
				if err != nil {
					return err
				}
				if ok {
					stored++
				}
			}
			return nil
		})
	if err != nil {
		return stored, err
	}
	if !asOf.IsZero() {
		err = s.store.Update(func(txn *badger.Txn) error {
			return txn.Set([]byte(cursorKey(id)), []byte(asOf.UTC().Format(time.RFC3339)))
		})
	}
	return stored, err
}

// Part is another of an event's tools whose records a participant's node
// takes from the event's home node (the file archive): it is caught up
// whenever the forum is, on the same due events, runs and retries.
type Part interface {
	// CatchUp takes the changes to the tool's records of event id since
	// its own cursor, keeps them and moves the cursor, and returns how
	// many it stored; EFORBIDDEN or ENOTFOUND when the home node refuses.
	CatchUp(ctx context.Context, fetch directory.Fetcher, id string) (int, error)
}

// Also adds the part named name to the catch-ups Run makes; call it at
// assembly, before Run.
func (s *Service) Also(name string, p Part) {
	s.parts = append(s.parts, namedPart{name, p})
}

type namedPart struct {
	name string
	Part
}

func cursorKey(id string) string { return store.PrefixEventPost + "c/" + id }
func dueKey(id string) string    { return store.PrefixEventPost + "d/" + id }

// Due marks, within txn, a catch-up of the forum of event id as due, and
// wakes Run once txn commits.
func (s *Service) Due(txn *badger.Txn, id string) error {
	if s.events.IsHome(id) {
		return nil
	}
	if err := txn.Set([]byte(dueKey(id)), nil); err != nil {
		return err
	}
	s.store.AfterCommit(txn, s.wake)
	return nil
}

// OnAnswer marks a catch-up due when a's answer of an event's home node
// confirms a member of this node (the node's inbox calls it after the
// events' ApplyAnswer, in its transaction).
func (s *Service) OnAnswer(txn *badger.Txn, a *twinfed.Activity) error {
	if a.Type != twinfed.ActivityAccept || twinfed.BookingState(a.Summary) != twinfed.BookingConfirmed {
		return nil
	}
	for _, to := range a.To {
		if twinfed.URLHost(to) == twinfed.URLHost(s.base) {
			return s.Due(txn, a.Target)
		}
	}
	return nil
}

// wake tells Run that a catch-up is due.
func (s *Service) wake() {
	select {
	case s.woken <- struct{}{}:
	default:
	}
}

// staleAfter is how long after its start an event's forum is still
// caught up periodically: later, only a confirmation does.
const staleAfter = 30 * 24 * time.Hour

// dueAll marks a catch-up due for every event of another node in which a
// member of this node holds a confirmed place, not cancelled and started
// at most staleAfter ago.
func (s *Service) dueAll() error {
	return s.store.Update(func(txn *badger.Txn) error {
		seen := map[string]bool{}
		for _, k := range store.KeysUnder(txn, store.PrefixMyEvent, 0) {
			i := strings.IndexByte(k, '/')
			if i < 0 || seen[k[i+1:]] {
				continue
			}
			id := k[i+1:]
			if st, _, _ := store.GetString(txn, store.PrefixMyEvent+k); twinfed.BookingState(st) != twinfed.BookingConfirmed {
				continue
			}
			if e, err := s.events.Event(txn, id); err != nil || e.Cancelled || e.Start.Add(staleAfter).Before(s.now()) {
				continue
			}
			seen[id] = true
			if err := s.Due(txn, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Run catches up, until ctx ends, on the forums (and the parts added with
// Also) whose catch-up is due:
// when Due wakes it, for every event with a confirmed member of this node
// a few seconds after it starts and then every interval (at most once an
// hour when every is 0 or more), and again after a failure, sooner at
// first then less often (10 seconds, doubling to 5 minutes).
func (s *Service) Run(ctx context.Context, fetch directory.Fetcher, every time.Duration) {
	if every <= 0 || every > time.Hour {
		every = time.Hour
	}
	next, retry := time.Now().Add(2*time.Second), 10*time.Second
	var again <-chan time.Time
	for {
		wait := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			wait.Stop()
			return
		case <-s.woken:
		case <-again:
			again = nil
		case <-wait.C:
			if err := s.dueAll(); err != nil {
				s.log.Warn("event forum: catch-up", "err", err)
			}
			next = time.Now().Add(every)
		}
		wait.Stop()
		if err := s.catchUpDue(ctx, fetch); err != nil {
			s.log.Info("event forum: catch-up incomplete; retrying", "in", retry, "err", err)
			again, retry = time.After(retry), min(2*retry, 5*time.Minute)
		} else {
			retry = 10 * time.Second
		}
	}
}

// catchUpDue runs every catch-up due; it returns the first error (the
// others are still run).
func (s *Service) catchUpDue(ctx context.Context, fetch directory.Fetcher) error {
	var due []string
	_ = s.store.View(func(txn *badger.Txn) error {
		due = store.KeysUnder(txn, dueKey(""), 0)
		return nil
	})
	parts := append([]namedPart{{"forum", s}}, s.parts...)
	var first error
	for _, id := range due {
		done := true
		for _, p := range parts {
			name := p.name
			n, err := p.CatchUp(ctx, fetch, id)
			if n > 0 {
				s.log.Info("event catch-up: caught up", "part", name, "event", id, "stored", n)
			}
			if c := twinfed.ErrorCode(err); c == twinfed.EFORBIDDEN || c == twinfed.ENOTFOUND {
				// No longer a participant's node, or no such event there.
				s.log.Info("event catch-up: refused", "part", name, "event", id, "err", err)
				err = nil
			}
			if err != nil {
				done = false
				if first == nil {
					first = fmt.Errorf("%s: %w", name, err)
				}
			}
		}
		if done {
			if err := s.store.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(dueKey(id))) }); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}
