package web

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web/ratelimit"
	"github.com/twinfed/twinfed/node/web/tmplset"
)

//go:embed templates/*.html
var sharedFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures the kit.
type Config struct {
	Languages []string // UI languages, first is the default; nil: en
	Catalog   *Catalog // the catalogue of Languages, when the caller has built it; nil: built here
	// SecureCookies marks cookies Secure (set it when the base URL is https).
	SecureCookies  bool
	MaxUploadBytes int64  // largest photo; zero: 2 MiB
	MaxFormBytes   int64  // largest form or JSON body; zero: 64 KiB
	APIToken       string // bearer token acting as agency admin on /api/v1; empty: disabled

	// Accounts authenticates session cookies and binds visitors' CSRF
	// tokens (the account feature); required.
	Accounts Authenticator
	// Counts gives the unread counts of the menu; nil: none shown.
	Counts Counter

	// What every page shows or offers in its forms.
	Country           string // the node's country code
	Agency            string // the national agency's name
	Policy            twinfed.Eligibility
	Subjects          []string // subjects a member may teach
	TeachingLanguages []string // languages a member may teach in

	// Abuse: the reverse proxies whose X-Forwarded-For names the client,
	// and the per-client-address rates by limit name (LimitLogin, …).
	TrustedProxies []netip.Prefix
	Rates          map[string]Rate
	// HTTPS marks the node as served over HTTPS (its base URL): responses
	// carry Strict-Transport-Security.
	HTTPS bool

	Logger  *slog.Logger
	Metrics *prometheus.Registry // also served at /metrics (unless MetricsElsewhere); nil: no metrics
	// MetricsElsewhere: the node serves /metrics on its own address, so
	// the kit does not serve it to the internet.
	MetricsElsewhere bool
	Now              func() time.Time // the node's clock; nil: time.Now
}

// Kit is the node's HTTP handler under construction and then serving:
// features register their templates and routes on it, then the node
// serves it. Registration is not safe for concurrent use; serving is.
type Kit struct {
	cfg     Config
	log     *slog.Logger
	cat     *Catalog
	mux     *http.ServeMux
	routes  []string // the patterns registered on mux, in order (Routes)
	latency *prometheus.HistogramVec
	tmpl    *tmplset.Set

	limits      *ratelimit.Limiter
	crossOrigin *http.CrossOriginProtection
	loc         *time.Location // the node's country's zone: anonymous readers' times

	subjectOrder sync.Map // language → the subject ids in the order of their names (SubjectChoices)
}

// New builds the kit with its shared templates and pages (home, error,
// later, and /languages: each language's completeness), the static files and, when cfg.Metrics is set, /metrics.
func New(cfg Config) (*Kit, error) {
	if cfg.Accounts == nil {
		return nil, errors.New("web: New needs an Authenticator")
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
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var err error
	cat := cfg.Catalog
	if cat == nil {
		if cat, err = NewCatalog(cfg.Languages); err != nil {
			return nil, err
		}
	}
	k := &Kit{cfg: cfg, log: cfg.Logger, cat: cat, mux: http.NewServeMux(), loc: nodeZone(cfg.Country)}
	if k.tmpl, err = tmplset.New(tmplset.Config{Languages: cat.Languages(), Translate: cat.T, Funcs: templateFuncs()}, sharedFS, "templates/*.html"); err != nil {
		return nil, err
	}
	k.limits = ratelimit.New(cfg.Rates, cfg.Now)
	k.crossOrigin = http.NewCrossOriginProtection()
	k.crossOrigin.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.ErrorPage(w, k.loaded(r), twinfed.Errorf(twinfed.EFORBIDDEN, "This form was sent from another site, so it was refused. Open the page on this site and send it again."))
	}))
	k.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "twinfed_node_http_request_duration_seconds", Help: "HTTP request latency by route and status class.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route", "method", "code"})
	if cfg.Metrics != nil {
		if err := cfg.Metrics.Register(k.limits.Refused()); err != nil {
			return nil, fmt.Errorf("web: register metrics: %w", err)
		}
		if err := cfg.Metrics.Register(k.latency); err != nil {
			return nil, fmt.Errorf("web: register metrics: %w", err)
		}
		if !cfg.MetricsElsewhere {
			k.Handle("GET /metrics", promhttp.HandlerFor(cfg.Metrics, promhttp.HandlerOpts{}))
		}
	}
	k.mux.Handle("GET /languages", k.Web(k.languagesPage))
	static, _ := fs.Sub(staticFS, "static")
	fileServer := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	k.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A name fs.FS cannot hold (invalid UTF-8, "..", a NUL) is no
		// file: http.FileServer would answer 500 for it.
		if name := strings.TrimPrefix(r.URL.Path, "/static/"); name != "" && !fs.ValidPath(strings.TrimSuffix(name, "/")) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	}))
	return k, nil
}

