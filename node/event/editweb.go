package event

import (
	"io"
	"net/http"
	"net/url"
	"slices"
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
	Photos    []photoChoice   // the event's photos and those just uploaded
	MaxPhotos int
	Contacts  []string        // the organiser's contacts, to invite
	Invited   map[string]bool // checked: invited (already: Event.Invited, not to be taken back)
}

// photoChoice is a photo the edit form keeps when it stays checked.
type photoChoice struct {
	Hash    string
	Thumb   string // its thumbnail's path; "": just uploaded, not shown yet
	Checked bool
}

// editForm is the form of an event's fields as they are.
func (s *Service) editForm(e *twinfed.Event) url.Values {
	f := url.Values{"title": {e.Title}, "description": {e.Description}, "language": {e.Language}, "kind": {string(e.Kind)}, "place": {e.Place},
		"expected": {strconv.Itoa(e.Expected)}, "audience": {string(e.Audience)}, "countries": e.Countries,
		"date": {e.Start.In(s.cet).Format("2006-01-02")}, "slot": {e.Start.In(s.cet).Format("15:04")}, "minutes": {strconv.Itoa(e.Minutes)}}
	if e.Certifying {
		f.Set("certifying", "on")
	}
	f["invited"] = e.Invited
	for _, ph := range e.Photos {
		f.Add("photo", ph.Hash)
	}
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
	d.MaxPhotos = twinfed.EventMaxPhotos
	if d.Contacts, err = h.svc.Contacts(r.Context(), pr); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	d.Invited = map[string]bool{}
	for _, a := range slices.Concat(p.Form["invited"], v.Event.Invited) {
		d.Invited[a] = true
	}
	for _, ph := range v.Event.Photos {
		c := photoChoice{Hash: ph.Hash, Checked: slices.Contains(p.Form["photo"], ph.Hash)}
		if ph.Thumb != "" {
			c.Thumb = d.Item.Path + "/photos/" + ph.Thumb
		}
		d.Photos = append(d.Photos, c)
	}
	for _, hash := range p.Form["photo"] {
		if !slices.ContainsFunc(d.Photos, func(c photoChoice) bool { return c.Hash == hash }) {
			d.Photos = append(d.Photos, photoChoice{Hash: hash, Checked: true})
		}
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
	if err := h.uploads(r); err != nil {
		h.editPage(w, r, err)
		return
	}
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

// uploads stores the photos of a multipart form (its "photos" files) and
// adds their hashes to the form's "photo" values, which the next step and
// Create or Edit read.
func (h *Web) uploads(r *http.Request) error {
	if r.MultipartForm == nil || len(r.MultipartForm.File["photos"]) == 0 {
		return nil
	}
	var files []Upload
	for _, fh := range r.MultipartForm.File["photos"] {
		if fh.Size == 0 && fh.Filename == "" {
			continue // the file input left empty
		}
		f, err := fh.Open()
		if err != nil {
			return twinfed.Errorf(twinfed.EINVALID, "The form could not be read. Reload the page and try again.")
		}
		defer f.Close()
		files = append(files, Upload{Name: fh.Filename, Body: f})
	}
	photos, err := h.svc.UploadPhotos(r.Context(), web.State(r).Principal, files)
	if err != nil {
		return err
	}
	for _, p := range photos {
		if !slices.Contains(r.PostForm["photo"], p.Hash) {
			r.PostForm["photo"] = append(r.PostForm["photo"], p.Hash)
		}
	}
	return nil
}

// photo serves a photo (or its thumbnail) of an event to its audience.
func (h *Web) photo(w http.ResponseWriter, r *http.Request) {
	f, info, mime, err := h.svc.Photo(r.Context(), web.State(r).Principal, h.id(r), r.PathValue("hash"))
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", mime)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, max-age=86400, immutable") // the URL is the content's hash
	http.ServeContent(w, r, "", info.Created, f)
}

// photoToNode gives a photo of an event of this node to a node of its
// audience that asks with a signed GET.
func (h *Web) photoToNode(w http.ResponseWriter, r *http.Request) {
	hash := r.PathValue("hash")
	host, _ := web.Signer(r.Context())
	if !h.svc.ServesPhoto(r.Context(), host, hash) {
		http.Error(w, "No such photo for your node.", http.StatusNotFound)
		return
	}
	f, info, err := h.svc.blobs.Open(r.Context(), hash)
	if err != nil {
		http.Error(w, "No such photo for your node.", http.StatusNotFound)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(info.Size, 10))
	_, _ = io.Copy(w, f)
}
