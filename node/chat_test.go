package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/nodetest"
	"github.com/twinfed/twinfed/node/twinspace/chat"
)

// The TwinSpace's chat on one node (node/twinspace/chat): who may write
// and remove, the page and its history, the JSON API and the event
// stream. Two nodes: cmd/twinfed's TestFederation_Chat.

func TestChat_Permissions(t *testing.T) {
	ctx := context.Background()
	n := MustOpenNode(t, nodeOpts{localOnly: true})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	bruno, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	p := nationalProject(t, n, anna, annaURL, brunoURL)
	ts, chat := n.TwinSpaces().Core, n.TwinSpaces().Chat
	pupil := addSpaceMember(t, n, anna, p.ID, "pupil1", "Pupil pupil1", twinfed.SpacePupil)
	pupilAdmin := addSpaceMember(t, n, anna, p.ID, "pupil2", "Pupil pupil2", twinfed.SpacePupilAdmin)
	visitor := addSpaceMember(t, n, anna, p.ID, "visitor1", "Pupil visitor1", twinfed.SpaceVisitor)
	officer := &twinfed.Principal{Username: "officer", Role: twinfed.RoleAgencyOfficer, Status: twinfed.StatusValidated}

	// What others wrote, for the removals: a message of Anna's for Bruno
	// and the pupils, one of Bruno's for Anna.
	others := func(who *twinfed.Principal) string {
		author := anna
		if who.Username == "anna" {
			author = bruno
		}
		o, err := chat.Send(ctx, author, p.ID, "A message of "+author.Username)
		if err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	setRole := func(role twinfed.SpaceRole) {
		if err := ts.SetRole(ctx, anna, p.ID, brunoURL, role); err != nil {
			t.Fatal(err)
		}
	}
	removed := map[string]bool{} // the messages removed, and those whose removal was refused
	pupilsChat := func(on bool) {
		if err := ts.SaveSettings(ctx, anna, p.ID, "", on); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name          string
		who           *twinfed.Principal
		setup         func()
		send, removes bool // writes; removes others' messages
		refusal       string
	}{
		{"teacher administrator", anna, nil, true, true, ""},
		{"teacher", bruno, func() { setRole(twinfed.SpaceTeacher) }, true, true, ""},
		{"observer", bruno, func() { setRole(twinfed.SpaceObserver) }, true, false, ""},
		{"pupil, chat closed", pupil, nil, false, false, "The teachers have not opened the chat to pupils."},
		{"pupil administrator, chat closed", pupilAdmin, nil, false, false, "The teachers have not opened the chat to pupils."},
		{"pupil, chat open", pupil, func() { pupilsChat(true) }, true, false, ""},
		{"pupil administrator, chat open", pupilAdmin, nil, true, false, ""},
		{"visitor", visitor, nil, false, false, "Your role in this TwinSpace does not allow this."},
		{"agency", officer, nil, false, false, "This part of the TwinSpace is open only to its members."},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.setup != nil {
				c.setup()
			}
			o, err := chat.Send(ctx, c.who, p.ID, "Hello from "+c.name)
			if c.send != (err == nil) {
				t.Fatalf("send: %v, want allowed=%v", err, c.send)
			}
			if !c.send && (twinfed.ErrorCode(err) != twinfed.EFORBIDDEN || twinfed.ErrorMessage(err) != c.refusal) {
				t.Fatalf("the refusal: %v, want %q", err, c.refusal)
			}
			if c.send { // their own message: removed with SpaceEditOwn
				if err := chat.Remove(ctx, c.who, p.ID, o.ID); err != nil {
					t.Fatalf("remove their own: %v", err)
				}
				removed[o.ID] = true
			}
			id := others(c.who)
			err = chat.Remove(ctx, c.who, p.ID, id)
			removed[id] = err == nil
			if c.removes != (err == nil) {
				t.Fatalf("remove another's: %v, want allowed=%v", err, c.removes)
			}
			if !c.removes && twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
				t.Fatalf("the refusal of a removal: %v", err)
			}
		})
	}
	pupilsChat(false)

	// What is kept: only live messages, in order; bad input changes nothing.
	v, err := ts.OpenView(ctx, anna, p.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	before, _, _ := chat.History(v, "")
	for _, text := range []string{"", "   \n ", strings.Repeat("é", 2001)} {
		_, err := chat.Send(ctx, anna, p.ID, text)
		if twinfed.ErrorCode(err) != twinfed.EINVALID || twinfed.ErrorFields(err)["content"] != "Write a message of at most 2,000 characters." {
			t.Errorf("send %d characters: %v", len(text), err)
		}
	}
	if _, err := chat.Send(ctx, anna, p.ID, strings.Repeat("é", 2000)); err != nil {
		t.Errorf("2,000 characters: %v", err)
	}
	after, _, _ := chat.History(v, "")
	if len(after) != len(before)+1 {
		t.Errorf("history: %d messages, then %d", len(before), len(after))
	}
	shown := map[string]bool{}
	for _, o := range after {
		shown[o.ID] = true
	}
	for id, gone := range removed {
		if shown[id] == gone {
			t.Errorf("message %s: removed %v, shown %v", id, gone, shown[id])
		}
	}
	if err := chat.Remove(ctx, anna, p.ID, "http://nowhere/x"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Errorf("remove a message that does not exist: %v", err)
	}
	// A closed project's chat is read-only.
	if _, err := n.Projects().CloseProject(ctx, anna, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := chat.Send(ctx, anna, p.ID, "Too late"); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Errorf("send in a closed project: %v", err)
	}
}

