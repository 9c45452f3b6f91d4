package eventplaces

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// Path is where the home node serves an event's counts to the nodes of
// its audience: /events/<the id's last segment>/places, signed GETs only.
const Path = "/events/{id}/places"

// TTL is how long a member's node keeps the counts of another node's
// event (or the failure to get them); Timeout bounds the request for them.
const (
	TTL     = 10 * time.Second
	Timeout = 2 * time.Second
)

// maxEntries is the number of entries above which the expired ones are
// swept out of the cache.
const maxEntries = 1024

// Counts are an event's places as its home node has them: the answer of
// Path.
type Counts struct {
	Confirmed int `json:"confirmed"`
	Waiting   int `json:"waiting"`
	Capacity  int `json:"capacity"`
	// Attended are, for a certifying event, the members of the asking node
	// whom the organiser (or the meeting room) recorded as present: their
	// node offers them the certificate (node/event/eventcert).
	Attended []string `json:"attended,omitempty"`
}

// Deps are what the counts of places are built on.
type Deps struct {
	Events   *event.Service
	Store    *store.Store
	Registry twinfed.Registry // the signing nodes' countries; nil: only the nodes the events name are served
	// Fetch makes signed GETs to other nodes (the federation's Get); nil:
	// the counts of other nodes' events are not asked for.
	Fetch   func(ctx context.Context, rawURL string) ([]byte, error)
	Fetches *prometheus.CounterVec // by result; nil: not counted
	Logger  *slog.Logger
	Now     func() time.Time // nil: time.Now
}

// Service serves this node's events' counts to other nodes and asks other
// nodes for theirs. It is safe for concurrent use.
type Service struct {
	d       Deps
	mu      sync.Mutex
	cache   map[string]*entry // by event id
	failing map[string]bool   // the home nodes (hosts) whose last answer failed
}

// entry is one event's counts, asked for or being asked for.
type entry struct {
	done    chan struct{} // closed once the answer (or the failure) is in
	fetched time.Time     // when it came; zero while asked (under Service.mu)
	counts  Counts
	ok      bool
}

// New builds the counts of places.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{d: d, cache: map[string]*entry{}, failing: map[string]bool{}}
}

// Count sets v's Confirmed and Waiting, of another node's event, from its
// home node (Get): false when that node cannot say now.
func (s *Service) Count(ctx context.Context, v *event.View) bool {
	c, ok := s.Get(ctx, v.Event)
	if ok {
		v.Confirmed, v.Waiting = c.Confirmed, c.Waiting
	}
	return ok
}

// Get returns the counts of e, another node's event, from its home node:
// as kept for up to TTL, else asked for (once, however many ask at the
// same time). ok is false when the home node could not say (within
// Timeout) or ctx ended first.
func (s *Service) Get(ctx context.Context, e *twinfed.Event) (Counts, bool) {
	if s.d.Fetch == nil {
		return Counts{}, false
	}
	now := s.d.Now()
	s.mu.Lock()
	en := s.cache[e.ID]
	ask := en == nil || !en.fetched.IsZero() && now.Sub(en.fetched) >= TTL
	if ask {
		if len(s.cache) >= maxEntries {
			s.sweep(now)
		}
		en = &entry{done: make(chan struct{})}
		s.cache[e.ID] = en
	}
	s.mu.Unlock()
	if ask {
		// The request is the node's, not the page's: it goes on for the
		// pages waiting for it when the one that started it has gone.
		go s.fetch(context.WithoutCancel(ctx), e, en)
	}
	select {
	case <-en.done:
		return en.counts, en.ok
	case <-ctx.Done():
		return Counts{}, false
	}
}

// Attended reports whether actor, a member of this node, was recorded as
// present at e, another node's certifying event, as its home node says
// (Get); known is false when that node cannot say now.
func (s *Service) Attended(ctx context.Context, e *twinfed.Event, actor string) (attended, known bool) {
	c, ok := s.Get(ctx, e)
	return ok && slices.Contains(c.Attended, actor), ok
}

// Forget drops what is kept of event id's counts: the home node has
// answered a booking of this node's, and the next page asks again. A
// request under way still answers the pages waiting for it.
func (s *Service) Forget(id string) {
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
}

