package inbound_test

import (
	"context"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/inbound"
)

func TestRouter_Route(t *testing.T) {
	apply := func(context.Context, *badger.Txn, *twinfed.Activity) error { return nil }
	withNote := func(_ *badger.Txn, a *twinfed.Activity) bool { return a.Note != nil }
	first := []inbound.Route{
		{Name: "first.late", Types: []twinfed.ActivityType{twinfed.ActivityCreate}, Pass: inbound.ByReference, Apply: apply},
		{Name: "first.note", Types: []twinfed.ActivityType{twinfed.ActivityCreate}, Claims: withNote, Apply: apply},
		{Name: "first.refused", Types: []twinfed.ActivityType{twinfed.ActivityUpdate}, Claims: withNote},
	}
	second := []inbound.Route{
		{Name: "second.any", Claims: withNote, Apply: apply},
		{Name: "second.like", Types: []twinfed.ActivityType{twinfed.ActivityLike}, Apply: apply},
	}
	r := inbound.NewRouter(first, second)
	note := &twinfed.Note{}
	for _, c := range []struct {
		name string
		a    twinfed.Activity
		want string // "" when no route claims it
	}{
		{"the first pass before the second", twinfed.Activity{Type: twinfed.ActivityCreate, Note: note}, "first.note"},
		{"the second pass for what is left", twinfed.Activity{Type: twinfed.ActivityCreate}, "first.late"},
		{"a route without Apply claims", twinfed.Activity{Type: twinfed.ActivityUpdate, Note: note}, "first.refused"},
		{"a route of every type", twinfed.Activity{Type: twinfed.ActivityAnnounce, Note: note}, "second.any"},
		{"a route without Claims", twinfed.Activity{Type: twinfed.ActivityLike}, "second.like"},
		{"nothing claims", twinfed.Activity{Type: twinfed.ActivityFollow}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := r.Route(nil, &c.a)
			if ok != (c.want != "") || got.Name != c.want {
				t.Errorf("Route = %q, %v; want %q", got.Name, ok, c.want)
			}
		})
	}
	if _, ok := (*inbound.Router)(nil).Route(nil, &twinfed.Activity{Type: twinfed.ActivityLike}); ok {
		t.Error("a nil Router claimed an activity")
	}
	if err := inbound.Refused(&twinfed.Activity{Type: "Add"}); twinfed.ErrorCode(err) != twinfed.EINVALID || err.Error() == "" {
		t.Errorf("Refused = %v, want EINVALID", err)
	}
}
