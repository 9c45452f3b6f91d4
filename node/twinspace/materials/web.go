package materials

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/web"
)

//go:embed templates/*.html
var templates embed.FS

// WebConfig is what the tool's routes need from the node.
type WebConfig struct {
	// Signed guards FilePath: only nodes the registry lists, found with
	// web.Signer. Nil: files are not served to other nodes.
	Signed func(http.Handler) http.Handler
}

// Web is the Materials tab's pages, file routes and JSON API.
type Web struct {
	svc *Service
	cfg WebConfig
	kit *web.Kit
}

// NewWeb returns the tool's pages and API; Routes registers them.
func NewWeb(svc *Service, cfg WebConfig) *Web { return &Web{svc: svc, cfg: cfg} }

// uploadTime bounds the reading of one upload (a slow school network).
const uploadTime = 30 * time.Minute

// Routes registers the tool's templates, pages, files and API on k.
func (h *Web) Routes(k *web.Kit) error {
	if err := twinspace.AddToolTemplates(k, templates, "templates/*.html"); err != nil {
		return err
	}
	h.kit = k
	most := h.svc.cfg.MaxFileBytes*maxFilesAtOnce + 1<<20
	k.HandleFunc("GET /twinspace/materials", k.Space(h.page))
	k.HandleFunc("POST /twinspace/materials/upload", upload(k, most, uploadTime, h.upload))
	k.HandleFunc("POST /twinspace/materials/folder", k.Space(h.folder))
	k.HandleFunc("POST /twinspace/materials/delete", k.Space(h.delete))
	k.HandleFunc("GET /twinspace/materials/file", k.SpacePublic(h.file))
	k.HandleFunc("GET /twinspace/materials/thumb", k.SpacePublic(h.thumb))
	if h.cfg.Signed != nil {
		k.Handle("GET "+FilePath+"{hash}", h.cfg.Signed(http.HandlerFunc(h.serveToNode)))
	}
	h.apiRoutes(k, most)
	return nil
}

// maxFilesAtOnce bounds one upload's files.
const maxFilesAtOnce = 20

// pageData is the Materials tab.
type pageData struct {
	twinspace.Frame
	*Listing
	Items      []item
	Subfolders []item
	CanUpload  bool
	CanFolder  bool
	Teacher    bool // sees the quotas
	SpaceUsage string
	NodeUsage  string
	MaxFile    string
	Problems   []string // the files refused, each with why
}

// item is a file as the list shows it.
type item struct {
	*twinfed.SpaceObject
	Size    string
	Type    string // the format's label
	Thumb   bool
	CanEdit bool
}

func (h *Web) page(w http.ResponseWriter, r *http.Request) { h.render(w, r, http.StatusOK, nil, nil) }

// render shows the folder of ?folder= (or the posted folder), with the
// files an upload refused, or a form's error (ferr).
func (h *Web) render(w http.ResponseWriter, r *http.Request, status int, problems []string, ferr error) {
	v, err := h.svc.spaces.PageView(r)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	folder := r.URL.Query().Get("folder")
	if folder == "" && r.PostForm != nil {
		folder = r.PostForm.Get("folder")
	}
	l, err := h.svc.List(r.Context(), v, folder)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.twinspace")
	p.Nav, p.Scripts = "projects", true // materials.js: several files at once, with progress
	d := pageData{Frame: h.svc.spaces.Frame(v, "materials"), Listing: l, Problems: problems,
		CanUpload: v.Can(twinfed.SpaceUpload), CanFolder: v.Can(twinfed.SpaceCreateFolder), Teacher: v.Role.IsTeacher()}
	u := h.svc.Usage(v.Project.ID)
	d.SpaceUsage = fmt.Sprintf(p.T("mat.of_used"), p.Bytes(u.Space), p.Bytes(u.SpaceQuota))
	d.NodeUsage = fmt.Sprintf(p.T("mat.of_used"), p.Bytes(u.Node), p.Bytes(u.NodeQuota))
	d.MaxFile = p.Bytes(u.MaxFile)
	for _, o := range l.Folders {
		d.Subfolders = append(d.Subfolders, item{SpaceObject: o, CanEdit: h.svc.spaces.CanChange(v, o)})
	}
	for _, o := range l.Files {
		n, _ := strconv.ParseInt(o.Fields["size"], 10, 64)
		t, _ := blob.TypeOf(o.Fields["type"])
		d.Items = append(d.Items, item{SpaceObject: o, Size: p.Bytes(n), Type: t.Label, Thumb: o.Fields["thumb"] != "", CanEdit: h.svc.spaces.CanChange(v, o)})
	}
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, "twinspace_materials", p, ferr)
		return
	}
	if len(problems) > 0 {
		p.Problem = p.T("mat.refused")
	}
	h.kit.Render(w, status, "twinspace_materials", p)
}

