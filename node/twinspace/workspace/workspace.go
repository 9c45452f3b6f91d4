package workspace

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/pupil"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/twinspace/chat"
	"github.com/twinfed/twinfed/node/twinspace/diary"
	"github.com/twinfed/twinfed/node/twinspace/discuss"
	"github.com/twinfed/twinfed/node/twinspace/materials"
	"github.com/twinfed/twinfed/node/twinspace/pages"
	"github.com/twinfed/twinfed/node/web"
	"github.com/twinfed/twinfed/node/web/pagehtml"
)

// Config is what the node's configuration sets for its TwinSpaces.
type Config struct {
	BaseURL string
	// Embeds are the services a page may embed (see pagehtml.Embeds);
	// nil: config.DefaultEmbeds, empty: none.
	Embeds    []string
	Materials materials.Config
}

// Deps are the TwinSpaces' collaborators.
type Deps struct {
	Store    *store.Store
	Acts     *outbox.Activities // nil: the node runs alone
	Projects *project.Service
	Pupils   *pupil.Service        // nil: no pupils or visitors on this node
	Blobs    blob.Store            // nil: a blob.Disk in Config.Materials.Dir
	Fetch    materials.FileFetcher // nil: files of other nodes cannot be fetched
	Logger   *slog.Logger
	Now      func() time.Time // nil: time.Now
}

// Tools are a node's TwinSpaces: the core and every tool on it.
type Tools struct {
	Core      *twinspace.Service
	Pages     *pages.Service
	Materials *materials.Service
	Forum     *discuss.Service
	Chat      *chat.Service
	Diary     *diary.Service
}

// New builds the core on the projects (a TwinSpace opens when its project
// is approved and is shared with each partner approved after), gives it
// the pupils' accounts (and them the TwinSpaces a teacher may invite a
// visitor to), and builds the tools on it. The diary reaches the
// fediverse through the federation's outbox when the node has one (it
// implements diary.Publisher, and diary.Fediverse for the agency's page).
func New(cfg Config, d Deps) (*Tools, error) {
	core, err := twinspace.New(twinspace.Config{BaseURL: cfg.BaseURL},
		twinspace.Deps{Store: d.Store, Acts: d.Acts, Projects: d.Projects, Logger: d.Logger, Now: d.Now})
	if err != nil {
		return nil, err
	}
	core.Hooks(d.Projects)
	if d.Pupils != nil {
		core.UsePupils(d.Pupils)
		d.Pupils.UseSpaces(teacherSpaces{projects: d.Projects, core: core})
	}
	list := cfg.Embeds
	if list == nil {
		list = config.DefaultEmbeds()
	}
	embeds, err := pagehtml.NewEmbeds(list)
	if err != nil {
		return nil, err
	}
	t := &Tools{Core: core, Pages: pages.New(core, embeds, nil), Forum: discuss.New(core), Chat: chat.New(core)}
	var pub diary.Publisher
	var fedi diary.Fediverse
	if d.Acts != nil {
		pub, _ = d.Acts.Outbox().(diary.Publisher)
		fedi, _ = d.Acts.Outbox().(diary.Fediverse)
	}
	t.Diary = diary.New(diary.Deps{Core: core, Projects: d.Projects, Publisher: pub, Fediverse: fedi})
	if t.Materials, err = materials.New(cfg.Materials, materials.Deps{Spaces: core, Projects: d.Projects, Blobs: d.Blobs, Fetch: d.Fetch, Logger: d.Logger}); err != nil {
		return nil, err
	}
	t.Pages.SetImages(t.Materials) // the page editor's picker lists the Materials' images
	return t, nil
}

// WebConfig is what the routes need of the node's server.
type WebConfig struct {
	// Signed guards the routes only other nodes call (a file's bytes);
	// nil: they are not served.
	Signed func(http.Handler) http.Handler
	// Federation serves the diaries' ActivityPub documents and inbox;
	// nil: the diaries' HTML pages only.
	Federation http.Handler
}

// Routes registers the pages and JSON API of the core and of every tool.
func (t *Tools) Routes(k *web.Kit, c WebConfig) error {
	for _, r := range []interface{ Routes(*web.Kit) error }{
		twinspace.NewWeb(t.Core), pages.NewWeb(t.Pages), materials.NewWeb(t.Materials, materials.WebConfig{Signed: c.Signed}),
		discuss.NewWeb(t.Forum), chat.NewWeb(t.Chat), diary.NewWeb(t.Diary, diary.WebConfig{Federation: c.Federation}),
	} {
		if err := r.Routes(k); err != nil {
			return err
		}
	}
	return nil
}
