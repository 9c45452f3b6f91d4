package eventtools

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventapi"
	"github.com/twinfed/twinfed/node/event/eventfiles"
	"github.com/twinfed/twinfed/node/event/eventforum"
	"github.com/twinfed/twinfed/node/event/eventplaces"
	"github.com/twinfed/twinfed/node/event/eventroom"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// Tools are the node's events and their tools.
type Tools struct {
	Events *event.Service
	Forum  *eventforum.Service
	Files  *eventfiles.Service
	// Places are the counts of places of other nodes' events for their
	// pages (Assemble sets them; nil: not shown).
	Places *eventplaces.Service
	Room   *eventroom.Service
}

// Deps are what the events and their tools are built on.
type Deps struct {
	Store    *store.Store
	Members  event.Members
	Contacts event.Contacts
	Projects event.Projects // the TwinSpaces' Live tab
	Acts     *outbox.Activities
	Registry twinfed.Registry // nil: the node runs alone
	Mailer   mail.Sender
	Notices  *notice.Notices
	Blobs    *blob.Collector // the photos' and the files' (the Materials'); nil: none
	// Fetch makes signed GETs of other nodes' photos and files; nil: not
	// fetched.
	Fetch func(ctx context.Context, rawURL string) (io.ReadCloser, int64, error)
	// FetchPage makes signed GETs of other nodes' answers (the meeting
	// room's link of their events); nil: not asked.
	FetchPage func(ctx context.Context, rawURL string) ([]byte, error)
	// Profiles names the forum's authors and the archive's uploaders
	// (directory.Service.Profiles); nil: by their address.
	Profiles func(actors []string) map[string]*twinfed.Profile
	Catalog  *web.Catalog
	Logger   *slog.Logger
	Now      func() time.Time
}

// New builds the events (cfg: BaseURL and Country filled) with their forum
// and file archive (files), the archive catching up with the forum, and
// their meeting room.
func New(cfg event.Config, files eventfiles.Config, d Deps) (*Tools, error) {
	ev, err := event.New(cfg, event.Deps{Store: d.Store, Members: d.Members, Contacts: d.Contacts, Acts: d.Acts, Registry: d.Registry, Mailer: d.Mailer,
		Notices: d.Notices, Blobs: d.Blobs, Fetch: event.PhotoFetcher(d.Fetch), Catalog: d.Catalog, Logger: d.Logger, Now: d.Now})
	if err != nil {
		return nil, err
	}
	if d.Projects != nil {
		ev.SetProjects(d.Projects)
	}
	t := &Tools{Events: ev}
	if t.Forum, err = eventforum.New(cfg.BaseURL, ev, d.Store, d.Acts, d.Logger, d.Now); err != nil {
		return nil, err
	}
	t.Forum.UseProfiles(d.Profiles)
	var reg eventfiles.Registry
	if d.Registry != nil {
		reg = d.Registry
	}
	t.Files, err = eventfiles.New(cfg.BaseURL, files, eventfiles.Deps{Events: ev, Store: d.Store, Acts: d.Acts, Blobs: d.Blobs,
		Fetch: eventfiles.Fetcher(d.Fetch), Registry: reg, Profiles: d.Profiles, Logger: d.Logger, Now: d.Now})
	if err != nil {
		return nil, err
	}
	t.Forum.Also("files", t.Files)
	if t.Room, err = eventroom.New(cfg, eventroom.Deps{Events: ev, Store: d.Store, Members: d.Members, Fetch: eventroom.Fetcher(d.FetchPage), Logger: d.Logger, Now: d.Now}); err != nil {
		return nil, err
	}
	return t, nil
}

var _ eventforum.Part = (*eventfiles.Service)(nil)

// Routes registers the events' pages and JSON API, their meeting room,
// forums and file archives, and what only other nodes read (photos,
// files, catch-ups, the room's links) behind signed (nil: not served).
func (t *Tools) Routes(k *web.Kit, signed func(http.Handler) http.Handler) error {
	ew, api := event.NewWeb(t.Events).Signed(signed), eventapi.New(t.Events)
	if t.Places != nil {
		ew.UsePlaces(t.Places)
		api.UsePlaces(t.Places)
	}
	if err := ew.Routes(k); err != nil {
		return err
	}
	api.Routes(k)
	eventroom.NewWeb(t.Room, signed).Routes(k)
	if err := eventforum.NewWeb(t.Forum).Signed(signed).Routes(k); err != nil {
		return err
	}
	return eventfiles.NewWeb(t.Files, signed).Routes(k)
}
