package twinspace

import (
	"sync"

	"github.com/twinfed/twinfed"
)

// hub tells the node's open pages (the chat's event streams, an editor
// waiting for others' saves) what changed in a TwinSpace, once the change
// is committed on this node: a write of its own members, a partner's
// write on the home node, or the home node's Announce on a partner node.
// A subscriber that does not keep up loses events (it is told so by a
// closed Lost channel and reloads); the writers never wait.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[*Subscription]struct{}
}

// Subscription receives the objects applied in one TwinSpace.
type Subscription struct {
	C       <-chan *twinfed.SpaceObject
	c       chan *twinfed.SpaceObject
	project string
	h       *hub
}

// Subscribe returns a subscription to what is applied in project's
// TwinSpace from now on; Cancel ends it. Callers check the reader's
// permissions on each object they pass on.
func (s *Service) Subscribe(project string) *Subscription {
	c := make(chan *twinfed.SpaceObject, 64)
	sub := &Subscription{C: c, c: c, project: project, h: &s.hub}
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	if s.hub.subs == nil {
		s.hub.subs = map[string]map[*Subscription]struct{}{}
	}
	if s.hub.subs[project] == nil {
		s.hub.subs[project] = map[*Subscription]struct{}{}
	}
	s.hub.subs[project][sub] = struct{}{}
	return sub
}

// Cancel ends the subscription and closes C.
func (sub *Subscription) Cancel() {
	h := sub.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[sub.project][sub]; !ok {
		return
	}
	delete(h.subs[sub.project], sub)
	if len(h.subs[sub.project]) == 0 {
		delete(h.subs, sub.project)
	}
	close(sub.c)
}

// Subscribers returns how many subscriptions are open on this node.
func (s *Service) Subscribers() int {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	n := 0
	for _, m := range s.hub.subs {
		n += len(m)
	}
	return n
}

func (h *hub) publish(o *twinfed.SpaceObject) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs[o.Project] {
		select {
		case sub.c <- o:
		default:
			// Too slow: drop it; C closes so that the page reloads.
			delete(h.subs[o.Project], sub)
			close(sub.c)
		}
	}
}