func TestChat_WebAPIAndStream(t *testing.T) {
	ctx := context.Background()
	n := MustOpenNode(t, nodeOpts{localOnly: true, langs: []string{"en", "it", "fr", "es"}})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	seedTeacher(t, n, "carla", "Carla")
	p := nationalProject(t, n, anna, annaURL, brunoURL)
	page := "/twinspace/chat?id=" + url.QueryEscape(p.ID)
	events := n.URL() + "/twinspace/chat/events?id=" + url.QueryEscape(p.ID)
	web := login(t, n, "anna", "correct horse 1")

	// The page, then a message through the plain form: escaped, with its
	// line breaks and its link.
	code, body := web.Get(page)
	if code != 200 {
		t.Fatalf("chat page: %d\n%s", code, body)
	}
	mustContain(t, "chat page", body, `role="log"`, `aria-live="polite"`, `action="/twinspace/chat/send"`, "/static/chat.js", `data-events="/twinspace/chat/events?id=`,
		"No message yet.", `aria-current="page"`)
	if code, _, loc := web.Form(page, "/twinspace/chat/send", url.Values{"id": {p.ID}, "content": {"<b>Ciao</b>\nsee https://example.org/x."}}); code != http.StatusSeeOther || !strings.HasPrefix(loc, page) {
		t.Fatalf("send: %d %s\n%s", code, loc, web.Last)
	}
	req, _ := http.NewRequest("GET", n.URL()+page, nil)
	_, body, hdr := web.Do(req)
	mustContain(t, "chat page", body, "&lt;b&gt;Ciao&lt;/b&gt;<br>see <a href=\"https://example.org/x\" rel=\"nofollow noopener noreferrer ugc\" target=\"_blank\">https://example.org/x</a>.",
		`action="/twinspace/chat/remove"`)
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("the chat page's scripts are blocked: %s", csp)
	}
	if code, body, _ := web.Form(page, "/twinspace/chat/send", url.Values{"id": {p.ID}, "content": {"  "}}); code != 400 || !strings.Contains(body, "Write a message of at most 2,000 characters.") {
		t.Errorf("an empty message: %d\n%s", code, body)
	}
	// Carla is no member: neither the page nor the stream.
	carla := login(t, n, "carla", "correct horse 1")
	if code, _ := carla.Get(page); code != http.StatusForbidden {
		t.Errorf("a non-member's chat page: %d", code)
	}
	if s, code := nodetest.OpenEvents(t, carla.Stream(), events, "en", ""); s != nil || code != http.StatusForbidden {
		t.Errorf("a non-member's event stream: %d", code)
	}

	// The API: write, read, remove.
	api, csrf := apiSession(t, n.URL(), "bruno", "correct horse 1")
	var sent twinfed.SpaceObject
	if code := api.API("POST", "/api/v1/twinspace/chat", map[string]string{"id": p.ID, "content": "Hello from the API"}, csrf, &sent); code != http.StatusCreated || sent.Content != "Hello from the API" || sent.Kind != twinfed.SpaceKindChat {
		t.Fatalf("API send: %d %s", code, api.Last)
	}
	if code := api.API("POST", "/api/v1/twinspace/chat", map[string]string{"id": p.ID, "content": ""}, csrf, nil); code != http.StatusBadRequest {
		t.Errorf("API send an empty message: %d", code)
	}
	carlaAPI, carlaCSRF := apiSession(t, n.URL(), "carla", "correct horse 1")
	if code := carlaAPI.API("POST", "/api/v1/twinspace/chat", map[string]string{"id": p.ID, "content": "Let me in"}, carlaCSRF, nil); code != http.StatusForbidden {
		t.Errorf("a non-member writes through the API: %d", code)
	}
	if code := carlaAPI.API("GET", "/api/v1/twinspace/chat?id="+url.QueryEscape(p.ID), nil, "", nil); code != http.StatusForbidden {
		t.Errorf("a non-member reads through the API: %d", code)
	}
	if code := newBrowser(t, n.URL()).API("GET", "/api/v1/twinspace/chat?id="+url.QueryEscape(p.ID), nil, "", nil); code != http.StatusUnauthorized {
		t.Errorf("the anonymous API: %d", code)
	}
	if code := api.API("POST", "/api/v1/twinspace/chat", map[string]string{"id": p.ID, "content": "No token"}, "", nil); code != http.StatusForbidden {
		t.Errorf("an API write without the CSRF header: %d", code)
	}
	var list struct {
		Messages []twinfed.SpaceObject `json:"messages"`
		Older    string                `json:"older"`
	}
	if code := api.API("GET", "/api/v1/twinspace/chat?id="+url.QueryEscape(p.ID), nil, "", &list); code != 200 || len(list.Messages) != 2 || list.Messages[1].ID != sent.ID || list.Older != "" {
		t.Fatalf("API list: %d %s", code, api.Last)
	}

	// The stream: a message written now arrives as the reader's page
	// shows it, in their language; a removal too.
	before := n.TwinSpaces().Core.Subscribers()
	s, code := nodetest.OpenEvents(t, web.Stream(), events, "it", "")
	if s == nil {
		t.Fatalf("event stream: %d", code)
	}
	if n.TwinSpaces().Core.Subscribers() != before+1 {
		t.Errorf("subscribers: %d, want %d", n.TwinSpaces().Core.Subscribers(), before+1)
	}
	if code := api.API("POST", "/api/v1/twinspace/chat", map[string]string{"id": p.ID, "content": "Live <i>now</i>"}, csrf, &sent); code != http.StatusCreated {
		t.Fatal(api.Last)
	}
	ev := s.Next(t, 10*time.Second)
	var msg struct{ ID, HTML string }
	if err := json.Unmarshal([]byte(ev.Data), &msg); err != nil || ev.Type != "message" || msg.ID != sent.ID || ev.ID == "" {
		t.Fatalf("event: %+v (%v)", ev, err)
	}
	mustContain(t, "the message's fragment", msg.HTML, "Live &lt;i&gt;now&lt;/i&gt;", "Bruno Rossi", ">Rimuovi</button>", `data-id="`+sent.ID+`"`, `name="csrf" value=""`)
	lastID := ev.ID
	if code := api.API("POST", "/api/v1/twinspace/chat/remove", map[string]string{"id": p.ID, "message": sent.ID}, csrf, nil); code != http.StatusNoContent {
		t.Fatalf("API remove: %d %s", code, api.Last)
	}
	if ev := s.Next(t, 10*time.Second); ev.Type != "remove" || !strings.Contains(ev.Data, sent.ID) {
		t.Fatalf("removal event: %+v", ev)
	}
	s.Close()
	nodetest.Eventually(t, 10*time.Second, func() bool { return n.TwinSpaces().Core.Subscribers() == before }, "the stream's subscription outlives it")

	// Reconnection: what was written meanwhile comes first (Last-Event-ID).
	missed, err := n.TwinSpaces().Chat.Send(ctx, anna, p.ID, "While you were away")
	if err != nil {
		t.Fatal(err)
	}
	s, _ = nodetest.OpenEvents(t, web.Stream(), events, "en", lastID)
	if s == nil {
		t.Fatal("reconnect")
	}
	seen := map[string]string{}
	for seen[missed.ID] == "" {
		ev := s.Next(t, 10*time.Second)
		json.Unmarshal([]byte(ev.Data), &msg)
		seen[msg.ID] = ev.Type
	}
	if seen[sent.ID] != "" && seen[sent.ID] != "remove" {
		t.Errorf("the catch-up shows a removed message: %v", seen)
	}
	s.Close()

	// History: the latest 100, then older ones.
	for i := range 105 {
		if _, err := n.TwinSpaces().Chat.Send(ctx, anna, p.ID, fmt.Sprintf("Message number %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	_, body = web.Get(page)
	if got := strings.Count(body, `class="chat-msg`); got != 100 {
		t.Errorf("the chat page shows %d messages, want 100", got)
	}
	mustContain(t, "latest page", body, "Message number 104", "Older messages")
	older := regexpFind(t, body, `href="(/twinspace/chat\?id=[^"]+&amp;before=[^"]+)"`)
	_, body = web.Get(strings.ReplaceAll(older, "&amp;", "&"))
	mustContain(t, "older page", body, "Message number 4", "While you were away", "Back to the latest messages")
	if strings.Contains(body, "Message number 5<") || strings.Contains(body, "data-events=") {
		t.Errorf("the older page shows newer messages or goes live:\n%s", body)
	}
	if code, _ := web.Get(page + "&before=nonsense"); code != http.StatusBadRequest {
		t.Errorf("a bad cursor: %d", code)
	}
}

// regexpFind returns the first group of pattern's first match in s.
func regexpFind(t *testing.T, s, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in:\n%s", pattern, s)
	}
	return m[1]
}

// TestChat_StreamOutlivesServerTimeouts serves the node's handler from an
// http.Server whose ReadTimeout and WriteTimeout are one second: an event
// stream still delivers a message written after three, because it moves
// its deadlines as it goes (the node's own server has 60 s).
func TestChat_StreamOutlivesServerTimeouts(t *testing.T) {
	ctx := context.Background()
	n := MustOpenNode(t, nodeOpts{localOnly: true})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	p := nationalProject(t, n, anna, annaURL, brunoURL)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: n.Handler(), ReadTimeout: time.Second, WriteTimeout: time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	web := login(t, n, "bruno", "correct horse 1") // cookies ignore the port
	s, code := nodetest.OpenEvents(t, web.Stream(), "http://"+ln.Addr().String()+"/twinspace/chat/events?id="+url.QueryEscape(p.ID), "en", "")
	if s == nil {
		t.Fatalf("event stream: %d", code)
	}
	defer s.Close()
	<-time.After(3 * time.Second) // the time itself is what is tested: past both timeouts
	sent, err := n.TwinSpaces().Chat.Send(ctx, anna, p.ID, "Still there?")
	if err != nil {
		t.Fatal(err)
	}
	if ev := s.Next(t, 10*time.Second); ev.Type != "message" || !strings.Contains(ev.Data, sent.ID) {
		t.Fatalf("after the server's timeouts: %+v", ev)
	}
}

// TestChat_ArrivalLogIsKeptADay: the arrival log a reconnection catches
// up from keeps each state for chat.ArrivalKeep, then the store drops it;
// a reader whose cursor is older than that is told to reload.
func TestChat_ArrivalLogIsKeptADay(t *testing.T) {
	ctx := context.Background()
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	n := MustOpenNode(t, nodeOpts{localOnly: true, now: now})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	p := nationalProject(t, n, anna, annaURL, brunoURL)
	ts, room := n.TwinSpaces().Core, n.TwinSpaces().Chat
	v, err := ts.OpenView(ctx, anna, p.ID, false)
	if err != nil {
		t.Fatal(err)
	}

	before := room.Now()
	clock.Add(int64(time.Millisecond))
	if _, err := room.Send(ctx, anna, p.ID, "Today's message"); err != nil {
		t.Fatal(err)
	}
	if got, more, err := room.Since(v, before, 10); err != nil || more || len(got) != 1 {
		t.Fatalf("catch-up of a fresh message: %d states, more %v, %v", len(got), more, err)
	}
	// A day and a minute later the cursor is older than the log keeps.
	clock.Add(int64(chat.ArrivalKeep + time.Minute))
	if got, more, err := room.Since(v, before, 10); err != nil || !more || len(got) != 0 {
		t.Fatalf("a cursor older than the log: %d states, more %v, %v (want a reload)", len(got), more, err)
	}

	// A state applied two days before the store's own clock has expired
	// already: the log no longer holds it, though the message stays in
	// the history.
	clock.Store(time.Now().Add(-2 * chat.ArrivalKeep).UnixNano())
	old := room.Now()
	clock.Add(int64(time.Millisecond))
	if _, err := room.Send(ctx, anna, p.ID, "An old message"); err != nil {
		t.Fatal(err)
	}
	// (Today's message, stamped after it, is still there.)
	if got, more, err := room.Since(v, old, 10); err != nil || more || len(got) != 1 || got[0].Message.Content != "Today's message" {
		t.Fatalf("an expired state is still in the log: %d states, more %v, %v", len(got), more, err)
	}
	if msgs, _, err := room.History(v, ""); err != nil || len(msgs) != 2 {
		t.Fatalf("history: %d messages, %v", len(msgs), err)
	}
}