// uploaded is the outcome of an upload of several files.
type uploaded struct {
	Files  []*twinfed.SpaceObject `json:"files"`
	Errors []string               `json:"errors"`
	first  error
}

// receive reads an upload's parts: id and folder, then the files, each
// uploaded on its own (a refused file does not stop the others).
func (h *Web) receive(r *http.Request, mr *multipart.Reader, lang string) (project, folder string, out uploaded) {
	out.Files, out.Errors = []*twinfed.SpaceObject{}, []string{}
	fail := func(err error) {
		if out.first == nil {
			out.first = err
		}
		out.Errors = append(out.Errors, h.kit.Catalog().ErrorText(lang, err))
	}
	st := web.State(r)
	n := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if isTooLarge(err) {
				fail(twinfed.Errorf(twinfed.ETOOLARGE, "What you sent is too large: at most %d MB at once.", (h.svc.cfg.MaxFileBytes*maxFilesAtOnce)>>20))
			} else {
				fail(twinfed.Errorf(twinfed.EINVALID, "The form could not be read. Reload the page and try again."))
			}
			break
		}
		switch part.FormName() {
		case "id", "folder":
			b, _ := io.ReadAll(io.LimitReader(part, 2048))
			if part.FormName() == "id" {
				project = string(b)
			} else {
				folder = string(b)
			}
			continue
		case "files":
		default:
			continue
		}
		if part.FileName() == "" {
			continue // the picker left empty
		}
		if n++; n > maxFilesAtOnce {
			fail(twinfed.Errorf(twinfed.EINVALID, "Upload at most %d files at once.", maxFilesAtOnce))
			break
		}
		o, err := h.svc.Upload(r.Context(), st.Principal, project, folder, part.FileName(), part)
		if isTooLarge(err) {
			fail(twinfed.Errorf(twinfed.ETOOLARGE, "What you sent is too large: at most %d MB at once.", (h.svc.cfg.MaxFileBytes*maxFilesAtOnce)>>20))
			break
		}
		if err != nil {
			fail(err)
			continue
		}
		out.Files = append(out.Files, o)
	}
	if len(out.Files) == 0 && out.first == nil {
		fail(&twinfed.Error{Code: twinfed.EINVALID, Message: "Choose a file to upload.", Fields: map[string]string{"files": "Choose a file to upload."}})
	}
	return project, folder, out
}

func (h *Web) upload(w http.ResponseWriter, r *http.Request, mr *multipart.Reader) {
	st := web.State(r)
	project, folder, out := h.receive(r, mr, st.Lang)
	back := "/twinspace/materials?" + url.Values{"id": {project}, "folder": {folder}}.Encode()
	if wantsJSON(r) {
		status := http.StatusCreated
		if len(out.Files) == 0 {
			status = twinfed.HTTPStatus(twinfed.ErrorCode(out.first))
		}
		web.WriteJSON(w, status, map[string]any{"files": out.Files, "errors": out.Errors, "next": back})
		return
	}
	if len(out.Errors) == 0 {
		web.RedirectDone(w, r, back, "uploaded")
		return
	}
	// The page again, with the files refused; the query names the folder.
	r.URL.RawQuery = url.Values{"id": {project}, "folder": {folder}}.Encode()
	status := http.StatusOK
	if len(out.Files) == 0 {
		status = twinfed.HTTPStatus(twinfed.ErrorCode(out.first))
	}
	h.render(w, r, status, out.Errors, nil)
}

