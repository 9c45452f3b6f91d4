package eventapi

import (
	"net/http"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/web"
)

// API is the events' JSON API on a node's events service.
type API struct {
	svc    *event.Service
	kit    *web.Kit
	places event.Places // another node's event's counts (UsePlaces); nil: 0
}

// New returns the API of svc; Routes registers it.
func New(svc *event.Service) *API { return &API{svc: svc} }

// UsePlaces sets where one event's view finds the counts of another
// node's event (node/event/eventplaces, as the event's page).
func (a *API) UsePlaces(p event.Places) *API { a.places = p; return a }

// photoForm is the largest upload of photos: every photo at its largest.
const photoForm = twinfed.EventMaxPhotos*twinfed.EventPhotoMaxBytes + 1<<20

// Routes registers the API on k.
func (a *API) Routes(k *web.Kit) {
	a.kit = k
	k.HandleFunc("GET /api/v1/events", k.API(true, a.list))
	k.HandleFunc("GET /api/v1/events/mine", k.API(true, func(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
		evs, err := a.svc.List(r.Context(), st.Principal, event.Filter{Mine: true})
		answer(w, http.StatusOK, map[string]any{"items": items(a.svc, evs)}, err)
	}))
	k.HandleFunc("GET /api/v1/events/view", k.API(true, func(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
		v, err := a.svc.Get(r.Context(), st.Principal, a.svc.EventID(r.URL.Query().Get("id")))
		if err != nil {
			web.APIFail(w, err)
			return
		}
		unknown := a.places != nil && v.Event.Capacity > 0 && !a.svc.IsHome(v.Event.ID) && !a.places.Count(r.Context(), v)
		out := a.view(st.Principal, v)
		out.PlacesUnknown = unknown
		answer(w, http.StatusOK, out, nil)
	}))
	k.HandleFunc("POST /api/v1/events", k.API(true, func(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
		var in Input
		if err := web.Decode(r, &in); err != nil {
			web.APIFail(w, err)
			return
		}
		e, err := a.svc.Create(r.Context(), st.Principal, in.input())
		answer(w, http.StatusCreated, item(a.svc, e), err)
	}))
	k.HandleFunc("POST /api/v1/events/edit", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in Input) (any, error) {
		e, err := a.svc.Edit(r.Context(), p, a.svc.EventID(in.ID), in.input())
		if err != nil {
			return nil, err
		}
		return item(a.svc, e), nil
	})))
	k.HandleFunc("POST /api/v1/events/cancel", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in idInput) (any, error) {
		return nil, a.svc.Cancel(r.Context(), p, a.svc.EventID(in.ID))
	})))
	k.HandleFunc("POST /api/v1/events/participate", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in idInput) (any, error) {
		st, err := a.svc.Participate(r.Context(), p, a.svc.EventID(in.ID))
		if err != nil {
			return nil, err
		}
		return map[string]string{"state": string(st)}, nil
	})))
	k.HandleFunc("POST /api/v1/events/leave", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in idInput) (any, error) {
		return nil, a.svc.Leave(r.Context(), p, a.svc.EventID(in.ID))
	})))
	k.HandleFunc("POST /api/v1/events/photos", k.Large(photoForm, k.API(true, a.photos)))
}

// idInput names an event.
type idInput struct {
	ID string `json:"id"`
}

