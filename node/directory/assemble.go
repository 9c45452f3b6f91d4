package directory

import (
	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/web"
)

// Assemble builds the directory on the node's kit and adds its pages and
// JSON API to the node's routes. The accounts, built on it, give it its
// members (SetMembers); the social feature its view (SetSocial).
func Assemble(k *feature.Kit) (*Service, error) {
	s, err := New(Config{BaseURL: k.BaseURL}, Deps{Store: k.Store, Registry: k.Registry, Logger: k.Log, Metrics: k.Metrics, Now: k.Now})
	if err != nil {
		return nil, err
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
