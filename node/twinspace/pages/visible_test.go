package pages

import (
	"slices"
	"testing"

	"github.com/twinfed/twinfed"
)

// TestVisible: the top level, and the sub-pages of the current page and
// of its ancestors; nothing deeper elsewhere.
func TestVisible(t *testing.T) {
	e := func(id string, depth int) Entry {
		return Entry{SpaceObject: &twinfed.SpaceObject{ID: id}, Depth: depth}
	}
	tree := []Entry{e("a", 0), e("a1", 1), e("a1x", 2), e("a2", 1), e("b", 0), e("b1", 1), e("b1x", 2), e("b1x?", 3), e("b1y", 2), e("c", 0)}
	ids := func(l []Entry) []string {
		var out []string
		for _, x := range l {
			out = append(out, x.ID)
		}
		return out
	}
	for _, tc := range []struct {
		current string
		want    []string
	}{
		{"", []string{"a", "b", "c"}},
		{"a", []string{"a", "a1", "a2", "b", "c"}},
		{"b1", []string{"a", "b", "b1", "b1x", "b1y", "c"}},
		{"b1x", []string{"a", "b", "b1", "b1x", "b1x?", "b1y", "c"}},
		{"c", []string{"a", "b", "c"}},
	} {
		if got := ids(visible(tree, tc.current)); !slices.Equal(got, tc.want) {
			t.Errorf("visible at %q = %v, want %v", tc.current, got, tc.want)
		}
	}
}
