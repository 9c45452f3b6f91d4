package node

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/twinfed/twinfed"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Cookie names.
const (
	cookieSession = "twinfed_session"
	cookieAnon    = "twinfed_anon" // anonymous visitor id, binds the CSRF token of forms before login
	cookieLang    = "twinfed_lang"
)

// ServerConfig configures the HTTP server.
type ServerConfig struct {
	Service   *Service
	Languages []string // UI languages, first is the default; nil: en
	// SecureCookies marks cookies Secure (set it when the base URL is https).
	SecureCookies  bool
	MaxUploadBytes int64  // largest photo; zero: 2 MiB
	MaxFormBytes   int64  // largest form or JSON body; zero: 64 KiB
	APIToken       string // bearer token acting as agency admin on /api/v1; empty: disabled
	// Federation serves ActivityPub: /.well-known/webfinger,
	// /.well-known/nodeinfo, /nodeinfo/, /inbox, /agency (and below),
	// /activities/, /users/{username}/… sub-resources, and /users/{username}
	// when the request's Accept asks for application/activity+json or
	// application/ld+json. Nil: those paths answer 404.
	Federation http.Handler
	// Signed wraps routes only other nodes may read (directory backfill)
	// with an HTTP-signature check against the registry; nil: not served.
	Signed func(http.Handler) http.Handler
	// FederationAdmin is the federation's operator API (queue status,
	// parked deliveries, requeue), mounted at /api/v1/agency/federation/
	// for agency staff and the agency's bearer token; nil: not served.
	FederationAdmin http.Handler
	// PageCacheBytes bounds the memory of the cache of public profile
	// pages rendered for visitors without a session (see pagecache.go).
	// Zero: DefaultPageCacheBytes (32 MiB); negative: no cache.
	PageCacheBytes int64
	Logger         *slog.Logger
	Metrics        *prometheus.Registry // also served at /metrics; nil: no metrics
}

// Server is the node's HTTP handler: web UI, JSON API, metrics, and the
// federation's endpoints when mounted.
type Server struct {
	cfg     ServerConfig
	svc     *Service
	log     *slog.Logger
	cat     *Catalog
	pages   map[string]map[string]*template.Template // language → page name → template
	mux     *http.ServeMux
	latency *prometheus.HistogramVec
	pc      *pageCache // nil: no profile page cache
}

// NewServer builds the server.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Service == nil {
		return nil, errors.New("node: NewServer needs a Service")
	}
	if cfg.MaxUploadBytes == 0 {
		cfg.MaxUploadBytes = 2 << 20
	}
	if cfg.MaxFormBytes == 0 {
		cfg.MaxFormBytes = 64 << 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cat, err := NewCatalog(cfg.Languages)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, svc: cfg.Service, log: cfg.Logger, cat: cat, mux: http.NewServeMux()}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "twinfed_node_http_request_duration_seconds", Help: "HTTP request latency by route and status class.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route", "method", "code"})
	if cfg.PageCacheBytes == 0 {
		cfg.PageCacheBytes = DefaultPageCacheBytes
	}
	if cfg.PageCacheBytes > 0 {
		s.pc = newPageCache(cfg.PageCacheBytes)
	}
	if cfg.Metrics != nil {
		cs := []prometheus.Collector{s.latency}
		if s.pc != nil {
			cs = append(cs, s.pc.collectors()...)
		}
		for _, c := range cs {
			if err := cfg.Metrics.Register(c); err != nil {
				return nil, fmt.Errorf("node: register metrics: %w", err)
			}
		}
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Metrics, promhttp.HandlerOpts{}))
	}
	s.routes()
	return s, nil
}

// literalT matches a translation of a fixed message id in a template,
// {{.T "id"}} or {{$.T "id"}}.
var literalT = regexp.MustCompile(`\{\{\s*\$?\.T\s+"([A-Za-z0-9_.\-]+)"\s*\}\}`)

