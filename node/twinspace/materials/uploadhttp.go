package materials

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// uploadHandler reads a large multipart upload part by part: mr is
// positioned after the form's CSRF token.
type uploadHandler func(w http.ResponseWriter, r *http.Request, mr *multipart.Reader)

// upload wraps a handler of large files (a TwinSpace's materials) that
// Web's parsing would hold in memory and temporary files: the body, a
// multipart form of at most max bytes, is handed over unread. The CSRF
// token comes in the X-CSRF-Token header (scripts, the JSON API) or as the
// form's first part, named csrf (a plain form: put its hidden input
// first); a form without it is refused before any file is read. The
// connection's read and write deadlines are extended to duration, for a
// slow network.
func upload(k *web.Kit, max int64, duration time.Duration, h uploadHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r = k.Load(r)
		fail := func(err error) {
			switch {
			case strings.HasPrefix(r.URL.Path, "/api/"):
				web.APIFail(w, err)
			case wantsJSON(r): // the page's script: the message in the reader's language
				web.WriteJSON(w, twinfed.HTTPStatus(twinfed.ErrorCode(err)), map[string][]string{"errors": {k.Catalog().ErrorText(web.State(r).Lang, err)}})
			default:
				k.ErrorPage(w, r, err)
			}
		}
		// A TwinSpace's uploads come from pupils too (Space).
		if st := web.State(r); st.Refused != nil {
			fail(st.Refused)
			return
		} else if st.Principal == nil && st.Scoped != nil {
			st.Principal = st.Scoped
		}
		if r.ContentLength > max {
			fail(twinfed.Errorf(twinfed.ETOOLARGE, "What you sent is too large: at most %d MB at once.", max>>20))
			return
		}
		rc := http.NewResponseController(w)
		if err := errors.Join(rc.SetReadDeadline(time.Now().Add(duration)), rc.SetWriteDeadline(time.Now().Add(duration))); err != nil {
			k.Logger().Warn("upload: the connection's deadlines stay the server's", "path", r.URL.Path, "err", err)
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		mr, err := r.MultipartReader()
		if err != nil {
			fail(twinfed.Errorf(twinfed.EINVALID, "The form could not be read. Reload the page and try again."))
			return
		}
		token := r.Header.Get("X-CSRF-Token")
		if token == "" {
			part, err := mr.NextPart()
			if err == nil && part.FormName() == "csrf" {
				b, _ := io.ReadAll(io.LimitReader(part, 256))
				token = strings.TrimSpace(string(b))
			}
		}
		if !k.CheckCSRF(web.State(r), token) {
			fail(twinfed.Errorf(twinfed.EFORBIDDEN, "This form has expired or did not come from this site. Reload the page and try again."))
			return
		}
		h(w, r, mr)
	}
}

// wantsJSON reports whether the request asks for a JSON answer (a
// script's request, the JSON API).
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json") || strings.HasPrefix(r.URL.Path, "/api/")
}

// isTooLarge reports whether err is a body cut by http.MaxBytesReader.
func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
