package node

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/agency"
	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/pupil"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/web"
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
	// parked deliveries, requeue), mounted at
	// /api/v1/agency/federation/{status,parked,requeue} for agency staff
	// and the agency's bearer token; nil: not served.
	FederationAdmin http.Handler
	// PageCacheBytes bounds the memory of the cache of public profile
	// pages rendered for visitors without a session (see
	// node/directory's pagecache.go).
	// Zero: directory.DefaultPageCacheBytes (32 MiB); negative: no cache.
	PageCacheBytes int64
	// MetricsElsewhere: /metrics is served on its own address
	// (Options.MetricsAddr), not by this server.
	MetricsElsewhere bool
	// Ready, when set, is asked by /readyz beside the store.
	Ready func() error
	// Backup writes the node's backup (Node.Backup), served to agency
	// administrators at /api/v1/agency/backup; nil: not served.
	Backup func(io.Writer) error
	// TrustedProxies, Rates and HTTPS: see web.Config (abuse limits and
	// HSTS). Nil Rates: no per-address limits.
	TrustedProxies []netip.Prefix
	Rates          map[string]web.Rate
	HTTPS          bool
	// ParseAllLanguages parses every language's pages at start, so that a
	// template error in any language stops the node there; false: the
	// default language at start, each other one when first rendered.
	ParseAllLanguages bool
	Logger            *slog.Logger
	Metrics           *prometheus.Registry // also served at /metrics; nil: no metrics
}

// Server is the node's HTTP handler: the web kit (node/web) with every
// feature's pages and JSON API registered on it, and the node's own
// routes: health, the federation's endpoints when mounted, the home page.
// Each feature registers its pages, JSON API and templates from its own
// package (the routes its Assemble added to the kit, node/feature).
type Server struct {
	cfg ServerConfig
	svc *Service
	log *slog.Logger
	kit *web.Kit
}

// NewServer builds the server.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Service == nil {
		return nil, errors.New("node: NewServer needs a Service")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	svc := cfg.Service
	kit, err := web.New(web.Config{Languages: cfg.Languages, Catalog: svc.catalogFor(cfg.Languages), SecureCookies: cfg.SecureCookies, MaxUploadBytes: cfg.MaxUploadBytes,
		MaxFormBytes: cfg.MaxFormBytes, APIToken: cfg.APIToken, Accounts: pupil.Sessions{Accounts: svc.accounts, Pupils: svc.pupils}, Counts: svc.social,
		Country: svc.cfg.Country, Agency: svc.cfg.AgencyName, Policy: svc.cfg.Policy, Subjects: twinfed.Subjects, TeachingLanguages: twinfed.Languages,
		MetricsElsewhere: cfg.MetricsElsewhere, TrustedProxies: cfg.TrustedProxies, Rates: cfg.Rates, HTTPS: cfg.HTTPS,
		Logger: cfg.Logger, Metrics: cfg.Metrics, Now: svc.kit.Now})
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, svc: svc, log: cfg.Logger, kit: kit}
	s.routes()
	s.backupRoute(kit)
	s.openAPIRoute(kit)
	svc.kit.Web = feature.Web{Signed: cfg.Signed, Federation: cfg.Federation, PageCacheBytes: cfg.PageCacheBytes}
	if err := svc.kit.RegisterRoutes(kit); err != nil {
		return nil, err
	}
	if cfg.ParseAllLanguages {
		if err := kit.ParseAllLanguages(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ServeHTTP implements http.Handler: the kit's.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.kit.ServeHTTP(w, r) }

// routes registers the node's own routes: health, the federation's
// endpoints and its operator API, the home page, the menu's items still
// to come, and the API's answer to an unknown endpoint.
func (s *Server) routes() {
	k := s.kit
	k.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	k.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if s.svc.kit.Store.DB().IsClosed() {
			http.Error(w, "store closed\n", http.StatusServiceUnavailable)
			return
		}
		if s.cfg.Ready != nil {
			if err := s.cfg.Ready(); err != nil {
				http.Error(w, err.Error()+"\n", http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	if s.cfg.FederationAdmin != nil {
		agency.FederationAdminRoutes(k, s.cfg.FederationAdmin)
	}

	// Federation (ActivityPub) endpoints.
	fed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Federation == nil {
			http.NotFound(w, r)
			return
		}
		s.cfg.Federation.ServeHTTP(w, r)
	})
	for _, p := range []string{"/.well-known/webfinger", "/.well-known/nodeinfo", "/nodeinfo/", "/inbox", "/inbox/batch", "/agency/", "/activities/", "/users/{username}/{rest...}"} {
		k.Handle(p, fed)
	}
	k.Handle("POST /projects/{rid}/inbox", fed)
	k.Handle("GET /projects/{rid}/outbox", fed)
	k.Handle("GET /projects/{rid}/followers", fed)
	k.HandleFunc("/agency", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Federation != nil && (web.WantsActivity(r) || r.Method == http.MethodPost) {
			s.cfg.Federation.ServeHTTP(w, r)
			return
		}
		http.Redirect(w, r, "/backoffice", http.StatusSeeOther)
	})

	k.HandleFunc("GET /{$}", k.Web(s.home))
	for _, later := range []string{"groups"} {
		k.HandleFunc("GET /"+later, k.Web(k.Later(later)))
	}
	k.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		web.APIFail(w, twinfed.Errorf(twinfed.ENOTFOUND, "No such API endpoint; the node lists its endpoints at GET /api/v1/openapi.json."))
	})
}

// home is the home page; a member still registering is shown their next
// step.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	if web.State(r).Scoped != nil {
		http.Redirect(w, r, "/my-twinspaces", http.StatusSeeOther) // a pupil's or a visitor's home: their TwinSpaces
		return
	}
	if st := web.State(r); social.Require(st.Principal) == nil {
		s.svc.feed.Home(w, r) // a validated member's home is their feed
		return
	}
	if st := web.State(r); st.Principal != nil && st.Principal.IsAgency() {
		http.Redirect(w, r, "/backoffice", http.StatusSeeOther) // agency staff's home: their queues
		return
	}
	p := s.kit.NewPage(w, r, "title.home")
	if p.Me != nil && p.Me.Role == twinfed.RoleMember && (p.Me.Status == twinfed.StatusRegistering) {
		p.Data = twinfed.RegistrationStep(p.Me)
	}
	s.kit.Render(w, http.StatusOK, "home", p)
}
