package federation

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// DestinationStatus is the health of deliveries to one destination node, as
// `twinfed admin federation status` shows it (JSON or a table).
type DestinationStatus struct {
	Destination string        `json:"destination"`          // host[:port] of the node
	Depth       int           `json:"depth"`                // deliveries waiting
	Oldest      time.Time     `json:"oldest,omitzero"`      // when the oldest waiting delivery was queued
	OldestAge   time.Duration `json:"oldest_age"`           // its age
	Parked      int           `json:"parked"`               // deliveries given up, awaiting an operator
	Critical    int           `json:"critical"`             // of which approvals, refusals and deletions
	BreakerOpen bool          `json:"breaker_open"`         // the circuit is open: no requests until OpenUntil
	OpenUntil   time.Time     `json:"open_until,omitzero"`  // end of the current open period
	Failures    int           `json:"failures"`             // consecutive failed attempts
	LastError   string        `json:"last_error,omitempty"` // the last failure, as the destination answered it
	LastErrorAt time.Time     `json:"last_error_at,omitzero"`
	LastSuccess time.Time     `json:"last_success,omitzero"`
	// Batches is true while the destination, a Twinfed node that
	// advertised its batch inbox, gets several activities a request.
	Batches bool `json:"batches,omitempty"`
	// NotServed lists the parts of the node's URL space (the first path
	// segment, e.g. /directory for the directory backfill) that answered
	// 404 or 410 to signed GETs, which Get does not ask again before
	// their Until.
	NotServed []NotServed `json:"not_served,omitempty"`
}

// NotServed is a part of a node's URL space that answered 404 or 410.
type NotServed struct {
	Prefix   string    `json:"prefix"`   // e.g. /directory
	Status   string    `json:"status"`   // the last answer, e.g. "404 Not Found"
	Failures int       `json:"failures"` // answers so in a row
	Since    time.Time `json:"since"`    // the first of them
	Until    time.Time `json:"until"`    // not asked again before
}

// ParkedDelivery is one parked delivery.
type ParkedDelivery struct {
	Destination string    `json:"destination"`
	ActivityID  string    `json:"activity"`
	Type        string    `json:"type"`
	Enqueued    time.Time `json:"enqueued"`
	Parked      time.Time `json:"parked"`
	Attempts    int       `json:"attempts"`
	Reason      string    `json:"reason"`
}

