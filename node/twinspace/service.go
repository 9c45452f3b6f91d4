package twinspace

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/microcosm-cc/bluemonday"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// maxPostRunes is the longest post.
const maxPostRunes = 5000

// Config is what the TwinSpace needs to know about its node.
type Config struct {
	BaseURL string // public base URL: members' actor ids live under it
}

// Deps are the TwinSpace's collaborators.
type Deps struct {
	Store    *store.Store
	Acts     *outbox.Activities // this node's activities; nil: the node runs alone
	Projects Projects
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

// Service implements the TwinSpaces of the node's projects. It is safe for
// concurrent use.
type Service struct {
	cfg      Config
	store    *store.Store
	acts     *outbox.Activities
	projects Projects
	log      *slog.Logger
	now      func() time.Time
	html     *bluemonday.Policy
}

// New builds the TwinSpace's service.
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
	return &Service{cfg: cfg, store: d.Store, acts: d.Acts, projects: d.Projects, log: d.Logger, now: d.Now, html: web.NewHTMLPolicy()}, nil
}

// Hooks registers the TwinSpace's reactions to the project feature: a
// project approved opens its TwinSpace (OnApproved), and a partner approved
// in an approved project gets the posts so far (OnPartnerApproved).
func (s *Service) Hooks(p *project.Service) {
	p.OnApproved(s.openTwinSpace)
	p.OnPartnerApproved(s.sharePosts)
}

// BaseURL returns the node's public base URL.
func (s *Service) BaseURL() string { return s.cfg.BaseURL }

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

// viewerProject loads a project for a member who takes part in it.
func (s *Service) viewerProject(txn *badger.Txn, actor, id string) (*twinfed.Project, *twinfed.Partner, error) {
	proj, err := s.projects.Project(txn, id)
	if err != nil {
		return nil, nil, err
	}
	pt := proj.Partner(actor)
	if pt == nil {
		return nil, nil, twinfed.Errorf(twinfed.EFORBIDDEN, "You are not a partner of this project.")
	}
	return proj, pt, nil
}

// TwinSpace is a project's workspace, created on the home node when the
// project is approved.
type TwinSpace struct {
	Project string    `json:"project"`
	URL     string    `json:"url"`
	Admins  []string  `json:"admins"` // the founders: teacher administrators
	Opened  time.Time `json:"opened"`
}

// TwinSpacePost is a message on a TwinSpace's board.
type TwinSpacePost struct {
	ID        string    `json:"id"`
	Project   string    `json:"project"`
	Author    string    `json:"author"` // actor URL
	Name      string    `json:"name"`
	Content   string    `json:"content"` // sanitised HTML
	Published time.Time `json:"published"`
}

// TwinSpaceView is a TwinSpace as a member sees it.
type TwinSpaceView struct {
	Project  *twinfed.Project `json:"project"`
	Posts    []*TwinSpacePost `json:"posts"`
	ReadOnly bool             `json:"read_only"` // the project is closed
	CanPost  bool             `json:"can_post"`
}

// TwinSpace returns a project's TwinSpace for one of its approved partners.
// The agency has no access: a TwinSpace is private to its members.
func (s *Service) TwinSpace(ctx context.Context, p *twinfed.Principal, id string) (*TwinSpaceView, error) {
	if p == nil || p.Role != twinfed.RoleMember {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "A TwinSpace is open only to the project's members.")
	}
	v := &TwinSpaceView{Posts: []*TwinSpacePost{}}
	err := s.store.View(func(txn *badger.Txn) error {
		me := twinfed.ActorURL(s.cfg.BaseURL, p.Username)
		proj, _, err := s.viewerProject(txn, me, id)
		if err != nil {
			return err
		}
		if !proj.InTwinSpace(me, p.Role) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "The TwinSpace opens to you once the project and your participation are approved.")
		}
		v.Project, v.ReadOnly = proj, proj.State == twinfed.ProjectClosed
		v.CanPost = proj.CanPostInTwinSpace(me, p.Role)
		return store.EachJSON(txn, store.PrefixPost+proj.ID+" ", func(tp *TwinSpacePost) error {
			v.Posts = append(v.Posts, tp)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// PostToTwinSpace writes a message on a TwinSpace's board. It goes to the
// project's Group on its home node, which shares it with every partner node.
func (s *Service) PostToTwinSpace(ctx context.Context, p *twinfed.Principal, id, content string) (*TwinSpacePost, error) {
	if err := project.RequireFounder(p); err != nil {
		return nil, err
	}
	content = strings.TrimSpace(content)
	if content == "" || utf8.RuneCountInString(content) > maxPostRunes {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Write a message of at most 5,000 characters.", Fields: map[string]string{"content": "Write a message."}}
	}
	var post *TwinSpacePost
	err := s.update(func(txn *badger.Txn) error {
		me := twinfed.ActorURL(s.cfg.BaseURL, p.Username)
		proj, pt, err := s.viewerProject(txn, me, id)
		if err != nil {
			return err
		}
		if !proj.InTwinSpace(me, p.Role) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "The TwinSpace opens to you once the project and your participation are approved.")
		}
		if !proj.CanPostInTwinSpace(me, p.Role) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "The project is closed: its TwinSpace is read-only.")
		}
		a := s.acts.New(twinfed.ActivityCreate, p.Username)
		n := &twinfed.Note{ID: a.ID + "/note", From: me, To: proj.ID, Content: social.TextToHTML(content), Published: a.Published}
		a.To, a.Object, a.Note = []string{proj.ID}, n.ID, n
		post = &TwinSpacePost{ID: n.ID, Project: proj.ID, Author: me, Name: pt.Name, Content: n.Content, Published: n.Published}
		if s.projects.IsHome(proj) {
			return s.publishPost(txn, proj, n)
		}
		return s.acts.Send(txn, a)
	})
	return post, err
}
