package directory

import (
	"context"

	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/web"
)

// Assemble builds the directory on the node's kit and adds its pages and
// JSON API to the node's routes and, for a node that fetches from others
// (Kit.Fetch), its backfill of other nodes' profiles to the background
// work. The accounts, built on it, give it its
// members (SetMembers); the social feature its view (SetSocial).
func Assemble(k *feature.Kit) (*Service, error) {
	s, err := New(Config{BaseURL: k.BaseURL}, Deps{Store: k.Store, Registry: k.Registry, Logger: k.Log, Metrics: k.Metrics, Now: k.Now})
	if err != nil {
		return nil, err
	}
	if k.Fetch != nil && k.Registry != nil {
		k.AddLoop(func(ctx context.Context) { s.RunBackfill(ctx, k.Fetch, k.CatchUpEvery) })
	}
	k.AddRoutes(func(w *web.Kit) error {
		dw, err := NewWeb(s, WebConfig{Federation: k.Web.Federation, Signed: k.Web.Signed, PageCacheBytes: k.Web.PageCacheBytes, Metrics: k.Metrics})
		if err != nil {
			return err
		}
		return dw.Routes(w)
	})
	return s, nil
}
