package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twinfed/twinfed"
)

// Page is what every template receives.
type Page struct {
	k     *Kit
	Lang  string
	Title string // message id
	P     *twinfed.Principal
	// Scoped is a pupil's or a visitor's principal (their menu: their
	// TwinSpaces, the language, logging out); nil for anyone else.
	Scoped   *twinfed.Principal
	Me       *twinfed.Member
	w        http.ResponseWriter // for the anonymous cookie CSRF may set
	st       *RequestState
	csrf     string            // CSRF's token, once asked for
	Errors   map[string]string // field → translated message
	Problem  string            // translated summary at the top
	Flash    string
	Form     url.Values // values to fill the form with again
	Data     any
	Country  string
	Agency   string
	Path     string
	Query    string // the raw query string, to come back to the same page
	Langs    []string
	Nav      string // current top-menu item
	Counts   Counts // unread notifications and messages, pending requests
	Policy   twinfed.Eligibility
	Subjects []string
	LangList []string
	Roles    []string
	Levels   []twinfed.SchoolLevel
	Insts    []twinfed.Institution
	PubList  []string
	AgeBands []twinfed.AgeBand
	// Fmt writes dates, times and numbers in the page's language and the
	// reader's zone: the member's choice, else the node's country's.
	Fmt Formatter
	// Scripts: the page loads the node's own scripts from /static/ (its
	// Content-Security-Policy then has script-src 'self'; every other
	// page runs none). The editor's template sets it.
	Scripts bool
	// Frames are the sources the page may show in frames, such as
	// Embeds.FrameSources for a TwinSpace page with embeds (frame-src);
	// none by default.
	Frames []string
}

// T translates a message id into the page's language.
func (p *Page) T(id string) string { return p.k.cat.T(p.Lang, id) }

// TN translates a plural message.
func (p *Page) TN(id string, n int) string { return p.k.cat.TN(p.Lang, id, n) }

// Dir is the direction of the page's language: "rtl" for Arabic, else
// "ltr" (the dir attribute of <html>).
func (p *Page) Dir() string { return p.k.cat.Dir(p.Lang) }

// CountryName is the name of a country code in the page's language.
func (p *Page) CountryName(code string) string { return p.k.cat.CountryName(p.Lang, code) }

// CountryList joins the names of country codes in the page's language.
func (p *Page) CountryList(codes []string) string { return p.k.cat.CountryList(p.Lang, codes) }

// SortCountries returns countries in the alphabetical order of their
// names in the page's language, for a list to choose from.
func (p *Page) SortCountries(countries []*twinfed.Country) []*twinfed.Country {
	return p.k.cat.SortCountries(p.Lang, countries)
}

// LanguageName is the name of a language code in the page's language.
func (p *Page) LanguageName(code string) string { return p.k.cat.LanguageName(p.Lang, code) }

// LanguageList joins the names of language codes in the page's language.
func (p *Page) LanguageList(codes []string) string { return p.k.cat.LanguageList(p.Lang, codes) }

// V returns a form value to fill an input with again.
func (p *Page) V(name string) string {
	if p.Form == nil {
		return ""
	}
	return p.Form.Get(name)
}

// Err returns the translated error of a field.
func (p *Page) Err(name string) string { return p.Errors[name] }

// CSRF is the token the page's POST forms carry. It is made when a
// template first asks for it, so that a visitor without a session is
// given the anonymous cookie that binds it only by a page with such a
// form: the others (a public profile) are the same bytes for every
// visitor, which the profile page cache relies on. Templates run before
// the response's header is written, so the cookie can still be set.
func (p *Page) CSRF() string {
	if p.csrf == "" {
		p.csrf = p.k.csrfToken(p.w, p.st)
	}
	return p.csrf
}

// AskedCSRF reports whether the page's template asked for the CSRF token
// (the page is then the visitor's own, not to be cached).
func (p *Page) AskedCSRF() bool { return p.csrf != "" }

