package event

import (
	"context"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The events' pages: the lists and the month calendar, the creation
// wizard, an event's page with Participate, Leave and the meeting room,
// and the iCalendar files.

//go:embed templates/*.html
var templates embed.FS

// Web is the events' web pages.
type Web struct {
	svc    *Service
	kit    *web.Kit
	signed func(http.Handler) http.Handler
	places Places // another node's event's counts (UsePlaces); nil: not shown
}

// Places are the counts of places of other nodes' events as their home
// nodes have them (node/event/eventplaces).
type Places interface {
	// Count sets v's Confirmed and Waiting, of another node's event, from
	// its home node: false when that node cannot say now.
	Count(ctx context.Context, v *View) bool
}

// UsePlaces sets where an event's page finds the counts of another node's
// event; without it, they are not shown.
func (h *Web) UsePlaces(p Places) *Web { h.places = p; return h }

// NewWeb returns the pages of svc; Routes registers them.
func NewWeb(svc *Service) *Web { return &Web{svc: svc} }

// Signed sets the check that guards PhotoPath (only nodes the registry
// lists, found with web.Signer); without it, photos are not served to
// other nodes.
func (h *Web) Signed(check func(http.Handler) http.Handler) *Web {
	h.signed = check
	return h
}

// photoForm is the largest form with photos: every photo at its largest.
const photoForm = twinfed.EventMaxPhotos*twinfed.EventPhotoMaxBytes + 1<<20

// Routes registers the events' templates and pages on k.
func (h *Web) Routes(k *web.Kit) error {
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	h.kit = k
	k.HandleFunc("GET /events", k.Member(h.list))
	k.HandleFunc("GET /events/calendar", k.Member(h.calendar))
	k.HandleFunc("GET /events/new", k.Member(h.newForm))
	k.HandleFunc("POST /events/new", k.Large(photoForm, k.Member(h.create)))
	k.HandleFunc("GET /events/{id}", k.Member(h.show))
	k.HandleFunc("POST /events/{id}/participate", k.Member(h.participate))
	k.HandleFunc("POST /events/{id}/leave", k.Member(h.leave))
	k.HandleFunc("POST /events/{id}/attendance", k.Member(h.attendance))
	k.HandleFunc("GET /events/{id}/edit", k.Member(h.editGet))
	k.HandleFunc("POST /events/{id}/edit", k.Large(photoForm, k.Member(h.edit)))
	k.HandleFunc("GET /events/{id}/photos/{hash}", k.Member(h.photo))
	if h.signed != nil {
		k.Handle("GET "+PhotoPath+"{hash}", h.signed(http.HandlerFunc(h.photoToNode)))
	}
	k.HandleFunc("POST /events/{id}/cancel", k.Member(h.cancel))
	k.HandleFunc("GET /events/{id}/ics", k.Member(h.ics))
	k.HandleFunc("POST /events/feed", k.Member(h.newFeed))
	k.HandleFunc("POST /events/feed/revoke", k.Member(h.revokeFeed))
	k.HandleFunc("GET /calendar/{token}", h.feed)
	k.HandleFunc("GET /projects/live", k.Member(h.liveTab))
	k.HandleFunc("POST /projects/live", k.Member(h.scheduleMeeting))
	return nil
}

// id is the event a page is about: this node's by its last segment,
// another node's by its whole id (escaped in the path).
func (h *Web) id(r *http.Request) string { return h.svc.EventID(r.PathValue("id")) }

// EventID is the event v names: its whole id, or the last segment of the
// id of an event of this node.
func (s *Service) EventID(v string) string {
	if strings.Contains(v, "/") {
		return v
	}
	return s.cfg.BaseURL + "/events/" + v
}

// Path is the page of event id on this node.
func (s *Service) Path(id string) string {
	if strings.HasPrefix(id, s.cfg.BaseURL+"/events/") || s.isLocal(id) {
		return "/events/" + id[strings.LastIndexByte(id, '/')+1:]
	}
	return "/events/" + url.PathEscape(id)
}

// Item is an event in a list: its times in CET and in the reader's zone.
type Item struct {
	*twinfed.Event
	Path  string // the event's page on this node
	CET   string // date and time in CET
	Local string // the same in the reader's zone; "" when it is CET too
	Live  bool
	Thumb string // the first photo's thumbnail on this node; "": none
}

func (h *Web) item(p *web.Page, e *twinfed.Event, now time.Time) Item {
	cet := p.Fmt.In(h.svc.cet)
	it := Item{Event: e, Path: h.svc.Path(e.ID), CET: cet.DateTime(e.Start), Live: e.Live(now)}
	if len(e.Photos) > 0 && e.Photos[0].Thumb != "" {
		it.Thumb = it.Path + "/photos/" + e.Photos[0].Thumb
	}
	if _, off := e.Start.In(p.Fmt.Location()).Zone(); func() bool { _, o := e.Start.In(h.svc.cet).Zone(); return o != off }() {
		it.Local = p.Fmt.DateTime(e.Start)
	}
	return it
}

// listData is the events' list page.
type listData struct {
	View    string
	Query   string
	Kind    string
	Items   []Item
	Feed    string // the personal feed's URL, just made (shown once)
	HasFeed bool
}

// ListFilter is the filter of the events' lists (the page and the JSON
// API): view is today, week, month (the default), mine or all; a search
// (query or kind) looks at every period unless in "mine". It returns the
// filter and the view it shows.
func (s *Service) ListFilter(view, query, kind string) (Filter, string) {
	now := s.now().In(s.cet)
	f := Filter{Query: query, Kind: twinfed.EventKind(kind)}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.cet)
	switch view {
	case "today":
		f.From, f.To = day, day.AddDate(0, 0, 1)
	case "week":
		wd := (int(day.Weekday()) + 6) % 7
		f.From = day.AddDate(0, 0, -wd)
		f.To = f.From.AddDate(0, 0, 7)
	case "mine":
		f.Mine = true
	case "all":
	default:
		view = "month"
		f.From = time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, s.cet)
		f.To = f.From.AddDate(0, 1, 0)
	}
	if (f.Query != "" || f.Kind != "") && view != "mine" {
		view, f.From, f.To = "all", time.Time{}, time.Time{}
	}
	return f, view
}

