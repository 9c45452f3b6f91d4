package eventcert

import (
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/web"
)

var _ event.Certificates = (*Service)(nil)

// Assemble builds the events' certificates on the node's kit (its base
// URL, agency, catalogue, clock and signed file fetcher), the events and
// the accounts (members: a holder's name and language on the event's home
// node) and the home nodes' record of who attended (presence, for the
// link on a member's node), sets them as the event page's event.Certificates and adds their
// pages and, behind the kit's signature check, the route other nodes ask.
func Assemble(k *feature.Kit, events *event.Service, members event.Members, presence Presence) (*Service, error) {
	s, err := New(Deps{Events: events, Store: k.Store, Members: members, Catalog: k.Catalog, Fetch: k.FetchFile, Presence: presence,
		BaseURL: k.BaseURL, Issuer: k.AgencyName, Logger: k.Log, Now: k.Now})
	if err != nil {
		return nil, err
	}
	events.SetCertificates(s)
	k.AddRoutes(func(w *web.Kit) error {
		NewWeb(s, k.Web.Signed).Routes(w)
		return nil
	})
	return s, nil
}
