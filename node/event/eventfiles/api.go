package eventfiles

import (
	"errors"
	"io"
	"net/http"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The archive's JSON API, under /api/v1/events/{id}/files ({id} as in the
// pages: the last segment of an event of this node, another node's whole
// id escaped), with the pages' rules.

func (h *Web) apiRoutes(k *web.Kit) {
	k.HandleFunc("GET /api/v1/events/{id}/files", k.API(true, h.apiList))
	k.HandleFunc("POST /api/v1/events/{id}/files", k.Large(h.svc.cfg.MaxFileBytes+1<<20, k.API(true, h.apiUpload)))
	k.HandleFunc("GET /api/v1/events/{id}/files/download", k.API(true, h.apiDownload))
	k.HandleFunc("POST /api/v1/events/{id}/files/delete", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in deleteInput) (any, error) {
		return map[string]bool{"deleted": true}, h.svc.Delete(r.Context(), p, h.svc.events.EventID(r.PathValue("id")), in.File)
	})))
}

// deleteInput names the file to delete.
type deleteInput struct {
	File string `json:"file"`
}

// apiListing is an event's archive in the JSON API.
type apiListing struct {
	Event string              `json:"event"`
	Files []twinfed.EventFile `json:"files"`
	Used  int64               `json:"used"`
	Quota int64               `json:"quota"`
	// MaxFile is the largest file this node takes.
	MaxFile int64 `json:"max_file"`
	// CanUpload: the reader may add files (not once the event is
	// cancelled).
	CanUpload bool `json:"can_upload"`
}

func (h *Web) apiList(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	l, err := h.svc.List(r.Context(), st.Principal, h.svc.events.EventID(r.PathValue("id")))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, apiListing{Event: l.Event.ID, Files: l.Files, Used: l.Used, Quota: l.Quota, MaxFile: h.svc.cfg.MaxFileBytes, CanUpload: !l.Event.Cancelled})
}

// apiUpload reads a multipart body part by part and uploads its part
// named file.
func (h *Web) apiUpload(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	mr, err := r.MultipartReader()
	if err != nil {
		web.APIFail(w, twinfed.Errorf(twinfed.EINVALID, "Send the file as multipart/form-data, in a part named file."))
		return
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				web.APIFail(w, twinfed.Errorf(twinfed.ETOOLARGE, "A file may be at most %d MB.", h.svc.cfg.MaxFileBytes>>20))
				return
			}
			web.APIFail(w, twinfed.Errorf(twinfed.EINVALID, "Send the file as multipart/form-data, in a part named file."))
			return
		}
		if part.FormName() != "file" || part.FileName() == "" {
			continue
		}
		f, err := h.svc.Upload(r.Context(), st.Principal, h.svc.events.EventID(r.PathValue("id")), part.FileName(), part)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = twinfed.Errorf(twinfed.ETOOLARGE, "A file may be at most %d MB.", h.svc.cfg.MaxFileBytes>>20)
		}
		if err != nil {
			web.APIFail(w, err)
			return
		}
		web.WriteJSON(w, http.StatusCreated, f)
		return
	}
	web.APIFail(w, twinfed.Errorf(twinfed.EINVALID, "Choose a file to upload."))
}

func (h *Web) apiDownload(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	h.send(w, r, func(err error) { web.APIFail(w, err) })
}