// NewPage starts the page of a request, titled by message id title: the
// visitor, their account and counts, the language, the flash message of
// ?done=.
func (k *Kit) NewPage(w http.ResponseWriter, r *http.Request, title string) *Page {
	st := State(r)
	c := &k.cfg
	p := &Page{k: k, Lang: st.Lang, Title: title, P: st.Principal, w: w, st: st, Country: c.Country, Agency: c.Agency,
		Scoped: st.Scoped, Path: r.URL.Path, Query: r.URL.RawQuery, Langs: k.cat.Languages(), Policy: c.Policy, Subjects: c.Subjects, LangList: c.TeachingLanguages, Roles: twinfed.SchoolRoles,
		Levels: twinfed.SchoolLevels, Insts: twinfed.Institutions, PubList: twinfed.PublicFields, AgeBands: twinfed.AgeBands}
	if st.Member() {
		if m, err := c.Accounts.Member(r.Context(), st.Principal.Username); err == nil {
			p.Me = m
			if c.Counts != nil {
				p.Counts = c.Counts.Counts(r.Context(), st.Principal)
			}
		}
	}
	zone := ""
	if p.Me != nil {
		zone = p.Me.TimeZone
	}
	p.Fmt = k.Formatter(p.Lang, zone)
	if f := r.URL.Query().Get("done"); f != "" {
		p.Flash = "flash." + f
	}
	return p
}

// renderBufs holds the buffers pages are rendered into.
var renderBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Render executes the page's template into a buffer, then sends it whole
// with its length: a template that fails half-way answers 500 instead of a
// truncated page, and the response is written once instead of in the many
// small pieces a template produces.
func (k *Kit) Render(w http.ResponseWriter, status int, name string, p *Page) {
	buf, ok := k.Execute(w, name, p)
	if !ok {
		return
	}
	defer Release(buf)
	sendPage(w, status, p.Lang, p.csp(), buf.Bytes())
}

// defaultCSP is the Content-Security-Policy of a page: nothing but the
// node's own styles and images, no script, no frame, in no frame.
const defaultCSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'"

// csp is the page's Content-Security-Policy: defaultCSP, with the node's
// own scripts when the page loads them and its frames' sources.
func (p *Page) csp() string {
	if !p.Scripts && len(p.Frames) == 0 {
		return defaultCSP
	}
	script := "'none'"
	if p.Scripts {
		script = "'self'"
	}
	frames := "'none'"
	if len(p.Frames) > 0 {
		frames = strings.Join(p.Frames, " ")
	}
	return "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src " + script + "; frame-src " + frames + "; frame-ancestors 'none'; form-action 'self'"
}

