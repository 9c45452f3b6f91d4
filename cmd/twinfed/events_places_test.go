package main

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventplaces"
)

// stepClock is a node's features' clock that moves only when the test
// moves it.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestFederation_EventPlaces: an Italian event of 2 places seen from FR.
// The FR page shows the counts IT keeps (2 / 2 and the waiting list once
// an Italian and a French member booked; 1 / 2 once the Italian left,
// within the cache's time; 2 / 2 at once when IT's answer to a French
// booking arrives), IT serves them only to signed requests of its
// event's audience, and with IT stopped the FR page says the places
// cannot be shown and still offers Participate.
func TestFederation_EventPlaces(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 3)
	it := startFedNodeWith(t, cluster, "IT", func(c *config.Node) { c.Events.MaxParticipants = 2 })
	clock := &stepClock{t: time.Now()} // FR's: its cache of counts expires when the test says
	fr := startFedNodeAt(t, cluster, "FR", nil, clock.Now)
	es := startFedNode(t, cluster, "ES")
	it.knows(t, fr, es)
	fr.knows(t, it, es)
	es.knows(t, it, fr)
	it.seedTeacher(t, "marco", "Marco", "Bianchi", []string{"science"}, []int{10})
	it.seedTeacher(t, "luca", "Luca", "Rossi", []string{"science"}, []int{10})
	for _, u := range []string{"marie", "paul", "jean"} {
		fr.seedTeacher(t, u, u, "Martin", []string{"science"}, []int{10})
	}
	ctx := context.Background()
	loc, _ := time.LoadLocation(twinfed.ProgrammeZone)
	day := time.Now().In(loc).AddDate(0, 0, 3)
	e, err := it.Node().Events().Create(ctx, member("marco"), event.Input{Title: "Robotica", Language: "it", Kind: twinfed.EventOnline,
		Audience: twinfed.AudienceCountries, Countries: []string{"IT", "FR"}, Date: day.Format("2006-01-02"), Slot: "16:00", Minutes: 60})
	if err != nil {
		t.Fatal(err)
	}
	if e.Capacity != 2 {
		t.Fatalf("capacity %d, want 2", e.Capacity)
	}

	// What IT serves: to FR (signed) the counts; ES is outside the
	// audience, an unsigned request is refused, an unknown event is a
	// record missing (which does not stop FR asking IT for others).
	if _, err := fr.out.Get(ctx, it.base+"/events/nope/places"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("FR asks for an unknown event's places: %v, want ENOTFOUND", err)
	}
	body, err := fr.out.Get(ctx, e.ID+"/places")
	var c eventplaces.Counts
	if err != nil || json.Unmarshal(body, &c) != nil || !reflect.DeepEqual(c, eventplaces.Counts{Capacity: 2}) {
		t.Fatalf("FR asks for the places: %s %v", body, err)
	}
	if _, err := es.out.Get(ctx, e.ID+"/places"); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("ES asks for the places: %v, want EFORBIDDEN (403)", err)
	}
	resp, err := http.Get(e.ID + "/places")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned request for the places: %d, want 401", resp.StatusCode)
	}

	// Luca (IT) and Marie (FR) book: Paul's page on FR shows the event
	// full and offers the waiting list.
	if _, err := it.Node().Events().Participate(ctx, member("luca"), e.ID); err != nil {
		t.Fatal(err)
	}
	fr.book(t, "marie", e.ID)
	path := fr.Node().Events().Path(e.ID)
	paul := fr.login(t, "paul")
	html := paul.page(path)
	waitingList := template.HTMLEscapeString("S'inscrire sur la liste d'attente")
	if !strings.Contains(html, "2 / 2") || !strings.Contains(html, waitingList) {
		t.Fatalf("Paul's page on FR does not show the event full (2 / 2, the waiting list):\n%s", html)
	}

	// Luca leaves: FR shows 1 / 2 once what it keeps has expired.
	if err := it.Node().Events().Leave(ctx, member("luca"), e.ID); err != nil {
		t.Fatal(err)
	}
	if html := paul.page(path); !strings.Contains(html, "2 / 2") {
		t.Fatalf("FR asked IT again within %s:\n%s", eventplaces.TTL, html)
	}
	clock.Add(eventplaces.TTL)
	consensustest.Eventually(t, 10*time.Second, func() bool {
		html := paul.page(path)
		return strings.Contains(html, "1 / 2") && !strings.Contains(html, waitingList) && strings.Contains(html, ">Participer<")
	}, "FR's page never showed 1 / 2 once its counts expired")

	// Paul books: IT's answer drops what FR keeps, and his page shows
	// 2 / 2 at once (FR's clock does not move).
	if to := paul.post(path, path+"/participate", url.Values{}); !strings.HasSuffix(to, "done=event_pending") {
		t.Fatalf("participate: → %s", to)
	}
	fr.confirmed(t, "paul", e.ID)
	if html := paul.page(path); !strings.Contains(html, "2 / 2") {
		t.Fatalf("Paul's page after IT's answer does not show 2 / 2:\n%s", html)
	}
	view := "/api/v1/events/view?id=" + url.QueryEscape(e.ID)
	if code, v := paul.call("GET", view, nil); code != http.StatusOK || v["confirmed"] != float64(2) || v["places_unknown"] != nil {
		t.Fatalf("Paul's view in the JSON API: %d %v", code, v)
	}

	// IT stops: once what FR keeps has expired, Jean's page (status 200)
	// says the places cannot be shown and offers Participate.
	it.nodeMain.Close()
	clock.Add(eventplaces.TTL)
	jean := fr.login(t, "jean")
	html = jean.page(path)
	if !strings.Contains(html, "Impossible de les afficher pour le moment") || strings.Contains(html, "/ 2") ||
		!strings.Contains(html, ">Participer<") || strings.Contains(html, waitingList) {
		t.Fatalf("Jean's page with IT stopped:\n%s", html)
	}
	if code, v := jean.call("GET", view, nil); code != http.StatusOK || v["places_unknown"] != true || v["confirmed"] != float64(0) {
		t.Fatalf("Jean's view in the JSON API with IT stopped: %d %v", code, v)
	}
}