func (h *Web) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := h.kit.NewPage(w, r, "title.events")
	p.Nav = "events"
	now := h.svc.now()
	f, view := h.svc.ListFilter(q.Get("view"), q.Get("q"), q.Get("kind"))
	evs, err := h.svc.List(r.Context(), web.State(r).Principal, f)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	d := listData{View: view, Query: f.Query, Kind: string(f.Kind), HasFeed: h.svc.HasFeed(web.State(r).Principal)}
	if t := q.Get("feed"); t != "" {
		d.Feed = h.svc.cfg.BaseURL + "/calendar/" + url.PathEscape(t)
	}
	for _, e := range evs {
		d.Items = append(d.Items, h.item(p, e, now))
	}
	p.Data = d
	h.kit.Render(w, http.StatusOK, "events", p)
}

// calendarData is the month calendar.
type calendarData struct {
	Month      time.Time
	MonthName  string
	Prev, Next string // yyyy-mm
	Weeks      [][]calendarDay
}

type calendarDay struct {
	Day   int // 0: a day of another month
	Today bool
	Items []template.HTML // its events, each a link written by calendarItem
}

// calendarText escapes text as html/template does in an element or a
// quoted attribute.
var calendarText = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

// calendarItem is an event in a day of the calendar: a link to its page
// with its start in CET and its title, and "Live" during its time. A month
// may hold thousands of events: each is written here, escaped, rather than
// through the template's reflection.
func calendarItem(path, hm, title string, live bool, liveLabel string) template.HTML {
	var b strings.Builder
	b.Grow(len(path) + len(hm) + len(title) + 40)
	b.WriteString(`<a href="`)
	calendarText.WriteString(&b, path)
	b.WriteString(`" class="event">`)
	calendarText.WriteString(&b, hm)
	b.WriteByte(' ')
	calendarText.WriteString(&b, title)
	b.WriteString(`</a>`)
	if live {
		b.WriteString(` <strong class="live">`)
		calendarText.WriteString(&b, liveLabel)
		b.WriteString(`</strong>`)
	}
	return template.HTML(b.String())
}

func (h *Web) calendar(w http.ResponseWriter, r *http.Request) {
	p := h.kit.NewPage(w, r, "title.event_calendar")
	p.Nav = "events"
	now := h.svc.now()
	first := time.Date(now.In(h.svc.cet).Year(), now.In(h.svc.cet).Month(), 1, 0, 0, 0, 0, h.svc.cet)
	if m, err := time.ParseInLocation("2006-01", r.URL.Query().Get("month"), h.svc.cet); err == nil {
		first = m
	}
	evs, err := h.svc.List(r.Context(), web.State(r).Principal, Filter{From: first, To: first.AddDate(0, 1, 0)})
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p.Data = h.month(p, first, evs, now)
	h.kit.Render(w, http.StatusOK, "events_calendar", p)
}