// Execute runs the page's template into a pooled buffer (give it back
// with Release). On failure it has answered 500 and returns false.
func (k *Kit) Execute(w http.ResponseWriter, name string, p *Page) (*bytes.Buffer, bool) {
	t, err := k.tmpl.Page(p.Lang, name)
	if err != nil {
		k.log.Error("templates", "lang", p.Lang, "err", err) // the default language's page is rendered instead
	}
	if t == nil {
		k.log.Error("no template", "name", name)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return nil, false
	}
	buf := renderBufs.Get().(*bytes.Buffer)
	buf.Reset()
	if err := t.ExecuteTemplate(buf, name+".html", p); err != nil {
		Release(buf)
		k.log.Error("render", "template", name, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return nil, false
	}
	return buf, true
}

// Release gives back a buffer Execute returned.
func Release(buf *bytes.Buffer) {
	if buf.Cap() <= 256<<10 {
		renderBufs.Put(buf)
	}
}

// SendPage sends a rendered HTML page in language lang with its headers.
// A cache of rendered pages sends them through it too, so a cached page
// has the headers of a rendered one.
func SendPage(w http.ResponseWriter, status int, lang string, body []byte) {
	sendPage(w, status, lang, defaultCSP, body)
}

func sendPage(w http.ResponseWriter, status int, lang, csp string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", lang)
	h.Set("Content-Security-Policy", csp)
	w.WriteHeader(status)
	w.Write(body)
}

// RateLimited is an error that asks the client to wait before trying
// again (too many failed logins): pages and the API answer 429 with
// Retry-After.
type RateLimited interface {
	error
	// RetryIn is how long to wait.
	RetryIn() time.Duration
}

// Fail renders a form page again with the error: field messages next to the
// fields and a summary at the top, in the page's language.
func (k *Kit) Fail(w http.ResponseWriter, r *http.Request, name string, p *Page, err error) {
	code := twinfed.ErrorCode(err)
	var rl RateLimited
	status := twinfed.HTTPStatus(code)
	if errors.As(err, &rl) && code == twinfed.EUNAVAILABLE { // busy: 503, try again soon
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryIn().Seconds())+1))
		p.Problem = p.T(twinfed.ErrorMessage(err))
	} else if errors.As(err, &rl) {
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryIn().Seconds())+1))
		p.Problem = p.k.cat.TData(p.Lang, "rate_limited.wait", map[string]any{"Duration": p.Duration(rl.RetryIn())})
	} else if code == twinfed.EINTERNAL {
		p.Problem = p.T("Something went wrong on our side. Please try again later.")
	} else {
		p.Problem = p.k.cat.ErrorText(p.Lang, err)
	}
	p.Errors = map[string]string{}
	for f, v := range twinfed.ErrorFields(err) {
		p.Errors[f] = p.T(v)
	}
	if p.Form == nil {
		p.Form = r.PostForm
	}
	k.Render(w, status, name, p)
}

// ErrorPage renders a whole-page error (not found, forbidden…) with the
// status of its code, as a page of the site in the visitor's language.
func (k *Kit) ErrorPage(w http.ResponseWriter, r *http.Request, err error) {
	k.statusPage(w, r, twinfed.HTTPStatus(twinfed.ErrorCode(err)), err)
}

// errorTitles are the error page's heading by HTTP status; any other
// status has title.error.
var errorTitles = map[int]string{
	http.StatusNotFound:            "error.not_found",
	http.StatusForbidden:           "error.forbidden",
	http.StatusMethodNotAllowed:    "error.method",
	http.StatusInternalServerError: "error.internal",
}

// errorTexts say what happened when no domain error does.
var errorTexts = map[int]string{
	http.StatusNotFound:            "There is no such page.",
	http.StatusForbidden:           "This page is not open to you.",
	http.StatusMethodNotAllowed:    "This address cannot be used this way; go back and use the page's links and buttons.",
	http.StatusInternalServerError: "Something went wrong on our side. Please try again later.",
}

// ErrorData is what the error page shows: the HTTP status and what
// happened, translated.
type ErrorData struct {
	Status int
	Text   string
}

// statusPage renders the error page with status: its heading the
// status's, its text err's message (translated), or the status's own when
// err is nil or internal (whose details are logged, never shown).
func (k *Kit) statusPage(w http.ResponseWriter, r *http.Request, status int, err error) {
	title, ok := errorTitles[status]
	if !ok {
		title = "title.error"
	}
	p := k.NewPage(w, r, title)
	msg := errorTexts[status]
	if msg == "" {
		msg = "Something went wrong on our side. Please try again later."
	}
	text := p.T(msg)
	if err != nil && twinfed.ErrorCode(err) != twinfed.EINTERNAL {
		text = k.cat.ErrorText(p.Lang, err)
	}
	p.Data = ErrorData{Status: status, Text: text}
	k.Render(w, status, "error", p)
}

// Simple is a handler that renders page name, titled by message id
// title, with nothing more.
func (k *Kit) Simple(name, title string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		k.Render(w, http.StatusOK, name, k.NewPage(w, r, title))
	}
}

// Later is the page of a top-menu item that is not built yet.
func (k *Kit) Later(item string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := k.NewPage(w, r, "nav."+item)
		p.Nav = item
		k.Render(w, http.StatusOK, "later", p)
	}
}
