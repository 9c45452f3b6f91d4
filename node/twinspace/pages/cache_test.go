package pages

import (
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

// TestOutline_OrderOfNews: the outline keeps each page's latest state by
// the ordering rule, whatever order commits tell it in, tombstones
// included, and ignores TwinSpaces it has not loaded.
func TestOutline_OrderOfNews(t *testing.T) {
	now := time.Now()
	state := func(version int64, title string, deleted bool) *twinfed.SpaceObject {
		return &twinfed.SpaceObject{ID: "p1", Project: "proj", Kind: twinfed.SpaceKindPage, Title: title, Content: "<p>long text</p>",
			Version: version, Updated: now.Add(time.Duration(version) * time.Second), Deleted: deleted}
	}
	c := &outline{spaces: map[string]map[string]*twinfed.SpaceObject{"proj": {}}}
	c.applied(state(2, "two", false))
	c.applied(state(1, "one", false)) // late news of an older state
	if got := c.spaces["proj"]["p1"]; got.Title != "two" || got.Content != "" {
		t.Fatalf("after an older state: %+v", got)
	}
	c.applied(state(3, "two", true))
	c.applied(state(2, "two", false)) // a replay
	if got := c.spaces["proj"]["p1"]; !got.Deleted {
		t.Fatalf("a replay brought a deleted page back: %+v", got)
	}
	c.applied(&twinfed.SpaceObject{ID: "x", Project: "other", Version: 1})
	if _, ok := c.spaces["other"]; ok {
		t.Fatal("a TwinSpace not loaded was loaded by news")
	}
}
