package diary

import (
	"context"
	"html/template"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/microcosm-cc/bluemonday"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/web"
)

// Bounds of a post.
const (
	maxTitleRunes   = 200
	maxContentRunes = 50000
)

// Publisher hands a diary post's change to the fediverse: on the
// project's home node, within the transaction that stored it, as Create,
// Update or Delete of an Article from the project's diary actor to its
// followers. The federation's outbox implements it.
type Publisher interface {
	PublishDiary(txn *badger.Txn, typ twinfed.ActivityType, project *twinfed.Project, post *twinfed.SpaceObject) error
}

// Fediverse is the agency's view of the open edge: the diaries'
// followers on fediverse servers and the blocked domains. The
// federation's outbox implements it.
type Fediverse interface {
	// DiaryFollowers lists a diary's followers ("": every diary's).
	DiaryFollowers(diary string) ([]twinfed.DiaryFollower, error)
	// Blocks lists the blocked domains.
	Blocks() ([]twinfed.DomainBlock, error)
	// Block refuses a domain from now on and drops its followers.
	Block(domain, reason, by string) error
	// Unblock lifts a block the agency made.
	Unblock(domain string) error
}

// Deps are the diary's collaborators.
type Deps struct {
	Core      *twinspace.Service
	Projects  twinspace.Projects
	Publisher Publisher // nil: the diary is not delivered to the fediverse (a node without federation)
	Fediverse Fediverse // nil: a node without federation has no followers to manage
}

// Service is the project diary. It is safe for concurrent use.
type Service struct {
	core     *twinspace.Service
	projects twinspace.Projects
	pub      Publisher
	fedi     Fediverse
	html     *bluemonday.Policy
}

// New builds the diary and registers its kind with the core.
func New(d Deps) *Service {
	s := &Service{core: d.Core, projects: d.Projects, pub: d.Publisher, fedi: d.Fediverse, html: Policy()}
	d.Core.Register(twinfed.SpaceKindDiary, twinspace.Kind{Create: twinfed.SpaceWriteDiary, Check: s.check, Applied: s.applied})
	return s
}

// materialSrc is the only image source a post may show: a material of
// the TwinSpace, by its URL on the node that serves it.
var materialSrc = regexp.MustCompile(`^/twinspace/materials/file\?id=[^&"<>\s]+&(?:amp;)?m=[^&"<>\s]+$`)

// Policy is the members' HTML policy with headings, quotes, tables (what
// the formatting editor makes, but embeds) and images from Materials.
func Policy() *bluemonday.Policy {
	p := web.NewHTMLPolicy()
	p.AllowElements("h2", "h3", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "caption")
	p.AllowAttrs("src").Matching(materialSrc).OnElements("img")
	p.AllowAttrs("alt").OnElements("img")
	p.AllowRelativeURLs(true)
	return p
}

// check sanitises a post and bounds it; a post is always public.
func (s *Service) check(o *twinfed.SpaceObject) error {
	o.Title = strings.TrimSpace(o.Title)
	o.Content = strings.TrimSpace(dropForeignImages(s.html.Sanitize(o.Content), o.Project))
	o.Public = true
	if o.Deleted {
		return nil
	}
	fields := map[string]string{}
	if o.Title == "" || utf8.RuneCountInString(o.Title) > maxTitleRunes {
		fields["title"] = "Give the post a title of at most 200 characters."
	}
	if o.Content == "" || utf8.RuneCountInString(o.Content) > maxContentRunes {
		fields["content"] = "Write the post: at most 50,000 characters."
	}
	if msg, ok := fields["title"]; ok {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: msg, Fields: fields}
	}
	if msg, ok := fields["content"]; ok {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: msg, Fields: fields}
	}
	return nil
}

// applied hands a post's change to the fediverse, on the home node only.
func (s *Service) applied(txn *badger.Txn, old, o *twinfed.SpaceObject) error {
	if s.pub == nil {
		return nil
	}
	p, err := s.projects.HomeProject(txn, o.Project)
	if err != nil {
		return nil // a partner node: the home node publishes
	}
	was := old != nil && !old.Deleted
	var typ twinfed.ActivityType
	switch {
	case o.Deleted && was:
		typ = twinfed.ActivityDelete
	case o.Deleted:
		return nil
	case was:
		typ = twinfed.ActivityUpdate
	default:
		typ = twinfed.ActivityCreate
	}
	return s.pub.PublishDiary(txn, typ, p, o)
}

// Post is a diary post as its page shows it.
type Post struct {
	*twinfed.SpaceObject
	URL     string        // the post's public URL (its Article's id)
	HTML    template.HTML // the content, sanitised when stored
	CanEdit bool
}

