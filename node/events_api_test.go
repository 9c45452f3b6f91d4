package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/event/eventapi"
	"github.com/twinfed/twinfed/node/web"
)

// TestEventsAPI walks the events' JSON API with the pages' rules and
// errors: create (bad input refused on its fields, nothing created), the
// lists with the web lists' filters, one event, booking and leaving, a
// change and a cancellation refused to a member who is not the organiser,
// the organiser's change and cancellation, and photos (an image by its
// content, not a text file named .png).
func TestEventsAPI(t *testing.T) {
	clock := &eventClock{}
	n := eventNode(t, clock, 1, 100)
	ctx := context.Background()
	seedTeacher(t, n, "anna", "Anna")
	seedTeacher(t, n, "bruno", "Bruno")
	anna, annaCSRF := apiSession(t, n.URL(), "anna", "correct horse 1")
	bruno, brunoCSRF := apiSession(t, n.URL(), "bruno", "correct horse 1")
	date, _ := cetDay(clock.Now(), 5)
	certifying := true
	in := eventapi.Input{Title: "Coding club", Language: "fr", Kind: "online", Audience: "countries", Countries: []string{"IT", "FR"}, Date: date, Start: "10:00", Minutes: 60, Certifying: &certifying}

	// Bad input: 400 with the field, nothing created.
	bad := in
	bad.Minutes = 95
	var apiErr web.APIError
	if code := anna.API("POST", "/api/v1/events", bad, annaCSRF, &apiErr); code != http.StatusBadRequest || apiErr.Error.Fields["minutes"] != "An online event lasts 30 to 90 minutes." {
		t.Fatalf("95 minutes: %d %+v", code, apiErr)
	}
	if evs, _ := n.Events().MemberEvents(ctx, "anna"); len(evs) != 0 {
		t.Fatalf("bad input created %d events", len(evs))
	}

	// Photos: a text file named .png is refused; a PNG is taken.
	upload := func(name string, data []byte) (int, map[string]any) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("photos", name)
		fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest("POST", n.URL()+"/api/v1/events/photos", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-CSRF-Token", annaCSRF)
		code, resp, _ := anna.Do(req)
		var out map[string]any
		json.Unmarshal([]byte(resp), &out)
		return code, out
	}
	if code, out := upload("cat.png", []byte("not a picture at all, just words\n")); code != http.StatusBadRequest || !strings.Contains(anna.Last, "A photo must be an image") {
		t.Fatalf("text as a photo: %d %v", code, out)
	}
	code, out := upload("club.png", testPNG(t))
	if code != http.StatusCreated {
		t.Fatalf("photo: %d %s", code, anna.Last)
	}
	hash := out["photos"].([]any)[0].(map[string]any)["hash"].(string)
	in.Photos = &[]string{hash}

	var created eventapi.Item
	if code := anna.API("POST", "/api/v1/events", in, annaCSRF, &created); code != http.StatusCreated || created.ID == "" || len(created.Photos) != 1 || created.Page == "" {
		t.Fatalf("create: %d %+v", code, created)
	}
	// The same slot again: the one room is taken.
	if code := anna.API("POST", "/api/v1/events", in, annaCSRF, &apiErr); code != http.StatusBadRequest || apiErr.Error.Fields["slot"] == "" {
		t.Fatalf("full slot: %d %+v", code, apiErr)
	}

	// Lists and one event, as Bruno.
	var list struct {
		View  string          `json:"view"`
		Items []eventapi.Item `json:"items"`
	}
	if code := bruno.API("GET", "/api/v1/events?view=all&q=coding", nil, "", &list); code != 200 || list.View != "all" || len(list.Items) != 1 || list.Items[0].ID != created.ID {
		t.Fatalf("search: %d %+v", code, list)
	}
	if code := bruno.API("GET", "/api/v1/events?kind=in_person", nil, "", &list); code != 200 || len(list.Items) != 0 {
		t.Fatalf("in person: %d %+v", code, list)
	}
	var v eventapi.View
	if code := bruno.API("GET", "/api/v1/events/view?id="+created.ID, nil, "", &v); code != 200 || v.Mine || v.Editable || v.Confirmed != 0 {
		t.Fatalf("view: %d %+v", code, v)
	}
	var st map[string]string
	if code := bruno.API("POST", "/api/v1/events/participate", map[string]string{"id": created.ID}, brunoCSRF, &st); code != 200 || st["state"] != "confirmed" {
		t.Fatalf("participate: %d %v", code, st)
	}
	if code := bruno.API("GET", "/api/v1/events/mine", nil, "", &list); code != 200 || len(list.Items) != 1 {
		t.Fatalf("mine: %d %+v", code, list)
	}

	// Not the organiser: a change and a cancellation are refused.
	change := eventapi.Input{ID: created.ID, Title: "Coding club (new time)", Language: "fr", Kind: "online", Audience: "all", Date: date, Start: "11:00", Minutes: 45}
	if code := bruno.API("POST", "/api/v1/events/edit", change, brunoCSRF, &apiErr); code != http.StatusForbidden || apiErr.Error.Message != "Only the organiser changes or cancels an event." {
		t.Fatalf("edit by Bruno: %d %+v", code, apiErr)
	}
	if code := bruno.API("POST", "/api/v1/events/cancel", map[string]string{"id": created.ID}, brunoCSRF, &apiErr); code != http.StatusForbidden {
		t.Fatalf("cancel by Bruno: %d", code)
	}
	// The organiser's change: the photos and the certificate stay (neither
	// sent), version 2.
	var changed eventapi.Item
	if code := anna.API("POST", "/api/v1/events/edit", change, annaCSRF, &changed); code != 200 || changed.Version != 2 || changed.Audience != twinfed.AudienceAll || len(changed.Photos) != 1 || !changed.Certifying {
		t.Fatalf("edit: %d %+v", code, changed)
	}
	if code := bruno.API("GET", "/api/v1/events/view?id="+created.ID, nil, "", &v); code != 200 || v.State != "confirmed" || v.Title != "Coding club (new time)" {
		t.Fatalf("view after the change: %d %+v", code, v)
	}
	if code := bruno.API("POST", "/api/v1/events/leave", map[string]string{"id": created.ID}, brunoCSRF, nil); code != 200 {
		t.Fatalf("leave: %d", code)
	}
	if code := anna.API("POST", "/api/v1/events/cancel", map[string]string{"id": created.ID}, annaCSRF, nil); code != 200 {
		t.Fatalf("cancel: %d %s", code, anna.Last)
	}
	if code := bruno.API("POST", "/api/v1/events/participate", map[string]string{"id": created.ID}, brunoCSRF, &apiErr); code != http.StatusBadRequest || apiErr.Error.Message != "This event is cancelled." {
		t.Fatalf("participate in a cancelled event: %d %+v", code, apiErr)
	}
	// Without the CSRF header, a session's write is refused.
	if code := anna.API("POST", "/api/v1/events", in, "", nil); code != http.StatusForbidden {
		t.Fatalf("create without X-CSRF-Token: %d", code)
	}
}