// parseTemplates compiles every page once per language. Translations of
// fixed message ids ({{.T "id"}}, most of a page's text) are written into
// the template source, HTML-escaped, before parsing: a page then renders
// them as static text instead of calling T and escaping its result on
// every request, which was most of a page's rendering time. Ids computed
// at run time ({{.T .Title}}, {{$.T (print "subject." .)}}) still call T.
func (s *Server) parseTemplates() error {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	src := map[string]string{}
	for _, n := range names {
		b, err := fs.ReadFile(templateFS, n)
		if err != nil {
			return err
		}
		src[n] = string(b)
	}
	s.pages = map[string]map[string]*template.Template{}
	for _, lang := range s.cat.Languages() {
		translate := func(text string) string {
			return literalT.ReplaceAllStringFunc(text, func(call string) string {
				msg := s.cat.T(lang, literalT.FindStringSubmatch(call)[1])
				if strings.Contains(msg, "{{") || strings.Contains(msg, "}}") {
					return call // not static text: leave it to T
				}
				return html.EscapeString(msg)
			})
		}
		base := template.New("base").Funcs(templateFuncs())
		for _, n := range names {
			if strings.HasPrefix(path.Base(n), "_") {
				if _, err := base.New(path.Base(n)).Parse(translate(src[n])); err != nil {
					return fmt.Errorf("node: template %s: %w", n, err)
				}
			}
		}
		pages := map[string]*template.Template{}
		for _, n := range names {
			name := strings.TrimSuffix(path.Base(n), ".html")
			if strings.HasPrefix(name, "_") {
				continue
			}
			t, err := template.Must(base.Clone()).New(path.Base(n)).Parse(translate(src[n]))
			if err != nil {
				return fmt.Errorf("node: template %s: %w", n, err)
			}
			pages[name] = t
		}
		s.pages[lang] = pages
	}
	return nil
}

// templateFuncs are the helpers every template may call.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"join":        strings.Join,
		"peerName":    displayName,
		"inc":         func(i int) int { return i + 1 },
		"profileLink": profileLink,
		"datetime": func(t time.Time) string {
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02")
		},
		"html": func(s string) template.HTML { return template.HTML(s) }, // only for text sanitised by bluemonday on input
		"ages": formatAges,
		"has":  contains,
		"list": func(v ...string) []string { return v },
		"seq": func(a, b int) []int {
			out := make([]int, 0, b-a+1)
			for i := a; i <= b; i++ {
				out = append(out, i)
			}
			return out
		},
		"field": func(p *page, name, typ, label, auto string) fieldData {
			return fieldData{Name: name, Type: typ, Label: p.T(label), Auto: auto, Value: p.V(name), Err: p.Err(name), p: p}
		},
		"hint": func(f fieldData, id string) fieldData { f.Hint = f.p.T(id); return f },
	}
}

// fieldData is what the "input" template renders: a labelled input with
// its hint and error.
type fieldData struct {
	Name, Type, Label, Auto, Value, Err, Hint string
	Required                                  bool
	p                                         *page
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func formatAges(a []int) string {
	if len(a) == 0 {
		return ""
	}
	lo, hi := a[0], a[len(a)-1]
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return strconv.Itoa(lo) + "–" + strconv.Itoa(hi)
}

// ServeHTTP implements http.Handler: it measures every request by route,
// recovers from panics and sets the security headers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, code: 200}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic in handler", "path", r.URL.Path, "panic", v)
			if !sw.wrote {
				http.Error(sw, "Internal error.", http.StatusInternalServerError)
			}
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		s.latency.WithLabelValues(route, r.Method, strconv.Itoa(sw.code/100)+"xx").Observe(time.Since(start).Seconds())
	}()
	h := sw.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	s.mux.ServeHTTP(sw, r)
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// --- request state ---

type ctxKey struct{}

// reqState is what the auth step learns about a request.
type reqState struct {
	p        *twinfed.Principal
	sess     *Session
	token    string // session token (cookie)
	bearer   bool   // authenticated by the API token
	anon     string // anonymous cookie value
	lang     string
	memberLo string // member's chosen language
}

func state(r *http.Request) *reqState {
	if st, ok := r.Context().Value(ctxKey{}).(*reqState); ok {
		return st
	}
	return &reqState{}
}