// month lays out the weeks of the month that starts at first (Monday
// first), each day with its events.
func (h *Web) month(p *web.Page, first time.Time, evs []*twinfed.Event, now time.Time) calendarData {
	d := calendarData{Month: first, MonthName: p.T("event.month." + strconv.Itoa(int(first.Month()))), Prev: first.AddDate(0, -1, 0).Format("2006-01"), Next: first.AddDate(0, 1, 0).Format("2006-01")}
	// The time pattern and the Live label are read once, and each start's
	// time written once: a month may hold thousands of events.
	pattern, live := p.T("format.time"), p.T("event.live")
	times := map[int]string{}
	byDay := map[int][]template.HTML{}
	for _, e := range evs {
		st := e.Start.In(h.svc.cet)
		hm, ok := times[st.Hour()*60+st.Minute()]
		if !ok {
			hm = strings.NewReplacer("{hour}", twoDigits(st.Hour()), "{minute}", twoDigits(st.Minute())).Replace(pattern)
			times[st.Hour()*60+st.Minute()] = hm
		}
		byDay[st.Day()] = append(byDay[st.Day()], calendarItem(h.svc.Path(e.ID), hm, e.Title, e.Live(now), live))
	}
	days := first.AddDate(0, 1, -1).Day()
	today := now.In(h.svc.cet)
	week := make([]calendarDay, (int(first.Weekday())+6)%7)
	for day := 1; day <= days; day++ {
		week = append(week, calendarDay{Day: day, Items: byDay[day], Today: today.Year() == first.Year() && today.Month() == first.Month() && today.Day() == day})
		if len(week) == 7 {
			d.Weeks, week = append(d.Weeks, week), nil
		}
	}
	if len(week) > 0 {
		for len(week) < 7 {
			week = append(week, calendarDay{})
		}
		d.Weeks = append(d.Weeks, week)
	}
	return d
}

// formData is the creation wizard: step 1 the event, step 2 its slot.
type formData struct {
	Step      int
	Countries []*twinfed.Country
	Languages []string
	Contacts  []string
	Slots     []slot
	Hidden    [][2]string
	Date      string
	Durations []int
	Chosen    map[string]bool // the audience's countries chosen
}

type slot struct {
	Value string // hh:mm CET
	CET   string
	Local string
}

func (h *Web) formPage(w http.ResponseWriter, r *http.Request, step int, ferr error) {
	p := h.kit.NewPage(w, r, "title.event_new")
	p.Nav = "events"
	d := formData{Step: step, Languages: twinfed.UILanguageCodes(), Durations: []int{30, 45, 60, 75, 90}}
	for _, c := range twinfed.SeedCountries() {
		d.Countries = append(d.Countries, &c)
	}
	d.Countries = p.SortCountries(d.Countries)
	d.Chosen = map[string]bool{}
	if r.Method == http.MethodPost {
		p.Form = r.PostForm
		for _, c := range r.PostForm["countries"] {
			d.Chosen[c] = true
		}
		for _, c := range r.PostForm["invited"] {
			d.Chosen[c] = true
		}
	}
	contacts, err := h.svc.Contacts(r.Context(), web.State(r).Principal)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	d.Contacts = contacts
	if step == 2 {
		d.Date = r.PostForm.Get("date")
		minutes, _ := strconv.Atoi(r.PostForm.Get("minutes"))
		starts, err := h.svc.Slots(r.Context(), d.Date, minutes)
		if err != nil {
			h.kit.ErrorPage(w, r, err)
			return
		}
		for _, s := range starts {
			sl := slot{Value: s.In(h.svc.cet).Format("15:04"), CET: p.Fmt.In(h.svc.cet).Time(s) + " " + p.Fmt.In(h.svc.cet).Zone(s)}
			if _, o := s.In(p.Fmt.Location()).Zone(); func() bool { _, c := s.In(h.svc.cet).Zone(); return c != o }() {
				sl.Local = p.Fmt.Time(s) + " " + p.Fmt.Zone(s)
			}
			d.Slots = append(d.Slots, sl)
		}
		for k, vs := range r.PostForm {
			if k == "csrf" || k == "slot" || k == "go" {
				continue
			}
			for _, v := range vs {
				d.Hidden = append(d.Hidden, [2]string{k, v})
			}
		}
	}
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, "event_new", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "event_new", p)
}

func (h *Web) newForm(w http.ResponseWriter, r *http.Request) { h.formPage(w, r, 1, nil) }

