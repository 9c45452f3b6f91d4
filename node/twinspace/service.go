package twinspace

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/microcosm-cc/bluemonday"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// Config is what the TwinSpace needs to know about its node.
type Config struct {
	BaseURL string // public base URL: members' actor ids live under it
}

// Deps are the TwinSpace's collaborators.
type Deps struct {
	Store    *store.Store
	Acts     *outbox.Activities // this node's activities; nil: the node runs alone
	Projects Projects
	Pupils   Pupils // nil: no pupils or visitors on this node
	Logger   *slog.Logger
	Now      func() time.Time // nil: time.Now
}

// Projects is what the TwinSpace asks of the project feature.
type Projects interface {
	// Project returns a project this node holds, within txn; ENOTFOUND
	// when it holds none.
	Project(txn *badger.Txn, id string) (*twinfed.Project, error)
	// HomeProject returns a project this node is home to, within txn;
	// EINVALID when it lives elsewhere or is not here.
	HomeProject(txn *badger.Txn, id string) (*twinfed.Project, error)
	// IsHome reports whether this node is the project's home node.
	IsHome(p *twinfed.Project) bool
}

var _ Projects = (*project.Service)(nil)

// Pupils is what the TwinSpace asks of the accounts of pupils and
// visitors (node/pupil): a teacher adds their own pupils to a TwinSpace,
// and a pupil's account lists the TwinSpaces it may enter.
type Pupils interface {
	// AddSpace records, within txn, that a pupil (or visitor) of teacher
	// may enter project's TwinSpace; EFORBIDDEN when the account is not
	// the teacher's.
	AddSpace(txn *badger.Txn, teacher, username, project, title string) error
	// RemoveSpace undoes AddSpace.
	RemoveSpace(txn *badger.Txn, username, project string) error
	// Mine lists a teacher's pupils and visitors.
	Mine(ctx context.Context, teacher string) ([]PupilRef, error)
}

// PupilRef is a pupil's or visitor's account, as a teacher picks it.
type PupilRef struct {
	Username string
	Name     string
	Visitor  bool
	Expires  time.Time // visitors only
}

// Service implements the TwinSpaces of the node's projects: the objects
// of every tool and their replication, the members and their roles, the
// Twinboard. It is safe for concurrent use.
type Service struct {
	cfg      Config
	store    *store.Store
	acts     *outbox.Activities
	projects Projects
	pupils   Pupils
	log      *slog.Logger
	now      func() time.Time
	html     *bluemonday.Policy

	mu    sync.RWMutex
	kinds map[twinfed.SpaceKind]Kind
	hub   hub
}

// New builds the TwinSpace's service, with the core's kinds (member,
// settings, update, bulletin) registered.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil || d.Projects == nil {
		return nil, errors.New("twinspace: New needs a Store and the Projects")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Acts == nil {
		d.Acts = outbox.NewActivities(cfg.BaseURL, nil, d.Now)
	}
	s := &Service{cfg: cfg, store: d.Store, acts: d.Acts, projects: d.Projects, pupils: d.Pupils, log: d.Logger, now: d.Now,
		html: web.NewHTMLPolicy(), kinds: map[twinfed.SpaceKind]Kind{}}
	s.registerCore()
	return s, nil
}

// Hooks registers the TwinSpace's reactions to the project feature: a
// project approved opens its TwinSpace (OnApproved), and a partner approved
// in an approved project gets its content so far (OnPartnerApproved).
func (s *Service) Hooks(p *project.Service) {
	p.OnApproved(s.openTwinSpace)
	p.OnPartnerApproved(s.shareAll)
}

// SetPupils gives the service the accounts of pupils and visitors, when
// the node's assembly builds them after it.
func (s *Service) SetPupils(p Pupils) { s.pupils = p }

// BaseURL returns the node's public base URL.
func (s *Service) BaseURL() string { return s.cfg.BaseURL }

// Now returns the service's clock's time.
func (s *Service) Now() time.Time { return s.now() }

// Store returns the node's store, for the tools' reads.
func (s *Service) Store() *store.Store { return s.store }

// Logger returns the service's logger.
func (s *Service) Logger() *slog.Logger { return s.log }

// isLocal reports whether an actor URL lives on this node.
func (s *Service) isLocal(actor string) bool { return s.acts.IsLocal(actor) }

// update runs fn in a store transaction and tells the outbox after a
// successful commit.
func (s *Service) update(fn func(txn *badger.Txn) error) error {
	if err := s.store.Update(fn); err != nil {
		return err
	}
	s.acts.Notify()
	return nil
}

// drop is the error of an activity that can never apply: EINVALID.
func drop(format string, args ...any) error { return twinfed.Errorf(twinfed.EINVALID, format, args...) }

// TwinSpace is a project's workspace, created on the home node when the
// project is approved.
type TwinSpace struct {
	Project string    `json:"project"`
	URL     string    `json:"url"`
	Admins  []string  `json:"admins"` // the founders: teacher administrators
	Opened  time.Time `json:"opened"`
}

// openTwinSpace creates the project's TwinSpace on its home node. There is
// exactly one per project: a second call is refused.
func (s *Service) openTwinSpace(txn *badger.Txn, p *twinfed.Project) error {
	key := []byte(store.PrefixTwinSpace + p.ID)
	if _, err := txn.Get(key); err == nil {
		return twinfed.Errorf(twinfed.ECONFLICT, "This project already has its TwinSpace; there is exactly one per project.")
	} else if !errors.Is(err, badger.ErrKeyNotFound) {
		return err
	}
	ts := TwinSpace{Project: p.ID, URL: twinfed.TwinSpaceURL(p.ID), Opened: s.now().UTC()}
	for _, pt := range p.Partners {
		if pt.Role != twinfed.RolePartner {
			ts.Admins = append(ts.Admins, pt.Actor)
		}
	}
	p.TwinSpace = ts.URL
	return store.SetJSON(txn, string(key), ts)
}

// ActorOf returns the actor URL a principal writes as: a member's, or a
// pupil's or visitor's; "" for anyone else.
func (s *Service) ActorOf(p *twinfed.Principal) string {
	switch {
	case p == nil || p.Username == "":
		return ""
	case p.Role == twinfed.RoleMember:
		return twinfed.ActorURL(s.cfg.BaseURL, p.Username)
	case p.Role.IsScoped():
		return twinfed.PupilURL(s.cfg.BaseURL, p.Username)
	}
	return ""
}
