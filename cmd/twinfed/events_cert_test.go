package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventcert"
	"github.com/twinfed/twinfed/node/event/eventplaces"
	"github.com/twinfed/twinfed/node/web"
)

// movedClock is the nodes' features' clock: the real time plus an offset
// the test moves (the signatures keep the real time).
type movedClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *movedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

// MoveTo moves the clock to t.
func (c *movedClock) MoveTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off = time.Until(t)
}

// pdfText is the text pdftotext reads in pdf, its runs of spaces and line
// breaks made one space.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	cmd := exec.Command("pdftotext", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// TestFederation_EventCertificate: an Italian teacher's certifying online
// event for IT and FR, booked by two French teachers (confirmed on IT).
// Before its end nobody has a certificate; once it ended and the
// organiser recorded Marie as present, Marie downloads hers from the FR
// node (which asks IT with a signed GET and streams the PDF: her name,
// the event's title); Paul gets the refusal, translated; IT gives the
// certificate of a French member to no other node (ES signing), to no
// unsigned request, and of no unknown event; an IT that does not answer
// is a clear error on FR.
func TestFederation_EventCertificate(t *testing.T) {
	clock := &movedClock{}
	cluster := consensustest.MustOpenCluster(t, 3)
	it, fr, es := startFedNodeAt(t, cluster, "IT", nil, clock.Now), startFedNodeAt(t, cluster, "FR", nil, clock.Now), startFedNodeAt(t, cluster, "ES", nil, clock.Now)
	it.knows(t, fr, es)
	fr.knows(t, it, es)
	es.knows(t, it, fr)
	it.seedTeacher(t, "marco", "Marco", "Bianchi", []string{"science"}, []int{10})
	fr.seedTeacher(t, "marie", "Marie", "Curie", []string{"science"}, []int{10})
	fr.seedTeacher(t, "paul", "Paul", "Langevin", []string{"science"}, []int{10})
	ctx := context.Background()
	loc, _ := time.LoadLocation(twinfed.ProgrammeZone)
	day := clock.Now().In(loc).AddDate(0, 0, 1).Format("2006-01-02")
	e, err := it.Node().Events().Create(ctx, member("marco"), event.Input{Title: "Robotica certificata", Language: "it", Kind: twinfed.EventOnline,
		Audience: twinfed.AudienceCountries, Countries: []string{"IT", "FR"}, Date: day, Slot: "10:00", Minutes: 30, Certifying: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"marie", "paul"} {
		fr.book(t, who, e.ID)
	}
	marieURL := twinfed.ActorURL(fr.base, "marie")
	if err := it.Node().Events().RecordAttendance(ctx, member("marco"), e.ID, []string{marieURL}); err != nil {
		t.Fatal(err)
	}
	path := fr.Node().Events().Path(e.ID)
	forMarie := e.ID + eventcert.ForPath + "?" + url.Values{"actor": {marieURL}, "lang": {"fr"}}.Encode()
	frCat, err := web.NewCatalog([]string{"fr"}) // the FR node's pages are in French
	if err != nil {
		t.Fatal(err)
	}
	refusal := "A certificate of participation is given, after a certifying event, to those the organiser recorded as present."

	// Before the end: no link, refused on FR, and by IT to FR itself.
	marie := fr.login(t, "marie")
	if strings.Contains(marie.page(path), path+"/certificate") {
		t.Fatal("the certificate link before the end")
	}
	if code, _, _ := marie.get(path + "/certificate"); code != http.StatusForbidden {
		t.Fatalf("FR, before the end: %d", code)
	}
	if _, _, err := fr.out.GetStream(ctx, forMarie); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("IT to FR, before the end: %v", err)
	}

	// After the end: Marie's certificate from FR.
	clock.MoveTo(e.End().Add(time.Minute))
	if !strings.Contains(marie.page(path), path+"/certificate") {
		t.Fatal("no certificate link on FR's page of the event")
	}
	code, ct, pdf := marie.get(path + "/certificate")
	if code != 200 || ct != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("Marie's certificate: %d %s %.40q", code, ct, pdf)
	}
	if text := pdfText(t, pdf); !strings.Contains(text, "Marie Curie") || !strings.Contains(text, "Robotica certificata") {
		t.Fatalf("the certificate without Marie's name or the title: %s", text)
	}

	// IT tells FR, with the counts of places, which of FR's members it
	// recorded as present.
	var places eventplaces.Counts
	if body, err := fr.out.Get(ctx, e.ID+"/places"); err != nil || json.Unmarshal(body, &places) != nil || !slices.Equal(places.Attended, []string{marieURL}) {
		t.Fatalf("IT's counts for FR: %s %v", body, err)
	}

	// Paul booked but was not recorded: IT says so to FR (with the
	// counts of places), so his page offers no link; asked all the same,
	// the refusal.
	paul := fr.login(t, "paul")
	if strings.Contains(paul.page(path), path+"/certificate") {
		t.Fatal("a certificate link for Paul, whom IT did not record as present")
	}
	code, _, body := paul.get(path + "/certificate")
	fr403 := frCat.T("fr", refusal)
	if code != http.StatusForbidden || !strings.Contains(html.UnescapeString(string(body)), fr403) {
		t.Fatalf("Paul's certificate: %d, want 403 with %q\n%s", code, fr403, body)
	}

	// IT answers no other node for a French member, no unsigned request,
	// no unknown event.
	if _, _, err := es.out.GetStream(ctx, forMarie); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("IT to ES for a French member: %v", err)
	}
	resp, err := http.Get(forMarie)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d", resp.StatusCode)
	}
	if _, _, err := fr.out.GetStream(ctx, it.base+"/events/none"+eventcert.ForPath+"?actor="+url.QueryEscape(marieURL)); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("an unknown event: %v", err)
	}

	// IT stops answering: a clear error on FR.
	if err := it.Node().Shutdown(); err != nil {
		t.Fatal(err)
	}
	code, _, body = marie.get(path + "/certificate")
	down := frCat.T("fr", "The event's node cannot send the certificate now; try again later.")
	if code != http.StatusServiceUnavailable || !strings.Contains(html.UnescapeString(string(body)), down) {
		t.Fatalf("IT down: %d, want 503 with %q\n%s", code, down, body)
	}
}
