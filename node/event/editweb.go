package event

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The organiser's pages of an event: the form that changes it
// (GET and POST /events/{id}/edit) and its cancellation
// (POST /events/{id}/cancel).

// editData is the form that changes an event.
type editData struct {
	V         *View
	Item      Item
	Countries []*twinfed.Country
	Languages []string
	Chosen    map[string]bool // the audience's countries chosen
}

// editForm is the form of an event's fields as they are.
func (s *Service) editForm(e *twinfed.Event) url.Values {
	f := url.Values{"title": {e.Title}, "description": {e.Description}, "language": {e.Language}, "kind": {string(e.Kind)}, "place": {e.Place},
		"expected": {strconv.Itoa(e.Expected)}, "audience": {string(e.Audience)}, "countries": e.Countries,
		"date": {e.Start.In(s.cet).Format("2006-01-02")}, "slot": {e.Start.In(s.cet).Format("15:04")}, "minutes": {strconv.Itoa(e.Minutes)}}
	return f
}

func (h *Web) editPage(w http.ResponseWriter, r *http.Request, ferr error) {
	pr := web.State(r).Principal
	v, err := h.svc.Get(r.Context(), pr, h.id(r))
	if err == nil {
		err = twinfed.CanEditEvent(v.Event, h.svc.actor(pr), h.svc.now())
	}
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.event_edit")
	p.Nav = "events"
	p.Form = h.svc.editForm(v.Event)
	if r.Method == http.MethodPost {
		p.Form = r.PostForm
	}
	d := editData{V: v, Item: h.item(p, v.Event, h.svc.now()), Languages: twinfed.UILanguageCodes(), Chosen: map[string]bool{}}
	for _, c := range twinfed.SeedCountries() {
		d.Countries = append(d.Countries, &c)
	}
	d.Countries = p.SortCountries(d.Countries)
	for _, c := range p.Form["countries"] {
		d.Chosen[c] = true
	}
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, "event_edit", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "event_edit", p)
}

func (h *Web) editGet(w http.ResponseWriter, r *http.Request) { h.editPage(w, r, nil) }

func (h *Web) edit(w http.ResponseWriter, r *http.Request) {
	e, err := h.svc.Edit(r.Context(), web.State(r).Principal, h.id(r), input(r.PostForm))
	if err != nil {
		if len(twinfed.ErrorFields(err)) > 0 {
			h.editPage(w, r, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, h.svc.Path(e.ID), "event_saved")
}

func (h *Web) cancel(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.Cancel(r.Context(), web.State(r).Principal, h.id(r)); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, h.svc.Path(h.id(r)), "event_cancelled")
}