// Posts returns the diary's posts, newest first, as v's reader may
// change them (the diary is public: everyone sees every post).
func (s *Service) Posts(v *twinspace.View) ([]Post, error) {
	var out []Post
	err := s.core.Store().View(func(txn *badger.Txn) error {
		return twinspace.Children(txn, v.Project.ID, twinfed.SpaceKindDiary, "", func(o *twinfed.SpaceObject) error {
			if o.Deleted || !o.Public {
				return nil
			}
			out = append(out, Post{SpaceObject: o, URL: PostURL(v.Project.ID, o.ID), HTML: template.HTML(o.Content), CanEdit: s.core.CanChange(v, o)})
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, err
}

// PublicPosts returns a project's diary posts, newest first, for anyone
// (the fediverse's outbox, the Atom feed).
func (s *Service) PublicPosts(project string) ([]*twinfed.SpaceObject, error) {
	var out []*twinfed.SpaceObject
	err := s.core.Store().View(func(txn *badger.Txn) error {
		return twinspace.Children(txn, project, twinfed.SpaceKindDiary, "", func(o *twinfed.SpaceObject) error {
			if !o.Deleted && o.Public {
				out = append(out, o)
			}
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, err
}

// Save writes a post: a new one (object "") or a change of one, as p.
// The materials its images show are made public.
func (s *Service) Save(ctx context.Context, p *twinfed.Principal, project, object, title, content string) (*twinfed.SpaceObject, error) {
	if object != "" {
		if err := s.isPost(project, object); err != nil {
			return nil, err
		}
	}
	o, err := s.core.Edit(ctx, p, project, twinfed.SpaceKindDiary, object, func(v *twinspace.View, o *twinfed.SpaceObject) error {
		if object != "" && (o.Version == 0 || o.Deleted) {
			return errGone
		}
		o.Title, o.Content, o.Public = title, content, true
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.core.MarkMaterialsPublic(ctx, p, project, twinspace.MaterialIDs(o.Content))
	return o, nil
}

// Delete removes a post.
func (s *Service) Delete(ctx context.Context, p *twinfed.Principal, project, object string) error {
	if err := s.isPost(project, object); err != nil {
		return err
	}
	_, err := s.core.Edit(ctx, p, project, twinfed.SpaceKindDiary, object, func(v *twinspace.View, o *twinfed.SpaceObject) error {
		if o.Version == 0 || o.Deleted {
			return errGone
		}
		o.Deleted = true
		return nil
	})
	return err
}

var errGone = twinfed.Errorf(twinfed.ENOTFOUND, "This item of the TwinSpace does not exist (or no longer does).")

func (s *Service) isPost(project, object string) error {
	return s.core.Store().View(func(txn *badger.Txn) error {
		o, err := twinspace.Object(txn, project, object)
		if err != nil || o.Kind != twinfed.SpaceKindDiary || o.Deleted {
			return errGone
		}
		return nil
	})
}

// imgSrc finds the material URLs of a sanitised post's images.
var imgSrc = regexp.MustCompile(`<img[^>]*\ssrc="([^"]+)"`)

// imgTag is an image element of a sanitised post.
var imgTag = regexp.MustCompile(`<img[^>]*>`)

// dropForeignImages removes the images of another TwinSpace's materials:
// a post shows its own project's only.
func dropForeignImages(content, project string) string {
	return imgTag.ReplaceAllStringFunc(content, func(tag string) string {
		m := imgSrc.FindStringSubmatch(tag)
		if m == nil {
			return ""
		}
		u, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
		if err != nil || u.Query().Get("id") != project {
			return ""
		}
		return tag
	})
}

// Actor returns the URL of a project's diary actor (twinfed.DiaryURL).
func Actor(project string) string { return twinfed.DiaryURL(project) }

// PostURL returns a post's public URL, its Article's id
// (twinfed.DiaryPostURL).
func PostURL(project, object string) string { return twinfed.DiaryPostURL(project, object) }

// Handle returns the WebFinger address of a project's diary actor,
// without "acct:": diary-<the project's id>@<its home node's host>.
func Handle(project string) string {
	return "diary-" + project[strings.LastIndexByte(project, '/')+1:] + "@" + twinfed.URLHost(project)
}

// LocalDiary returns a project whose diary this node publishes to the
// fediverse: one it is home to, with its TwinSpace open; ENOTFOUND for
// any other (the federation's DiarySource).
func (s *Service) LocalDiary(ctx context.Context, project string) (*twinfed.Project, error) {
	v, err := s.core.OpenView(ctx, nil, project, true)
	if err != nil || !v.Home {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "no such diary")
	}
	return v.Project, nil
}