// Handle registers h for pattern (http.ServeMux's patterns). Wrap a page
// with Web, Member or Agency, a JSON route with API; a handler given bare
// gets no request state (the federation's endpoints, signed routes).
func (k *Kit) Handle(pattern string, h http.Handler) {
	k.mux.Handle(pattern, h)
	k.routes = append(k.routes, pattern)
}

// HandleFunc registers h for pattern, as Handle.
func (k *Kit) HandleFunc(pattern string, h http.HandlerFunc) { k.Handle(pattern, h) }

// Routes returns the patterns registered so far (the kit's own and the
// features'), in the order of registration, as given to Handle: the
// tests hold the API descriptions (openapi.json) against them.
func (k *Kit) Routes() []string { return slices.Clone(k.routes) }

// Catalog returns the message catalogues.
func (k *Kit) Catalog() *Catalog { return k.cat }

// Logger returns the kit's logger.
func (k *Kit) Logger() *slog.Logger { return k.log }

// MaxUploadBytes is the size of the largest photo accepted.
func (k *Kit) MaxUploadBytes() int64 { return k.cfg.MaxUploadBytes }

// AddTemplates registers a feature's templates: the files of fsys that
// match pattern (e.g. "templates/*.html"). A file whose name starts with
// "_" is a partial the feature's pages share; every other file is a page,
// named by its file name without ".html", parsed with the kit's shared
// partials and the feature's own: in the default language now, in any
// other when a page is first rendered in it (node/web/tmplset). A page
// name already registered (by the kit or another feature) is an error.
func (k *Kit) AddTemplates(fsys fs.FS, pattern string) error {
	return k.tmpl.Add(fsys, pattern)
}

// ParseAllLanguages parses every offered language's pages now rather
// than on first use, and returns each language's template errors: the
// tests and an operator's start-up check (parse_all_languages) call it
// once every feature has added its templates.
func (k *Kit) ParseAllLanguages() error { return k.tmpl.ParseAll() }

// ParsedLanguages returns the languages whose pages are parsed so far.
func (k *Kit) ParsedLanguages() []string { return k.tmpl.Parsed() }

// AddTemplatesWith is AddTemplates for a feature whose pages also use
// the partials of another's (the files of sfs matching spattern whose
// names start with "_"): the TwinSpace's tools share its frame.
func (k *Kit) AddTemplatesWith(fsys fs.FS, pattern string, sfs fs.FS, spattern string) error {
	return k.tmpl.AddWith(fsys, pattern, sfs, spattern)
}

// ServeHTTP implements http.Handler: it measures every request by route,
// recovers from panics and sets the security headers.
func (k *Kit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, code: 200}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			k.log.Error("panic in handler", "path", r.URL.Path, "panic", v)
			if !sw.wrote {
				k.statusPage(sw, k.load(r), http.StatusInternalServerError, nil)
			}
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		k.latency.WithLabelValues(route, r.Method, strconv.Itoa(sw.code/100)+"xx").Observe(time.Since(start).Seconds())
	}()
	h := sw.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	k.serveLimited(sw, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if handler, pattern := k.mux.Handler(r); pattern == "" {
			k.unrouted(w, r, handler)
			return
		}
		k.mux.ServeHTTP(w, r)
	}))
}

// unrouted answers a request no route matches: the mux's answer (404, or
// 405 with Allow when the path has routes for other methods) as a page of
// the site in the visitor's language, or as the API's JSON error under
// /api/ and for ActivityPub clients.
func (k *Kit) unrouted(w http.ResponseWriter, r *http.Request, muxAnswer http.Handler) {
	probe := &statusProbe{header: http.Header{}}
	muxAnswer.ServeHTTP(probe, r)
	status := probe.code
	if status != http.StatusMethodNotAllowed {
		status = http.StatusNotFound
	}
	if allow := probe.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	if strings.HasPrefix(r.URL.Path, "/api/") || WantsActivity(r) {
		code := twinfed.ENOTFOUND
		msg := "There is no such page."
		if status == http.StatusMethodNotAllowed {
			code, msg = "method_not_allowed", "This address cannot be used this way; go back and use the page's links and buttons."
		}
		var body APIError
		body.Error.Code, body.Error.Message = code, msg
		WriteJSON(w, status, body)
		return
	}
	k.statusPage(w, k.load(r), status, nil)
}

// statusProbe records the status and headers the mux's own answer sets.
type statusProbe struct {
	header http.Header
	code   int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(code int)        { p.code = code }

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
