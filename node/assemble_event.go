package node

import (
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventapi"
	"github.com/twinfed/twinfed/node/event/eventfiles"
	"github.com/twinfed/twinfed/node/event/eventforum"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the events (node/event): its service, built on the
// node's store, the accounts, the contacts and the clock.

var (
	_ event.Members  = (*account.Service)(nil)
	_ event.Contacts = (*social.Service)(nil)
)

// newEvents builds the events' service on s, its photos in the node's blob
// store (the Materials tool's), other nodes' photos fetched with
// Options.FetchFile.
func newEvents(s *Service, o Options) error {
	cfg := s.cfg.Events
	cfg.BaseURL, cfg.Country, cfg.AgencyName = s.cfg.BaseURL, s.cfg.Country, s.cfg.AgencyName
	ev, err := event.New(cfg, event.Deps{Store: s.store, Members: s.accounts, Contacts: s.social, Acts: s.acts, Registry: s.registry, Mailer: s.mailer, Notices: s.notices, Blobs: s.twinspaces.Materials.Blobs(), Fetch: event.PhotoFetcher(o.FetchFile), Catalog: s.cat, Logger: s.log, Now: s.now})
	if err != nil {
		return err
	}
	ev.SetProjects(s.projects)
	s.events = ev
	if s.eventForum, err = eventforum.New(s.cfg.BaseURL, ev, s.store, s.acts, s.log, s.now); err != nil {
		return err
	}
	s.eventForum.UseProfiles(s.dir.Profiles)
	var reg eventfiles.Registry
	if s.registry != nil {
		reg = s.registry
	}
	s.eventFiles, err = eventfiles.New(s.cfg.BaseURL, s.cfg.EventFiles, eventfiles.Deps{Events: ev, Store: s.store, Acts: s.acts,
		Blobs: s.twinspaces.Materials.Blobs(), Fetch: eventfiles.Fetcher(o.FetchFile), Registry: reg, Profiles: s.dir.Profiles, Logger: s.log, Now: s.now})
	if err != nil {
		return err
	}
	// The archive catches up from the event's home node with the forum.
	s.eventForum.Also("files", s.eventFiles)
	return nil
}

var _ eventforum.Part = (*eventfiles.Service)(nil)

// EventFiles returns the node's events' file archives.
func (n *Node) EventFiles() *eventfiles.Service { return n.svc.eventFiles }

// EventForum returns the node's events' forums.
func (n *Node) EventForum() *eventforum.Service { return n.svc.eventForum }

// Events returns the node's events feature.
func (n *Node) Events() *event.Service { return n.svc.events }

// eventRoutes registers the events' pages, their JSON API, their forums,
// their file archives,
// and their photos for other nodes behind the signature check.
func (s *Server) eventRoutes(k *web.Kit) error {
	if s.svc.events == nil {
		return nil
	}
	if err := event.NewWeb(s.svc.events).Signed(s.cfg.Signed).Routes(k); err != nil {
		return err
	}
	eventapi.New(s.svc.events).Routes(k)
	if err := eventforum.NewWeb(s.svc.eventForum).Signed(s.cfg.Signed).Routes(k); err != nil {
		return err
	}
	return eventfiles.NewWeb(s.svc.eventFiles, s.cfg.Signed).Routes(k)
}