// input reads the wizard's form.
func input(f url.Values) Input {
	in := Input{Title: f.Get("title"), Description: f.Get("description"), Language: f.Get("language"), Kind: twinfed.EventKind(f.Get("kind")),
		Place: f.Get("place"), Audience: twinfed.EventAudience(f.Get("audience")), Countries: f["countries"], Date: f.Get("date"), Slot: f.Get("slot"),
		Invited: f["invited"], Certifying: f.Get("certifying") == "on", Photos: f["photo"], SetPhotos: f.Get("photos_sent") != "",
		SetCertifying: f.Get("certifying_sent") != "", SetInvited: f.Get("invited_sent") != ""}
	in.Expected, _ = strconv.Atoi(f.Get("expected"))
	in.Minutes, _ = strconv.Atoi(f.Get("minutes"))
	return in
}

func (h *Web) create(w http.ResponseWriter, r *http.Request) {
	if err := h.uploads(r); err != nil {
		h.formPage(w, r, 1, err)
		return
	}
	in := input(r.PostForm)
	step2 := r.PostForm.Get("go") != "create"
	if step2 && in.Kind == twinfed.EventOnline {
		// Check everything but the slot before offering the slots.
		probe := in
		probe.Slot = "23:59"
		if _, err := h.svc.Check(web.State(r).Principal, probe); err != nil {
			h.formPage(w, r, 1, err)
			return
		}
		h.formPage(w, r, 2, nil)
		return
	}
	e, err := h.svc.Create(r.Context(), web.State(r).Principal, in)
	if err != nil {
		step := 1
		if _, ok := twinfed.ErrorFields(err)["slot"]; ok {
			step = 2
		}
		h.formPage(w, r, step, err)
		return
	}
	web.RedirectDone(w, r, h.svc.Path(e.ID), "event_created")
}

// eventData is an event's page.
type eventData struct {
	V           *View
	Item        Item
	Full        bool
	NoPlaces    bool // another node's event whose home node cannot give its counts now
	Certificate bool // the viewer may download their certificate
	Editable    bool // the viewer may change or cancel it (twinfed.CanEditEvent)
}

func (h *Web) show(w http.ResponseWriter, r *http.Request) {
	v, err := h.svc.Get(r.Context(), web.State(r).Principal, h.id(r))
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	noPlaces := h.places != nil && v.Event.Capacity > 0 && !h.svc.isLocal(v.Event.ID) && !h.places.Count(r.Context(), v)
	p := h.kit.NewPage(w, r, "title.event")
	p.Nav = "events"
	p.Data = eventData{V: v, Item: h.item(p, v.Event, h.svc.now()), Full: v.Event.Capacity > 0 && v.Confirmed >= v.Event.Capacity, NoPlaces: noPlaces,
		Certificate: h.svc.certs != nil && h.svc.certs.HasCertificate(r.Context(), web.State(r).Principal, v.Event),
		Editable:    twinfed.CanEditEvent(v.Event, h.svc.actor(web.State(r).Principal), h.svc.now()) == nil}
	h.kit.Render(w, http.StatusOK, "event", p)
}

func (h *Web) participate(w http.ResponseWriter, r *http.Request) {
	st, err := h.svc.Participate(r.Context(), web.State(r).Principal, h.id(r))
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	flash := "event_pending" // another node's event: the answer comes
	switch st {
	case twinfed.BookingConfirmed:
		flash = "event_confirmed"
	case twinfed.BookingWaiting:
		flash = "event_waiting"
	}
	web.RedirectDone(w, r, h.svc.Path(h.id(r)), flash)
}

func (h *Web) leave(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.Leave(r.Context(), web.State(r).Principal, h.id(r)); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, h.svc.Path(h.id(r)), "event_left")
}

func (h *Web) attendance(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.RecordAttendance(r.Context(), web.State(r).Principal, h.id(r), r.PostForm["attended"]); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, h.svc.Path(h.id(r)), "event_attendance")
}

func (h *Web) ics(w http.ResponseWriter, r *http.Request) {
	v, err := h.svc.Get(r.Context(), web.State(r).Principal, h.id(r))
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="event.ics"`)
	w.Write(h.svc.ICS([]*twinfed.Event{v.Event}))
}

func (h *Web) newFeed(w http.ResponseWriter, r *http.Request) {
	token, err := h.svc.NewFeed(r.Context(), web.State(r).Principal)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/events?view=mine&feed="+url.QueryEscape(token), http.StatusSeeOther)
}

func (h *Web) revokeFeed(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.RevokeFeed(r.Context(), web.State(r).Principal); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, "/events?view=mine", "feed_revoked")
}

// feed serves a personal calendar feed to calendar applications, which
// carry no session: the secret token in the URL is the credential.
func (h *Web) feed(w http.ResponseWriter, r *http.Request) {
	body, err := h.svc.Feed(r.Context(), strings.TrimSuffix(r.PathValue("token"), ".ics"))
	if err != nil {
		http.Error(w, "no such calendar", twinfed.HTTPStatus(twinfed.ErrorCode(err)))
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Write(body)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