// sweep drops the expired entries (under s.mu).
func (s *Service) sweep(now time.Time) {
	for id, en := range s.cache {
		if !en.fetched.IsZero() && now.Sub(en.fetched) >= TTL {
			delete(s.cache, id)
		}
	}
}

// fetch asks e's home node for its counts and fills en.
func (s *Service) fetch(ctx context.Context, e *twinfed.Event, en *entry) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	host := twinfed.URLHost(e.ID)
	body, err := s.d.Fetch(ctx, e.ID+"/places")
	result := "ok"
	switch {
	case err != nil && (twinfed.ErrorCode(err) == twinfed.EUNAVAILABLE || ctx.Err() != nil):
		result = "unavailable"
	case err != nil:
		result = "refused"
	default:
		if err = json.Unmarshal(body, &en.counts); err != nil || en.counts.Confirmed < 0 || en.counts.Waiting < 0 {
			result, en.counts = "bad_answer", Counts{}
		}
	}
	if s.d.Fetches != nil {
		s.d.Fetches.WithLabelValues(result).Inc()
	}
	s.mu.Lock()
	en.ok, en.fetched = result == "ok", s.d.Now()
	was := s.failing[host]
	if en.ok {
		delete(s.failing, host)
	} else {
		s.failing[host] = true
	}
	s.mu.Unlock()
	close(en.done)
	switch {
	case !en.ok && !was: // once, until it answers again
		s.d.Logger.Warn("eventplaces: a home node does not give its events' counts of places; their pages here say the places cannot be shown",
			"node", host, "event", e.ID, "result", result, "err", err)
	case en.ok && was:
		s.d.Logger.Info("eventplaces: a home node gives its events' counts of places again", "node", host)
	}
}

// ServeHTTP serves the counts of an event of this node to a node of its
// audience that asks with a signed GET of Path.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := s.d.Events.EventID(r.PathValue("id"))
	var (
		e        *twinfed.Event
		b        *event.Bookings
		attended []event.Booking
	)
	err := s.d.Store.View(func(txn *badger.Txn) error {
		var err error
		if e, err = s.d.Events.Event(txn, id); err != nil {
			return err
		}
		if b, err = s.d.Events.Counts(txn, id); err != nil || !e.Certifying {
			return err
		}
		attended, err = s.d.Events.Attended(txn, e)
		return err
	})
	if twinfed.ErrorCode(err) == twinfed.ENOTFOUND || err == nil && !s.d.Events.IsHome(e.ID) {
		w.Header().Set(twinfed.HeaderNotFound, "record") // the route is served
		http.Error(w, "No such event on this node.", http.StatusNotFound)
		return
	}
	if err != nil {
		s.d.Logger.Error("eventplaces: read an event's counts", "event", id, "err", err)
		http.Error(w, "The counts cannot be read now.", http.StatusServiceUnavailable)
		return
	}
	host, _ := web.Signer(r.Context())
	country, err := s.country(r.Context(), e, host)
	if err != nil {
		http.Error(w, "The registry cannot be asked now.", http.StatusServiceUnavailable)
		return
	}
	if !twinfed.CanNodeSeeEvent(e, host, country) {
		http.Error(w, "Your node is not of this event's audience.", http.StatusForbidden)
		return
	}
	c := Counts{Confirmed: b.Confirmed, Waiting: b.Waiting, Capacity: e.Capacity}
	for _, a := range attended {
		if twinfed.URLHost(a.Actor) == host { // only the asking node's own members
			c.Attended = append(c.Attended, a.Actor)
		}
	}
	web.WriteJSON(w, http.StatusOK, c)
}

// country is the code of the active country whose node is at host, as
// the registry lists it, when e's audience depends on it ("" otherwise,
// or when no active node is there).
func (s *Service) country(ctx context.Context, e *twinfed.Event, host string) (string, error) {
	if s.d.Registry == nil || host == "" || e.Audience != twinfed.AudienceAll && e.Audience != twinfed.AudienceCountries {
		return "", nil
	}
	c, err := s.d.Registry.CountryByHost(ctx, host)
	switch {
	case twinfed.ErrorCode(err) == twinfed.ENOTFOUND:
		return "", nil
	case err != nil:
		return "", err
	case !c.Active:
		return "", nil
	}
	return c.Code, nil
}
