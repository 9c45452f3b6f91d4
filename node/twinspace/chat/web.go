package chat

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/web"
)

// The Chat tab's page, its event stream and its JSON API. The page works
// without JavaScript (a form posting the message, a link to older
// messages); with it, node/web/static/chat.js posts through the API and
// appends what the event stream sends.

//go:embed templates/*.html
var templates embed.FS

const (
	// heartbeat is how often an idle event stream sends a comment, so
	// that proxies keep it open and a reader whose access ended is let go.
	heartbeat = 25 * time.Second
	// writeWait bounds each write of an event: the node's server's
	// WriteTimeout would otherwise end the stream after its first minute.
	writeWait = 30 * time.Second
	// slack is how far before a reconnecting reader's cursor the catch-up
	// starts: states committed in another order than their arrival stamps
	// are sent again rather than missed (the page drops duplicates).
	slack = Cursor(5 * time.Second)
	// catchUp is the most states a reconnection is sent; beyond, the page
	// reloads.
	catchUp = 500
	// recheck is how old a stream's view of its reader may be when a
	// message is passed on: older, the reader's access is checked again
	// first (a change of the member list or the settings is checked at
	// once, the rest within recheck).
	recheck = time.Second
	// maxShared bounds the cache of rendered events.
	maxShared = 512
)

// Web is the Chat tab's pages and API.
type Web struct {
	svc *Service
	ts  *twinspace.Service
	kit *web.Kit

	// shared holds events as the streams send them, rendered once for
	// every stream whose readers see them alike (the same language, zone
	// and buttons): a message reaches all of a node's open pages at once.
	mu     sync.Mutex
	shared map[string]*rendered
}

// rendered is an event rendered for one kind of reader, once.
type rendered struct {
	once sync.Once
	text string
	ok   bool
}

// NewWeb returns the pages and API of svc; Routes registers them.
func NewWeb(svc *Service) *Web { return &Web{svc: svc, ts: svc.ts, shared: map[string]*rendered{}} }

// Routes registers the Chat tab's templates, pages, event stream and API.
func (h *Web) Routes(k *web.Kit) error {
	if err := twinspace.AddToolTemplates(k, templates, "templates/*.html"); err != nil {
		return err
	}
	h.kit = k
	k.HandleFunc("GET /twinspace/chat", k.Space(h.page))
	k.HandleFunc("POST /twinspace/chat/send", k.Space(h.send))
	k.HandleFunc("POST /twinspace/chat/remove", k.Space(h.remove))
	k.HandleFunc("GET /twinspace/chat/events", k.Space(h.events))
	k.HandleFunc("GET /api/v1/twinspace/chat", k.SpaceAPI(h.apiList))
	k.HandleFunc("POST /api/v1/twinspace/chat", k.SpaceAPI(h.apiSend))
	k.HandleFunc("POST /api/v1/twinspace/chat/remove", k.SpaceAPI(h.apiRemove))
	return nil
}

// Message is a message as a page shows it to its reader.
type Message struct {
	*twinfed.SpaceObject
	P         *web.Page // the reader's page: language, zone, CSRF token
	HTML      template.HTML
	Mine      bool
	CanRemove bool
	// Streamed: sent by the event stream, rendered once for many readers,
	// without the reader's CSRF token (chat.js puts the page's in).
	Streamed bool
}

func (h *Web) message(p *web.Page, v *twinspace.View, o *twinfed.SpaceObject) Message {
	return Message{SpaceObject: o, P: p, HTML: TextHTML(o.Content), Mine: o.Author == v.Actor, CanRemove: !v.ReadOnly && CanRemove(v, o)}
}

// pageData is the Chat tab.
type pageData struct {
	twinspace.Frame
	Messages []Message
	Older    string // the cursor of the older messages; "" at the start
	Latest   bool   // the page ends with the latest message: it goes live
	Since    Cursor // the event stream starts after it
	Max      int
}

func (h *Web) page(w http.ResponseWriter, r *http.Request) { h.render(w, r, nil) }

