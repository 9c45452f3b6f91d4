package forum

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

// TestIndex_OrderAndFilters: posts newest first (ties by id) whatever
// the order they come in, replaced and removed in place, filters as bit
// sets, hidden posts only for their author and their country's agency.
func TestIndex_OrderAndFilters(t *testing.T) {
	x := newIndex()
	at := time.Now()
	post := func(i int, minutes int, country string, seeking ...string) *twinfed.ForumPost {
		return &twinfed.ForumPost{ID: fmt.Sprintf("http://n/forum/posts/%02d", i), Author: "http://n/users/a" + country, Country: country, Thread: "erasmus",
			Subjects: []string{"music"}, AgeBands: []string{"age_6_11"}, Languages: []string{"fr"}, Seeking: seeking, Published: at.Add(time.Duration(minutes) * time.Minute)}
	}
	x.putAll([]*entry{newEntry(post(1, 1, "IT", "FR"), 0), newEntry(post(3, 3, "FR", "IT"), 0)})
	x.put(newEntry(post(2, 3, "FR", "IT"), 0)) // same time as 3: by id
	x.put(newEntry(post(4, 0, "ES", "IT", "FR"), 0))
	ids, total := x.search(filter{}, 0, 10)
	want := []string{"http://n/forum/posts/02", "http://n/forum/posts/03", "http://n/forum/posts/01", "http://n/forum/posts/04"}
	if total != 4 || !slices.Equal(ids, want) {
		t.Fatalf("order: %v (%d)", ids, total)
	}
	if ids, total := x.search(filter{seeking: bitsOf([]string{"FR"}, countryCodes)}, 1, 1); total != 2 || !slices.Equal(ids, want[3:]) {
		t.Fatalf("seeking FR, second page: %v (%d)", ids, total)
	}
	hidden := post(3, 3, "FR", "IT")
	hidden.Hidden = true
	x.put(newEntry(hidden, 0))
	if _, total := x.search(filter{}, 0, 10); total != 3 {
		t.Fatalf("a member sees %d posts with one hidden", total)
	}
	for _, f := range []filter{{actor: "http://n/users/aFR"}, {agencyOf: "FR"}} {
		if _, total := x.search(f, 0, 10); total != 4 {
			t.Fatalf("%+v sees %d posts", f, total)
		}
	}
	x.remove("http://n/forum/posts/02")
	x.remove("http://n/forum/posts/99")
	if ids, _ := x.search(filter{agencyOf: "FR"}, 0, 10); !slices.Equal(ids, want[1:]) || x.len() != 3 || len(x.bits) != 3 {
		t.Fatalf("after a removal: %v", ids)
	}
}