func (h *Web) folder(w http.ResponseWriter, r *http.Request) {
	id, parent := r.PostForm.Get("id"), r.PostForm.Get("folder")
	_, err := h.svc.CreateFolder(r.Context(), web.State(r).Principal, id, parent, r.PostForm.Get("name"))
	if err != nil {
		if len(twinfed.ErrorFields(err)) > 0 {
			r.URL.RawQuery = url.Values{"id": {id}, "folder": {parent}}.Encode()
			h.render(w, r, 0, nil, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, "/twinspace/materials?"+url.Values{"id": {id}, "folder": {parent}}.Encode(), "saved")
}

func (h *Web) delete(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	if err := h.svc.Delete(r.Context(), web.State(r).Principal, id, r.PostForm.Get("object")); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, "/twinspace/materials?"+url.Values{"id": {id}, "folder": {r.PostForm.Get("folder")}}.Encode(), "removed")
}

func (h *Web) file(w http.ResponseWriter, r *http.Request)  { h.serve(w, r, false) }
func (h *Web) thumb(w http.ResponseWriter, r *http.Request) { h.serve(w, r, true) }

// serve sends a material's file (or its thumbnail) to a reader who sees
// the record: a member, or the public when it is published.
func (h *Web) serve(w http.ResponseWriter, r *http.Request, thumb bool) {
	v, err := h.svc.spaces.PageView(r)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	o, err := h.svc.Material(v, r.URL.Query().Get("m"))
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(uploadTime))
	f, info, err := h.svc.Open(r.Context(), o, thumb)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	defer f.Close()
	t, _ := blob.TypeOf(o.Fields["type"])
	name := o.Fields["filename"]
	if thumb {
		t, name = blob.Type{MIME: "image/jpeg", Class: blob.ClassImage}, "preview.jpg"
	}
	inline := !thumb && r.URL.Query().Get("dl") == "" && (t.Class == blob.ClassImage || t.Class == blob.ClassVideo || t.Class == blob.ClassAudio || t.Class == blob.ClassPDF)
	sendFile(w, r, f, info, t, name, inline || thumb)
}

// sendFile sends a blob with the headers that keep it a file: its type,
// nosniff, a sandbox, and a disposition with its name; ranges answered.
func sendFile(w http.ResponseWriter, r *http.Request, f io.ReadSeeker, info blob.Info, t blob.Type, name string, inline bool) {
	hd := w.Header()
	ct := t.MIME
	if t.Class == blob.ClassText {
		ct += "; charset=utf-8"
	}
	hd.Set("Content-Type", ct)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; media-src 'self'; sandbox")
	hd.Set("Cache-Control", "private, max-age=3600")
	hd.Set("ETag", `"`+info.Hash+`"`)
	disp := "attachment"
	if inline {
		disp = "inline"
	}
	hd.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": name}))
	http.ServeContent(w, r, "", info.Created, f)
}

// serveToNode gives a file uploaded here to a partner node that asks with
// a signed GET.
func (h *Web) serveToNode(w http.ResponseWriter, r *http.Request) {
	hash := r.PathValue("hash")
	host, _ := web.Signer(r.Context())
	if !h.svc.ServesTo(r.Context(), host, hash) {
		http.Error(w, "No such file for your node.", http.StatusNotFound)
		return
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(uploadTime))
	f, info, err := h.svc.blobs.Open(r.Context(), hash)
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			http.Error(w, "No such file for your node.", http.StatusNotFound)
			return
		}
		h.svc.log.Error("materials: serve a file to a node", "hash", hash, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(info.Size, 10))
	if _, err := io.Copy(w, f); err != nil && !errors.Is(err, io.ErrClosedPipe) {
		h.svc.log.Info("materials: a file to a node cut short", "hash", hash, "err", err)
	}
}