func (h *Web) render(w http.ResponseWriter, r *http.Request, ferr error) {
	v, err := h.ts.PageView(r)
	if err == nil {
		err = v.RequireMember()
	}
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	since := h.svc.Now()
	before := r.URL.Query().Get("before")
	msgs, older, err := h.svc.History(v, before)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.twinspace")
	p.Nav, p.Scripts = "projects", true // chat.js: the live list and the form without a reload
	d := pageData{Frame: h.ts.Frame(v, "chat"), Older: older, Latest: before == "", Since: since, Max: MaxRunes}
	for _, o := range msgs {
		d.Messages = append(d.Messages, h.message(p, v, o))
	}
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, "twinspace_chat", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "twinspace_chat", p)
}

func (h *Web) back(w http.ResponseWriter, r *http.Request, flash string) {
	to := "/twinspace/chat?id=" + url.QueryEscape(r.PostForm.Get("id"))
	if flash == "" {
		http.Redirect(w, r, to+"#chat-form", http.StatusSeeOther)
		return
	}
	web.RedirectDone(w, r, to, flash)
}

func (h *Web) send(w http.ResponseWriter, r *http.Request) {
	if _, err := h.svc.Send(r.Context(), web.State(r).Principal, r.PostForm.Get("id"), r.PostForm.Get("content")); err != nil {
		if len(twinfed.ErrorFields(err)) > 0 {
			h.render(w, r, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.back(w, r, "")
}

func (h *Web) remove(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.Remove(r.Context(), web.State(r).Principal, r.PostForm.Get("id"), r.PostForm.Get("message")); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.back(w, r, "removed")
}

// events is the chat's event stream (Server-Sent Events) for one reader:
// what this node applies in the TwinSpace's chat, as the reader's page
// shows it. After a reconnection (Last-Event-ID), or from the page's
// ?since=, it first sends what the node applied since. The reader's
// access is checked at the start, again at once when the member list or
// the settings change, before passing a message on when the last check
// is older than recheck, and at each heartbeat: a reader who is no longer
// a member is let go.
func (h *Web) events(w http.ResponseWriter, r *http.Request) {
	v, err := h.ts.PageView(r)
	if err == nil {
		err = v.RequireMember()
	}
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	sub := h.ts.Subscribe(v.Project.ID)
	defer sub.Cancel()
	after, catch := ParseCursor(r.Header.Get("Last-Event-ID"))
	if !catch {
		after, catch = ParseCursor(r.URL.Query().Get("since"))
	}
	s := &stream{w: w, rc: http.NewResponseController(w), p: h.kit.NewPage(w, r, "title.twinspace"), h: h}
	_ = s.rc.SetReadDeadline(time.Time{}) // the server's ReadTimeout would end the request
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // a proxy in front passes each event on at once
	w.WriteHeader(http.StatusOK)
	if !s.send("retry: 3000\n\n") {
		return
	}
	if catch {
		changes, more, err := h.svc.Since(v, max(after-slack, 0), catchUp)
		if err != nil || more {
			s.send("event: reload\ndata: {}\n\n")
			return
		}
		for _, c := range changes {
			if !s.event(v, c.At, c.Message) {
				return
			}
		}
	}
	principal := web.State(r).Principal
	checked := time.Now()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if v, checked = h.stillIn(r, principal, v), time.Now(); v == nil || !s.send(": ping\n\n") {
				return
			}
		case o, open := <-sub.C:
			if !open {
				return // too slow: the browser reconnects and catches up
			}
			switch {
			case o.Kind == twinfed.SpaceKindMember || o.Kind == twinfed.SpaceKindSettings:
				if v, checked = h.stillIn(r, principal, v), time.Now(); v == nil {
					return
				}
				continue
			case o.Kind != twinfed.SpaceKindChat:
				continue
			case time.Since(checked) > recheck:
				if v, checked = h.stillIn(r, principal, v), time.Now(); v == nil {
					return
				}
			}
			if !s.event(v, h.svc.Now(), o) {
				return
			}
		}
	}
}

// stillIn returns the reader's view of the TwinSpace anew; nil when they
// are no longer a member (removed, their invitation over, the project
// gone).
func (h *Web) stillIn(r *http.Request, p *twinfed.Principal, v *twinspace.View) *twinspace.View {
	nv, err := h.ts.OpenView(r.Context(), p, v.Project.ID, false)
	if err != nil || nv.RequireMember() != nil {
		return nil
	}
	return nv
}

// stream writes one reader's events.
type stream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
	p  *web.Page
	h  *Web
}

