package eventfiles

import (
	"embed"
	"mime"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/event/eventforum"
	"github.com/twinfed/twinfed/node/web"
)

//go:embed templates/*.html
var templates embed.FS

// Web is the archive's page (GET and POST /events/{id}/files), its
// downloads (GET /events/{id}/files/get?f=<file id>[&thumb=1]), its
// deletions (POST /events/{id}/files/delete), its JSON API (api.go) and,
// behind the signature check, the files uploaded here for other nodes
// (GET BlobPath<hash>) and the home node's changes for the catch-up (GET
// CatchUpPath).
type Web struct {
	svc    *Service
	kit    *web.Kit
	signed func(http.Handler) http.Handler
}

// NewWeb returns the archive's pages; signed is the check that guards
// BlobPath and CatchUpPath (nil: nothing is served to other nodes).
func NewWeb(svc *Service, signed func(http.Handler) http.Handler) *Web {
	return &Web{svc: svc, signed: signed}
}

// Routes registers the archive's template and pages on k.
func (h *Web) Routes(k *web.Kit) error {
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	h.kit = k
	k.HandleFunc("GET /events/{id}/files", k.Member(h.page))
	k.HandleFunc("POST /events/{id}/files", k.Large(h.svc.cfg.MaxFileBytes+1<<20, k.Member(h.upload)))
	k.HandleFunc("GET /events/{id}/files/get", k.Member(h.download))
	k.HandleFunc("POST /events/{id}/files/delete", k.Member(h.delete))
	if h.signed != nil {
		k.Handle("GET "+BlobPath+"{hash}", h.signed(http.HandlerFunc(h.toNode)))
		k.Handle("GET "+CatchUpPath, h.signed(eventforum.ServeCatchUp(h.svc.Served)))
	}
	h.apiRoutes(k)
	return nil
}

// row is a file as the page shows it.
type row struct {
	twinfed.EventFile
	Size      string           // in the reader's language
	Label     string           // the format's name: PDF, PNG…
	Profile   *twinfed.Profile // the uploader's, from the directory (nil: shown by address)
	CanDelete bool
}

// pageData is the archive's page.
type pageData struct {
	Event   *twinfed.Event
	Path    string // the event's page
	Files   []row
	Used    string
	Quota   string
	MaxFile string
}

func (h *Web) render(w http.ResponseWriter, r *http.Request, ferr error) {
	ev, st := h.svc.events, web.State(r)
	id := ev.EventID(r.PathValue("id"))
	if _, err := ev.Get(r.Context(), st.Principal, id); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	l, err := h.svc.List(r.Context(), st.Principal, id)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.event_files")
	p.Nav = "events"
	me := actorOf(h.svc.base, st.Principal)
	d := pageData{Event: l.Event, Path: ev.Path(id), Used: p.Bytes(l.Used), Quota: p.Bytes(l.Quota), MaxFile: p.Bytes(h.svc.cfg.MaxFileBytes)}
	var uploaders []string
	for _, f := range l.Files {
		uploaders = append(uploaders, f.Uploader)
	}
	profiles := h.svc.profiles(uploaders)
	for _, f := range l.Files {
		t, _ := blob.TypeOf(f.Type)
		d.Files = append(d.Files, row{EventFile: f, Size: p.Bytes(f.Size), Label: t.Label, Profile: profiles[f.Uploader], CanDelete: twinfed.CanDeleteEventFile(l.Event, &f, me) == nil})
	}
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, "event_files", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "event_files", p)
}

func (h *Web) page(w http.ResponseWriter, r *http.Request) { h.render(w, r, nil) }

// refused renders the page with err when it is the reader's to correct,
// the error page otherwise.
func (h *Web) refused(w http.ResponseWriter, r *http.Request, err error) {
	switch twinfed.ErrorCode(err) {
	case twinfed.EINVALID, twinfed.ETOOLARGE, twinfed.EUNAVAILABLE:
		h.render(w, r, err)
	default:
		h.kit.ErrorPage(w, r, err)
	}
}

func (h *Web) upload(w http.ResponseWriter, r *http.Request) {
	id := h.svc.events.EventID(r.PathValue("id"))
	var fh *multipart.FileHeader
	if r.MultipartForm != nil && len(r.MultipartForm.File["file"]) > 0 {
		fh = r.MultipartForm.File["file"][0]
	}
	if fh == nil || (fh.Size == 0 && fh.Filename == "") {
		h.refused(w, r, twinfed.Errorf(twinfed.EINVALID, "Choose a file to upload."))
		return
	}
	f, err := fh.Open()
	if err != nil {
		h.refused(w, r, twinfed.Errorf(twinfed.EINVALID, "Choose a file to upload."))
		return
	}
	defer f.Close()
	if _, err := h.svc.Upload(r.Context(), web.State(r).Principal, id, fh.Filename, f); err != nil {
		h.refused(w, r, err)
		return
	}
	web.RedirectDone(w, r, h.svc.events.Path(id)+"/files", "uploaded")
}

func (h *Web) delete(w http.ResponseWriter, r *http.Request) {
	id := h.svc.events.EventID(r.PathValue("id"))
	if err := h.svc.Delete(r.Context(), web.State(r).Principal, id, r.PostForm.Get("f")); err != nil {
		h.refused(w, r, err)
		return
	}
	web.RedirectDone(w, r, h.svc.events.Path(id)+"/files", "removed")
}

// download sends a file as an attachment (its thumbnail inline), with
// its type found from the content and nosniff.
func (h *Web) download(w http.ResponseWriter, r *http.Request) {
	h.send(w, r, func(err error) { h.kit.ErrorPage(w, r, err) })
}

// send sends the file the query names (f, and thumb for its
// thumbnail), or fails with fail.
func (h *Web) send(w http.ResponseWriter, r *http.Request, fail func(error)) {
	id := h.svc.events.EventID(r.PathValue("id"))
	thumb := r.URL.Query().Get("thumb") != ""
	rc, info, f, err := h.svc.Open(r.Context(), web.State(r).Principal, id, r.URL.Query().Get("f"), thumb)
	if err != nil {
		fail(err)
		return
	}
	defer rc.Close()
	ct, disp, name := f.Type, "attachment", f.Name
	if thumb {
		ct, disp, name = "image/jpeg", "inline", "preview.jpg"
	} else if t, ok := blob.TypeOf(f.Type); ok && t.Class == blob.ClassText {
		ct += "; charset=utf-8"
	}
	hd := w.Header()
	hd.Set("Content-Type", ct)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Cache-Control", "private, max-age=3600")
	hd.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": name}))
	http.ServeContent(w, r, "", info.Created, rc)
}

// toNode gives a file uploaded here to a node that asks with a signed GET
// and may have it (Service.ServesTo).
func (h *Web) toNode(w http.ResponseWriter, r *http.Request) {
	hash := r.PathValue("hash")
	host, _ := web.Signer(r.Context())
	if h.svc.blobs == nil || !h.svc.ServesTo(r.Context(), host, hash) {
		http.Error(w, "No such file for your node.", http.StatusNotFound)
		return
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(10 * time.Minute))
	f, info, err := h.svc.blobs.Open(r.Context(), hash)
	if err != nil {
		http.Error(w, "No such file for your node.", http.StatusNotFound)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", info.Created, f)
}