// Input is an event as the API takes it, to create (without ID) or to
// change (with ID) it. Date and start are in Central European Time.
type Input struct {
	ID          string   `json:"id,omitempty"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Language    string   `json:"language"`
	Kind        string   `json:"kind"`
	Place       string   `json:"place,omitempty"`
	Expected    int      `json:"expected,omitempty"`
	Audience    string   `json:"audience"`
	Countries   []string `json:"countries,omitempty"`
	Date        string   `json:"date"`  // yyyy-mm-dd
	Start       string   `json:"start"` // hh:mm, on the half hour for an online event
	Minutes     int      `json:"minutes"`
	Invited     []string `json:"invited,omitempty"`
	// Certifying: the event gives certificates of participation; absent,
	// a change keeps what the event gives.
	Certifying *bool `json:"certifying,omitempty"`
	// Photos are the hashes of photos uploaded with POST
	// /api/v1/events/photos (and, to change an event, of those it keeps);
	// absent, a change keeps the event's photos.
	Photos *[]string `json:"photos,omitempty"`
}

func (in Input) input() event.Input {
	out := event.Input{Title: in.Title, Description: in.Description, Language: in.Language, Kind: twinfed.EventKind(in.Kind), Place: in.Place,
		Expected: in.Expected, Audience: twinfed.EventAudience(in.Audience), Countries: in.Countries, Date: in.Date, Slot: in.Start,
		Minutes: in.Minutes, Invited: in.Invited, SetInvited: len(in.Invited) > 0} // a change invites them besides those already invited
	if in.Certifying != nil {
		out.Certifying, out.SetCertifying = *in.Certifying, true
	}
	if in.Photos != nil {
		out.Photos, out.SetPhotos = *in.Photos, true
	}
	return out
}

// Item is an event in the API's answers, with its page on this node.
type Item struct {
	*twinfed.Event
	Page string `json:"page"`
}

func item(s *event.Service, e *twinfed.Event) Item {
	if e == nil {
		return Item{}
	}
	return Item{Event: e, Page: s.Path(e.ID)}
}

func items(s *event.Service, evs []*twinfed.Event) []Item {
	out := make([]Item, 0, len(evs))
	for _, e := range evs {
		out = append(out, item(s, e))
	}
	return out
}

// View is one event as the member asking sees it.
type View struct {
	Item
	State     string `json:"state,omitempty"` // the member's booking: confirmed, waiting, pending, refused
	Confirmed int    `json:"confirmed"`       // the home node's counts, asked of it for another node's event
	Waiting   int    `json:"waiting"`
	// PlacesUnknown: another node's event whose home node cannot give its
	// counts now (Confirmed and Waiting are then 0).
	PlacesUnknown bool `json:"places_unknown,omitempty"`
	Live          bool `json:"live"`
	RoomOpen      bool `json:"room_open"`
	Mine          bool `json:"mine"`     // the member organises it
	Editable      bool `json:"editable"` // the member may change or cancel it
}

func (a *API) view(p *twinfed.Principal, v *event.View) View {
	return View{Item: item(a.svc, v.Event), State: string(v.State), Confirmed: v.Confirmed, Waiting: v.Waiting, Live: v.Live, RoomOpen: v.RoomOpen,
		Mine: v.Mine, Editable: a.svc.CanEdit(p, v.Event)}
}

// list answers the lists: ?view=today|week|month|mine|all, q, kind, as the
// events page.
func (a *API) list(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	q := r.URL.Query()
	f, view := a.svc.ListFilter(q.Get("view"), q.Get("q"), q.Get("kind"))
	evs, err := a.svc.List(r.Context(), st.Principal, f)
	answer(w, http.StatusOK, map[string]any{"view": view, "items": items(a.svc, evs)}, err)
}

// photos stores the photos of a multipart form ("photos" files) for an
// event to come: their hashes go into Input.Photos.
func (a *API) photos(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	if err := r.ParseMultipartForm(1 << 20); err != nil || r.MultipartForm == nil {
		web.APIFail(w, twinfed.Errorf(twinfed.EINVALID, "Send the photos as a multipart form, each file in a field named photos."))
		return
	}
	var files []event.Upload
	for _, fh := range r.MultipartForm.File["photos"] {
		f, err := fh.Open()
		if err != nil {
			web.APIFail(w, err)
			return
		}
		defer f.Close()
		files = append(files, event.Upload{Name: fh.Filename, Body: f})
	}
	if len(files) == 0 {
		web.APIFail(w, twinfed.Errorf(twinfed.EINVALID, "Send the photos as a multipart form, each file in a field named photos."))
		return
	}
	photos, err := a.svc.UploadPhotos(r.Context(), st.Principal, files)
	answer(w, http.StatusCreated, map[string]any{"photos": photos}, err)
}

// answer writes v, or the error.
func answer(w http.ResponseWriter, status int, v any, err error) {
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, status, v)
}