// send writes text and flushes it; false when the reader is gone.
func (s *stream) send(text string) bool {
	_ = s.rc.SetWriteDeadline(time.Now().Add(writeWait))
	if _, err := s.w.Write([]byte(text)); err != nil {
		return false
	}
	return s.rc.Flush() == nil
}

// event writes a message (as the reader's page shows it: an HTML
// fragment in their language and zone) or its removal.
func (s *stream) event(v *twinspace.View, at Cursor, o *twinfed.SpaceObject) bool {
	if !o.Deleted && !s.h.ts.Sees(v, o) {
		return true
	}
	text, ok := s.h.streamed(s.w, s.p, v, o)
	return ok && s.send("id: "+at.String()+"\n"+text)
}

// streamed returns the event of o (its lines but the id) as v's reader's
// page shows it, rendered once for every reader who sees it alike.
func (h *Web) streamed(w http.ResponseWriter, p *web.Page, v *twinspace.View, o *twinfed.SpaceObject) (string, bool) {
	m := h.message(p, v, o)
	zone := ""
	if p.Me != nil {
		zone = p.Me.TimeZone
	}
	key := fmt.Sprintf("%s %d %t %s %s %t %t", o.ID, o.Version, o.Deleted, p.Lang, zone, m.Mine, m.CanRemove)
	h.mu.Lock()
	e := h.shared[key]
	if e == nil {
		if len(h.shared) >= maxShared {
			clear(h.shared)
		}
		e = new(rendered)
		h.shared[key] = e
	}
	h.mu.Unlock()
	e.once.Do(func() { e.text, e.ok = h.event(w, p, m) })
	return e.text, e.ok
}

// event renders m's event: the message as an HTML fragment, or its
// removal.
func (h *Web) event(w http.ResponseWriter, p *web.Page, m Message) (string, bool) {
	ev := struct {
		ID   string `json:"id"`
		HTML string `json:"html,omitempty"`
	}{ID: m.ID}
	kind := "remove"
	if !m.Deleted {
		m.Streamed = true
		p.Data = m
		buf, ok := h.kit.Execute(w, "twinspace_chat_message", p)
		if !ok {
			return "", false
		}
		ev.HTML, kind = buf.String(), "message"
		web.Release(buf)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return "", false
	}
	return "event: " + kind + "\ndata: " + string(b) + "\n\n", true
}

// apiPage is a page of the chat as the API returns it.
type apiPage struct {
	Messages []*twinfed.SpaceObject `json:"messages"`
	// Older is the before= of the page of older messages ("" at the start).
	Older string `json:"older,omitempty"`
}

func (h *Web) apiList(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	v, err := h.ts.OpenView(r.Context(), st.Principal, r.URL.Query().Get("id"), false)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	msgs, older, err := h.svc.History(v, r.URL.Query().Get("before"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	if msgs == nil {
		msgs = []*twinfed.SpaceObject{}
	}
	web.WriteJSON(w, http.StatusOK, apiPage{Messages: msgs, Older: older})
}

func (h *Web) apiSend(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		ID      string `json:"id"`
		Content string `json:"content"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	o, err := h.svc.Send(r.Context(), st.Principal, in.ID, in.Content)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, o)
}

func (h *Web) apiRemove(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	if strings.TrimSpace(in.Message) == "" {
		web.APIFail(w, &twinfed.Error{Code: twinfed.EINVALID, Message: "Say which message to remove.", Fields: map[string]string{"message": "Say which message to remove."}})
		return
	}
	if err := h.svc.Remove(r.Context(), st.Principal, in.ID, in.Message); err != nil {
		web.APIFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
