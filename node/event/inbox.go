package event

import (
	"context"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/store"
)

// Events across nodes. An event lives on its home node, its organiser's,
// which sends it (Create{Event}, Update{Event}) to the nodes of its
// audience: the chosen countries' nodes, every node, or the nodes of the
// organiser's contacts. A member of another node books with Join (object:
// the event) to the organiser; the home node decides every booking in
// arrival order with twinfed.DecideBooking, so that the capacity holds
// across the federation, and answers Accept (summary: confirmed or
// waiting) or Reject (summary: why). Leave frees the place; the first on
// the waiting list, wherever they are, is told with an Accept (confirmed).
// The node's inbox (node/inbox.go) calls the Apply methods within the
// transaction that records the activity's id: a replay changes nothing.

// drop is the error of an activity that can never apply: EINVALID.
func drop(format string, args ...any) error { return twinfed.Errorf(twinfed.EINVALID, format, args...) }

// Has reports whether this node holds the event id (home or replica).
func (s *Service) Has(txn *badger.Txn, id string) bool { return store.Has(txn, store.PrefixEvent+id) }

// IsHome reports whether this node is home to the event id: its bookings
// are decided here, through Serial.
func (s *Service) IsHome(id string) bool { return s.isLocal(id) }

// isLocal reports whether an actor or object URL lives on this node.
func (s *Service) isLocal(u string) bool { return twinfed.URLHost(u) == twinfed.URLHost(s.cfg.BaseURL) }

// localUsername returns the username of a member actor of this node; ""
// when actor is not one.
func (s *Service) localUsername(actor string) string {
	prefix := s.cfg.BaseURL + "/users/"
	if !strings.HasPrefix(actor, prefix) || strings.Contains(actor[len(prefix):], "/") {
		return ""
	}
	return actor[len(prefix):]
}

// publish sends e to the nodes of its audience (t: Create or Update).
func (s *Service) publish(ctx context.Context, txn *badger.Txn, t twinfed.ActivityType, e *twinfed.Event) error {
	to := s.audienceNodes(ctx, e)
	if len(to) == 0 {
		return nil
	}
	a := s.acts.NewBy(t, e.Organiser)
	ce := *e
	a.To, a.Object, a.Event = to, e.ID, &ce
	return s.acts.Send(txn, a)
}

// audienceNodes are the agency actors of the other nodes that keep a copy
// of e (twinfed.CanNodeSeeEvent).
func (s *Service) audienceNodes(ctx context.Context, e *twinfed.Event) []string {
	if s.registry == nil {
		return nil
	}
	list, err := s.registry.Countries(ctx)
	if err != nil {
		s.log.Warn("registry: the event reaches other nodes later", "event", e.ID, "err", err)
		return nil
	}
	var out []string
	for _, c := range list {
		if c.Active && c.NodeURL != "" && !s.isLocal(c.NodeURL) && twinfed.CanNodeSeeEvent(e, twinfed.URLHost(c.NodeURL), c.Code) {
			out = append(out, twinfed.AgencyURL(c.NodeURL))
		}
	}
	return out
}

// ApplyEvent keeps a copy of an event another node is home to (Create,
// Update, or Delete when it is cancelled): a newer version replaces an
// older one, never the reverse. The members of this node who booked it
// are told of a change of time or a cancellation.
func (s *Service) ApplyEvent(_ context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	e := a.Event
	if e.Organiser != a.Actor || s.isLocal(e.ID) {
		return drop("event %s sent by %s, not by its organiser", e.ID, a.Actor)
	}
	if a.Type == twinfed.ActivityDelete && !e.Cancelled {
		return drop("Delete of event %s that is not cancelled", e.ID)
	}
	old, err := getEvent(txn, e.ID)
	if err == nil && old.Version >= e.Version {
		return nil
	}
	if err := s.putEvent(txn, e); err != nil || old == nil {
		return err
	}
	switch {
	case e.Cancelled && !old.Cancelled:
		return s.tell(txn, e, notice.EventCancelled)
	case !e.Start.Equal(old.Start) || e.Minutes != old.Minutes:
		return s.tell(txn, e, notice.EventChanged)
	}
	return nil
}

// ApplyJoin decides, on the event's home node, the booking of a member of
// another node, and answers it: Accept (confirmed or waiting) or Reject.
// The federation has checked that the signing node hosts the member
// (twinfed.CheckSameOrigin); their country is that node's.
func (s *Service) ApplyJoin(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	e, err := getEvent(txn, a.Object)
	if err != nil || !s.isLocal(e.ID) {
		return drop("join of an event %s this node is not home to", a.Object)
	}
	country := ""
	if s.registry != nil {
		c, err := s.registry.CountryByHost(ctx, a.Host())
		if err != nil {
			return err // the registry's cache catches up: retried
		}
		country = c.Code
	}
	name := a.Summary // the member's name, as their node gives it
	if r := []rune(name); len(r) > 100 {
		name = string(r[:100])
	}
	st, derr := s.decide(txn, e, twinfed.EventViewer{Actor: a.Actor, Country: country}, name)
	ans := s.acts.NewBy(twinfed.ActivityAccept, e.Organiser)
	ans.Summary = string(st)
	if derr != nil {
		if c := twinfed.ErrorCode(derr); c != twinfed.EINVALID && c != twinfed.EFORBIDDEN {
			return derr
		}
		ans.Type, ans.Summary = twinfed.ActivityReject, twinfed.ErrorMessage(derr)
	}
	ans.To, ans.Object, ans.Target = []string{a.Actor}, a.ID, e.ID
	return s.acts.Send(txn, ans)
}

// ApplyLeave frees, on the home node, the place of a member of another
// node; the first on the waiting list moves up and is told.
func (s *Service) ApplyLeave(_ context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	e, err := getEvent(txn, a.Object)
	if err != nil || !s.isLocal(e.ID) {
		return drop("leave of an event %s this node is not home to", a.Object)
	}
	return s.leave(txn, e, a.Actor)
}

// ApplyAnswer records, on the member's node, the home node's answer to
// their booking (Accept: confirmed or waiting; Reject: refused).
func (s *Service) ApplyAnswer(_ context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	e, err := getEvent(txn, a.Target)
	if err != nil || s.isLocal(e.ID) || e.Organiser != a.Actor {
		return drop("answer about event %s from %s", a.Target, a.Actor)
	}
	for _, to := range a.To {
		u := s.localUsername(to)
		if u == "" {
			continue
		}
		st := stateRefused
		if a.Type == twinfed.ActivityAccept {
			switch twinfed.BookingState(a.Summary) {
			case twinfed.BookingConfirmed, twinfed.BookingWaiting:
				st = a.Summary
			default:
				return drop("answer about event %s with state %q", e.ID, a.Summary)
			}
		}
		if err := txn.Set([]byte(store.PrefixMyEvent+u+"/"+e.ID), []byte(st)); err != nil {
			return err
		}
	}
	return nil
}