// load authenticates the request (session cookie or bearer token) and
// chooses its language. It is called by every handler wrapper.
func (s *Server) load(w http.ResponseWriter, r *http.Request) *http.Request {
	st := &reqState{}
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") && s.cfg.APIToken != "" {
		if subtle.ConstantTimeCompare([]byte(strings.TrimPrefix(auth, "Bearer ")), []byte(s.cfg.APIToken)) == 1 {
			st.p = &twinfed.Principal{Username: "api-token", Role: twinfed.RoleAgencyAdmin, Status: twinfed.StatusValidated}
			st.bearer = true
		}
	}
	if st.p == nil {
		if ck, err := r.Cookie(cookieSession); err == nil && ck.Value != "" {
			if p, sess, err := s.svc.Authenticate(r.Context(), ck.Value); err == nil {
				st.p, st.sess, st.token = p, sess, ck.Value
			}
		}
	}
	if ck, err := r.Cookie(cookieAnon); err == nil && len(ck.Value) >= 20 {
		st.anon = ck.Value
	}
	if st.p != nil && !st.bearer {
		st.memberLo = st.p.Locale // read with the account by Authenticate
	}
	st.lang = s.cat.Pick(st.memberLo, r)
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, st))
}

// csrfToken is the token forms must carry: the session's, or for a visitor
// without a session one bound to their anonymous cookie.
func (s *Server) csrfToken(w http.ResponseWriter, st *reqState) string {
	if st.sess != nil {
		return st.sess.CSRF
	}
	if st.anon == "" && w != nil {
		st.anon, _ = randomToken()
		http.SetCookie(w, &http.Cookie{Name: cookieAnon, Value: st.anon, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 7 * 24 * 3600})
	}
	if st.anon == "" {
		return ""
	}
	return s.svc.AnonymousCSRF(st.anon)
}

func (s *Server) checkCSRF(st *reqState, got string) bool {
	want := s.csrfToken(nil, st)
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// setSession sets the session cookie with a Max-Age counted on the node's
// clock, not an Expires date: a browser whose clock differs from the
// node's (or a test's cookie jar beside a node on an injected clock) keeps
// the cookie exactly as long as the node keeps the session.
func (s *Server) setSession(w http.ResponseWriter, token string, sess *Session) {
	maxAge := int(sess.Expires.Sub(s.svc.now()) / time.Second)
	if maxAge < 1 {
		maxAge = 1
	}
	http.SetCookie(w, &http.Cookie{Name: cookieSession, Value: token, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: maxAge})
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: cookieSession, Value: "", Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// wantsActivity reports whether the request asks for ActivityStreams.
func wantsActivity(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return strings.Contains(a, "application/activity+json") || strings.Contains(a, "application/ld+json")
}

// --- routing ---

func (s *Server) routes() {
	m := s.mux
	static, _ := fs.Sub(staticFS, "static")
	fileServer := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	m.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	}))
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	m.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if s.svc.store.DB().IsClosed() {
			http.Error(w, "store closed\n", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	if s.cfg.FederationAdmin != nil {
		m.HandleFunc("/api/v1/agency/federation/", s.api(true, func(w http.ResponseWriter, r *http.Request, st *reqState) {
			if err := requireAgency(st.p); err != nil {
				s.apiFail(w, err)
				return
			}
			s.cfg.FederationAdmin.ServeHTTP(w, r)
		}))
	}
	if s.cfg.Signed != nil {
		m.Handle("GET "+BackfillPath, s.cfg.Signed(http.HandlerFunc(s.backfillPage)))
		m.Handle("GET "+ProjectsBackfillPath, s.cfg.Signed(http.HandlerFunc(s.projectsBackfillPage)))
	}

	// Federation (ActivityPub) endpoints.
	fed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Federation == nil {
			http.NotFound(w, r)
			return
		}
		s.cfg.Federation.ServeHTTP(w, r)
	})
	for _, p := range []string{"/.well-known/webfinger", "/.well-known/nodeinfo", "/nodeinfo/", "/inbox", "/agency/", "/activities/", "/users/{username}/{rest...}"} {
		m.Handle(p, fed)
	}
	m.Handle("POST /projects/{rid}/inbox", fed)
	m.HandleFunc("/agency", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Federation != nil && (wantsActivity(r) || r.Method == http.MethodPost) {
			s.cfg.Federation.ServeHTTP(w, r)
			return
		}
		http.Redirect(w, r, "/backoffice", http.StatusSeeOther)
	})

	s.webRoutes()
	s.socialRoutes()
	s.projectRoutes()
	s.labelRoutes()
	s.apiRoutes()
}