// Status returns the health of every destination that has deliveries
// waiting or parked, or has been delivered to since Start, sorted by host.
// It reads the queue from Badger, so it is right before Start too.
func (o *Outbox) Status() []DestinationStatus {
	byHost := map[string]*DestinationStatus{}
	get := func(h string) *DestinationStatus {
		s, ok := byHost[h]
		if !ok {
			s = &DestinationStatus{Destination: h}
			byHost[h] = s
		}
		return s
	}
	now := o.now()
	err := o.db.View(func(txn *badger.Txn) error {
		for _, prefix := range []string{prefixQueue, prefixPark} {
			opt := badger.DefaultIteratorOptions
			opt.Prefix = []byte(prefix)
			it := txn.NewIterator(opt)
			for it.Rewind(); it.Valid(); it.Next() {
				dest, _, ok := splitQueueKey(prefix, it.Item().Key())
				if !ok {
					continue
				}
				var qi queueItem
				if err := it.Item().Value(func(v []byte) error { return decodeQueueItem(v, &qi) }); err != nil {
					continue
				}
				s := get(dest)
				if prefix == prefixPark {
					s.Parked++
					if critical(qi.Type) {
						s.Critical++
					}
					continue
				}
				s.Depth++
				if s.Oldest.IsZero() || qi.Enqueued.Before(s.Oldest) {
					s.Oldest = qi.Enqueued
				}
				if qi.LastError != "" && s.LastError == "" {
					s.LastError = qi.LastError
				}
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		o.log.Error("federation: status", "err", err)
	}
	o.mu.Lock()
	dests := make([]*destination, 0, len(o.dests))
	for _, d := range o.dests {
		dests = append(dests, d)
	}
	for _, ns := range o.notServed {
		s := get(ns.host)
		s.NotServed = append(s.NotServed, NotServed{Prefix: ns.prefix, Status: ns.status, Failures: ns.failures, Since: ns.since, Until: ns.until})
	}
	o.mu.Unlock()
	for _, s := range byHost {
		sort.Slice(s.NotServed, func(i, j int) bool { return s.NotServed[i].Prefix < s.NotServed[j].Prefix })
	}
	for _, d := range dests {
		s := get(d.host)
		d.mu.Lock()
		s.Failures = d.failures
		s.BreakerOpen = d.failures >= o.set.BreakerThreshold
		if s.BreakerOpen {
			s.OpenUntil = d.openUntil
		}
		if d.lastError != "" {
			s.LastError, s.LastErrorAt = d.lastError, d.lastErrAt
		}
		s.LastSuccess = d.lastOK
		d.mu.Unlock()
		s.Batches = o.batchInbox(d.host) != ""
	}
	out := make([]DestinationStatus, 0, len(byHost))
	for _, s := range byHost {
		if !s.Oldest.IsZero() {
			s.OldestAge = now.Sub(s.Oldest)
		}
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Destination < out[j].Destination })
	return out
}

// Parked returns the parked deliveries, oldest first; all destinations when
// dest is "".
func (o *Outbox) Parked(dest string) ([]ParkedDelivery, error) {
	var out []ParkedDelivery
	err := o.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte(prefixPark)
		if dest != "" {
			opt.Prefix = []byte(prefixPark + dest + "/")
		}
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var qi queueItem
			if err := it.Item().Value(func(v []byte) error { return decodeQueueItem(v, &qi) }); err != nil {
				return err
			}
			out = append(out, ParkedDelivery{
				Destination: qi.Dest, ActivityID: qi.ActivityID, Type: string(qi.Type),
				Enqueued: qi.Enqueued, Parked: qi.Parked, Attempts: qi.Attempts, Reason: qi.LastError,
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("federation: parked: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Parked.Before(out[j].Parked) })
	return out, nil
}

// Requeue puts the parked deliveries of dest (all when "") back in the queue
// with a fresh retry window, and returns how many.
func (o *Outbox) Requeue(dest string) (int, error) {
	prefix := []byte(prefixPark)
	if dest != "" {
		prefix = []byte(prefixPark + dest + "/")
	}
	n := 0
	err := o.db.Update(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = prefix
		it := txn.NewIterator(opt)
		defer it.Close()
		now := o.now().UTC()
		for it.Rewind(); it.Valid(); it.Next() {
			key := it.Item().KeyCopy(nil)
			d, seq, ok := splitQueueKey(prefixPark, key)
			if !ok {
				continue
			}
			var qi queueItem
			if err := it.Item().Value(func(v []byte) error { return decodeQueueItem(v, &qi) }); err != nil {
				return err
			}
			qi.Parked, qi.Attempts, qi.NextAt, qi.Enqueued = time.Time{}, 0, time.Time{}, now
			v := encodeQueueItem(&qi)
			if err := txn.Delete(key); err != nil {
				return err
			}
			if err := txn.Set(queueKey(prefixQueue, d, seq), v); err != nil {
				return err
			}
			o.m.parked.WithLabelValues(d).Dec()
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("federation: requeue: %w", err)
	}
	o.needFull.Store(true) // Enqueue did not stage them
	o.Notify()
	return n, nil
}

var statusPage = template.Must(template.New("status").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Federation status</title></head><body>
<h1>Federation status</h1>
<table border="1" cellpadding="4">
<tr><th>destination</th><th>depth</th><th>oldest</th><th>parked</th><th>critical</th><th>breaker</th><th>failures</th><th>last error</th><th>last success</th><th>not served</th></tr>
{{range .}}<tr><td>{{.Destination}}</td><td>{{.Depth}}</td><td>{{.OldestAge}}</td><td>{{.Parked}}</td><td>{{.Critical}}</td><td>{{if .BreakerOpen}}open until {{.OpenUntil.Format "15:04:05"}}{{else}}closed{{end}}</td><td>{{.Failures}}</td><td>{{.LastError}}</td><td>{{if not .LastSuccess.IsZero}}{{.LastSuccess.Format "2006-01-02 15:04:05"}}{{end}}</td><td>{{range .NotServed}}{{.Prefix}}: {{.Status}} ×{{.Failures}}, next try after {{.Until.Format "2006-01-02 15:04:05"}}<br>{{end}}</td></tr>
{{else}}<tr><td colspan="10">no destination yet</td></tr>{{end}}
</table></body></html>
`))

// StatusHandler serves Status as JSON (Accept: application/json) or as an
// HTML table, and Parked as JSON at ?parked=1. It has no access control of
// its own: mount it behind the operators' authentication.
func (o *Outbox) StatusHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("parked") != "" {
			p, err := o.Parked(r.URL.Query().Get("destination"))
			if err != nil {
				o.log.Error("federation: parked view", "err", err)
				writeError(w, err)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(p)
			return
		}
		st := o.Status()
		if strings.Contains(r.Header.Get("Accept"), "application/json") {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(st)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		statusPage.Execute(w, st)
	})
}

// AdminHandler is the operators' JSON API for the delivery queue, which
// `twinfed admin federation …` calls. It has no access control of its own:
// the node mounts it under its agency API (bearer token or an agency
// administrator's session) at any prefix; routes are matched on the last
// path segment:
//
//	GET  …/status                     []DestinationStatus
//	GET  …/parked[?destination=HOST]  []ParkedDelivery
//	POST …/requeue?destination=HOST   {"requeued": n}
//
// Errors are {"error": {"code", "message"}} with the code's HTTP status, as
// the node's API answers them.
func (o *Outbox) AdminHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimRight(r.URL.Path, "/")
		op := path[strings.LastIndex(path, "/")+1:]
		dest := r.URL.Query().Get("destination")
		switch {
		case op == "status" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			writeAdminJSON(w, http.StatusOK, o.Status())
		case op == "parked" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			p, err := o.Parked(dest)
			if err != nil {
				o.log.Error("federation: parked view", "err", err)
				writeAdminError(w, twinfed.Errorf(twinfed.EINTERNAL, "the parked deliveries could not be read"))
				return
			}
			if p == nil {
				p = []ParkedDelivery{}
			}
			writeAdminJSON(w, http.StatusOK, p)
		case op == "requeue" && r.Method == http.MethodPost:
			if dest == "" {
				writeAdminError(w, twinfed.Errorf(twinfed.EINVALID, "say which destination's parked deliveries to requeue: ?destination=HOST (as the status lists it)"))
				return
			}
			n, err := o.Requeue(dest)
			if err != nil {
				o.log.Error("federation: requeue", "dest", dest, "err", err)
				writeAdminError(w, twinfed.Errorf(twinfed.EINTERNAL, "the parked deliveries could not be requeued"))
				return
			}
			o.log.Info("federation: parked deliveries requeued by an operator", "dest", dest, "count", n)
			writeAdminJSON(w, http.StatusOK, map[string]int{"requeued": n})
		case op == "status" || op == "parked" || op == "requeue":
			writeAdminError(w, twinfed.Errorf(twinfed.EINVALID, "method %s is not allowed on %s", r.Method, op))
		default:
			writeAdminError(w, twinfed.Errorf(twinfed.ENOTFOUND, "no federation admin route %q; use status, parked or requeue", op))
		}
	})
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeAdminError(w http.ResponseWriter, err error) {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Message = twinfed.ErrorCode(err), twinfed.ErrorMessage(err)
	writeAdminJSON(w, twinfed.HTTPStatus(body.Error.Code), body)
}
