package node

import (
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventfiles"
	"github.com/twinfed/twinfed/node/event/eventforum"
	"github.com/twinfed/twinfed/node/event/eventtools"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the events (node/event/eventtools): the events with
// their forums and file archives, built on the node's store, the accounts,
// the contacts, the projects, the Materials' blob store and the clock.

var (
	_ event.Members  = (*account.Service)(nil)
	_ event.Contacts = (*social.Service)(nil)
)

// newEvents builds the events and their tools on s; other nodes' photos
// and files are fetched with Options.FetchFile.
func newEvents(s *Service, o Options) (err error) {
	cfg := s.cfg.Events
	cfg.BaseURL, cfg.Country, cfg.AgencyName = s.cfg.BaseURL, s.cfg.Country, s.cfg.AgencyName
	s.ev, err = eventtools.New(cfg, s.cfg.EventFiles, eventtools.Deps{Store: s.store, Members: s.accounts, Contacts: s.social, Projects: s.projects,
		Acts: s.acts, Registry: s.registry, Mailer: s.mailer, Notices: s.notices, Blobs: s.twinspaces.Materials.Blobs(), Fetch: o.FetchFile,
		Profiles: s.dir.Profiles, Catalog: s.cat, Logger: s.log, Now: s.now})
	return err
}

// EventFiles returns the node's events' file archives.
func (n *Node) EventFiles() *eventfiles.Service { return n.svc.ev.Files }

// EventForum returns the node's events' forums.
func (n *Node) EventForum() *eventforum.Service { return n.svc.ev.Forum }

// Events returns the node's events feature.
func (n *Node) Events() *event.Service { return n.svc.ev.Events }

// eventRoutes registers the events' pages and API and their tools' (none
// for a service that Node.Open did not complete).
func (s *Server) eventRoutes(k *web.Kit) error {
	if s.svc.ev == nil {
		return nil
	}
	return s.svc.ev.Routes(k, s.cfg.Signed)
}
