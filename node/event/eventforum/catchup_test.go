package eventforum_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/event/eventforum"
)

// TestServeCatchUp_MissingEvent: a catch-up of an event the node does not
// hold is a 404 that says only the record is missing, so that the asking
// node goes on catching up on the node's other events; a refusal is not
// marked so, nor is a malformed since, which changes nothing.
func TestServeCatchUp_MissingEvent(t *testing.T) {
	for _, c := range []struct {
		name, query string
		err         error
		code        int
		marked      bool
	}{
		{"an unknown event", "event=https://it.example/events/x", twinfed.Errorf(twinfed.ENOTFOUND, "There is no such event on this node."), http.StatusNotFound, true},
		{"a node without participants", "event=https://it.example/events/y", twinfed.Errorf(twinfed.EFORBIDDEN, "no"), http.StatusForbidden, false},
		{"a malformed since", "event=e&since=yesterday", nil, http.StatusBadRequest, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := eventforum.ServeCatchUp(func(ctx context.Context, host, event string, since time.Time, after string, limit int) (*eventforum.CatchUpPage, error) {
				return nil, c.err
			})
			w := httptest.NewRecorder()
			h(w, httptest.NewRequest(http.MethodGet, eventforum.CatchUpPath+"?"+c.query, nil))
			if w.Code != c.code || (w.Header().Get(twinfed.HeaderNotFound) == "record") != c.marked {
				t.Fatalf("%d %q %s", w.Code, w.Header().Get(twinfed.HeaderNotFound), w.Body)
			}
		})
	}
}
