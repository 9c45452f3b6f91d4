// Package feature is what every feature of the node is built from: the
// node's identity and the kits the features share (Kit), the list of
// their routes, which each feature adds to as it assembles itself and the
// node's server registers on the web kit, and the list of their
// background work, which the node runs.
//
// Each feature package has an assemble.go with one function, Assemble,
// that builds its service on the Kit and on the services of the lower
// features it needs (checked against the interfaces it declares, with var
// _ lines), registers its hooks on them (account deletion, the
// directory's deleted actors and backfill) and adds its routes and
// background work. The node
// calls them in the import order (node/service.go).
package feature

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// Kit is the node's identity and the collaborators every feature shares.
// The node builds one (node.NewService) and hands it to each feature's
// Assemble; a feature keeps what it uses from it.
type Kit struct {
	Country    string // the node's two-letter country code
	BaseURL    string // the public base URL, without a trailing slash
	AgencyName string // the national agency's name

	Store    *store.Store
	Registry twinfed.Registry   // the registry's client; nil: no registry (some tests)
	Acts     *outbox.Activities // this node's activities to other nodes
	Proofs   outbox.Prover      // proofs of the agency's decisions; nil: none kept
	Notices  *notice.Notices    // members' notifications
	Mailer   mail.Sender        // the node's durable mail queue
	Catalog  *web.Catalog       // the node's languages, for the mails
	Log      *slog.Logger
	Metrics  *prometheus.Registry // nil: metrics are not registered
	Now      func() time.Time
	// FetchFile makes signed GETs of files to other nodes (the
	// TwinSpaces' and the events' files uploaded there); nil: those files
	// cannot be read here.
	FetchFile func(ctx context.Context, rawURL string) (io.ReadCloser, int64, error)
	// Fetch makes signed GETs of other nodes' pages, for the features
	// that page through them (the directory's backfill, the events'
	// catch-up) every CatchUpEvery; nil: they do not.
	Fetch        func(ctx context.Context, rawURL string) ([]byte, error)
	CatchUpEvery time.Duration

	// Web is what the node's server gives the features' routes; the
	// server sets it before it registers them (RegisterRoutes).
	Web Web

	routes []func(*web.Kit) error
	loops  []func(ctx context.Context)
}

// Web is what the node's server gives the features' pages.
type Web struct {
	// Signed wraps the routes only other nodes may read with the
	// HTTP-signature check; nil: those routes are not served.
	Signed func(http.Handler) http.Handler
	// Federation serves the ActivityPub side of the paths the features
	// share with it (an actor's page, a project's); nil: none.
	Federation http.Handler
	// PageCacheBytes bounds the cache of public profile pages (see
	// directory.WebConfig).
	PageCacheBytes int64
}

// AddRoutes adds a feature's registration of its pages and JSON API; the
// server runs each, in the order they were added, on its web kit.
func (k *Kit) AddRoutes(add func(w *web.Kit) error) { k.routes = append(k.routes, add) }

// AddLoop adds a feature's background work, which the node runs from its
// start until it shuts down (run returns once ctx is done).
func (k *Kit) AddLoop(run func(ctx context.Context)) { k.loops = append(k.loops, run) }

// Loops returns the background work the features added.
func (k *Kit) Loops() []func(ctx context.Context) { return k.loops }

// RegisterRoutes registers every feature's routes on w.
func (k *Kit) RegisterRoutes(w *web.Kit) error {
	for _, add := range k.routes {
		if err := add(w); err != nil {
			return err
		}
	}
	return nil
}

// Register registers a feature's metrics on the node's registry (none when
// the kit has none).
func (k *Kit) Register(cs ...prometheus.Collector) error {
	if k.Metrics == nil {
		return nil
	}
	for _, c := range cs {
		if err := k.Metrics.Register(c); err != nil {
			return fmt.Errorf("node: register metrics: %w", err)
		}
	}
	return nil
}
