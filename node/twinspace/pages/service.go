package pages

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/web"
	"github.com/twinfed/twinfed/node/web/pagehtml"
	"golang.org/x/net/html"
)

// Bounds of a page: its text's HTML, and the form or JSON body that
// carries it (encoded, HTML takes up to three times its size).
const (
	maxTitleRunes   = 200
	maxContentBytes = 256 << 10
	maxFormBytes    = 1 << 20
)

// Images lists the images of a TwinSpace's Materials that the editor's
// image button offers (the Materials tool implements it).
type Images interface {
	// EditorImages returns the images v's reader may put on a page.
	EditorImages(ctx context.Context, v *twinspace.View) ([]web.EditorImage, error)
}

// Service is the Pages tool of the node's TwinSpaces. It is safe for
// concurrent use.
type Service struct {
	ts      *twinspace.Service
	policy  *pagehtml.Policy
	images  Images
	outline outline
}

// New builds the Pages tool on the TwinSpace's core and registers its
// kinds (page and revision). embeds are the node's embeddable services;
// images, when not nil, the Materials' images for the editor.
func New(ts *twinspace.Service, embeds *pagehtml.Embeds, images Images) *Service {
	s := &Service{ts: ts, policy: pagehtml.New(embeds, pagehtml.MaterialsImages), images: images}
	ts.Register(twinfed.SpaceKindPage, twinspace.Kind{Create: twinfed.SpaceCreatePage, Needs: pageNeeds, Check: s.checkPage, Applied: s.pageApplied})
	ts.Register(twinfed.SpaceKindRevision, twinspace.Kind{Create: twinfed.SpaceEditPage, Needs: revisionNeeds, Check: s.checkRevision, Quiet: true, Applied: s.revisionApplied})
	return s
}

// SetImages gives the tool the Materials' images, when the assembly
// builds them after it.
func (s *Service) SetImages(images Images) { s.images = images }

// Policy returns the HTML policy of pages.
func (s *Service) Policy() *pagehtml.Policy { return s.policy }

// pageNeeds: creating a page needs SpaceCreatePage (and SpacePublishPage
// to create it published); changing its title or text SpaceEditPage,
// publishing it or taking it back to draft SpacePublishPage, moving it
// (parent, order) SpaceReorderPages; deleting it is the author's
// (SpaceEditOwn) or an administrator's (SpaceManageOthers).
func pageNeeds(old, o *twinfed.SpaceObject) []twinfed.SpaceAction {
	if old == nil {
		if o.Public {
			return []twinfed.SpaceAction{twinfed.SpaceCreatePage, twinfed.SpacePublishPage}
		}
		return []twinfed.SpaceAction{twinfed.SpaceCreatePage}
	}
	if o.Deleted {
		if o.Writer() == old.Author {
			return []twinfed.SpaceAction{twinfed.SpaceEditOwn}
		}
		return []twinfed.SpaceAction{twinfed.SpaceManageOthers}
	}
	var a []twinfed.SpaceAction
	if o.Title != old.Title || o.Content != old.Content || o.Fields["saved"] != old.Fields["saved"] {
		a = append(a, twinfed.SpaceEditPage)
	}
	if o.Public != old.Public {
		a = append(a, twinfed.SpacePublishPage)
	}
	if o.Parent != old.Parent || o.Order != old.Order {
		a = append(a, twinfed.SpaceReorderPages)
	}
	if len(a) == 0 {
		a = append(a, twinfed.SpaceEditPage)
	}
	return a
}

// revisionNeeds: a revision is written with its page's save
// (SpaceEditPage) and never changes; only an administrator could remove
// one.
func revisionNeeds(old, o *twinfed.SpaceObject) []twinfed.SpaceAction {
	if old == nil {
		return []twinfed.SpaceAction{twinfed.SpaceEditPage}
	}
	return []twinfed.SpaceAction{twinfed.SpaceManageOthers}
}

// checkPage cleans a page on every node it reaches: its text sanitised
// (pagehtml.Policy), its title trimmed and bounded, the images it shows
// listed in Fields["images"] (what the Materials may serve to the public
// when the page is published).
func (s *Service) checkPage(o *twinfed.SpaceObject) error {
	if err := s.clean(o); err != nil {
		return err
	}
	if o.Parent == o.ID {
		return twinfed.Errorf(twinfed.EINVALID, "A page cannot be its own parent.")
	}
	if imgs := images(o.Content); len(imgs) > 0 {
		if o.Fields == nil {
			o.Fields = map[string]string{}
		}
		o.Fields["images"] = strings.Join(imgs, " ")
	} else {
		delete(o.Fields, "images")
	}
	return nil
}

// checkRevision: a revision is a page's text as one save left it, under
// its page, and never changes.
func (s *Service) checkRevision(o *twinfed.SpaceObject) error {
	if o.Version != 1 || o.Parent == "" {
		return twinfed.Errorf(twinfed.EINVALID, "A revision belongs to a page and never changes.")
	}
	return s.clean(o)
}

func (s *Service) clean(o *twinfed.SpaceObject) error {
	o.Title = strings.TrimSpace(o.Title)
	o.Content = strings.TrimSpace(s.policy.Sanitize(o.Content))
	if err := checkTitle(o.Title); err != nil {
		return err
	}
	if len(o.Content) > maxContentBytes {
		return tooLong()
	}
	return nil
}

func checkTitle(title string) error {
	if title == "" || utf8.RuneCountInString(title) > maxTitleRunes {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: "Give the page a title of at most 200 characters.", Fields: map[string]string{"title": "Give the page a title of at most 200 characters."}}
	}
	return nil
}

func tooLong() error {
	return &twinfed.Error{Code: twinfed.EINVALID, Message: "The page is too long: split it into sub-pages.", Fields: map[string]string{pagehtml.Field: "The page is too long: split it into sub-pages."}}
}

// images returns the addresses of the images HTML shows.
func images(s string) []string {
	var out []string
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if t.Data != "img" {
				continue
			}
			for _, a := range t.Attr {
				if a.Key == "src" && !slices.Contains(out, a.Val) {
					out = append(out, a.Val)
				}
			}
		}
	}
}

// Edit is a save of a page from the editor.
type Edit struct {
	Page    string // the page; "" for a new one
	Parent  string // a new page's parent page ("" at the top)
	Title   string
	Content string // HTML, checked (pagehtml.Policy.Check) then sanitised
	// Base is the page's version the writer edited (the edit form's):
	// when someone saved the page's text since, the save is refused with
	// a *Conflict. Zero for a new page.
	Base int64
	// Restored is the revision a restore brings back ("": a save).
	Restored string
}

// Conflict is the error of a save made on a version of the page that
// someone else's save has replaced meanwhile: nothing was saved.
type Conflict struct {
	Err     *twinfed.Error // ECONFLICT
	Name    string         // who saved the page's text last
	At      time.Time      // when
	Version int64          // the page's version now: the base to save over it
	From    string         // the revision the writer had edited, to compare with
	To      string         // the revision of the save that came between
}

// Error implements error.
func (c *Conflict) Error() string { return c.Err.Error() }

// Unwrap gives the domain error (ECONFLICT).
func (c *Conflict) Unwrap() error { return c.Err }

// Save saves a page's title and text as p: it creates the page (under its
// parent, last among its siblings) or changes it, and writes a revision
// of it, in one transaction. HTML a page may not hold is refused with a
// message naming it, and nothing changes; a save on a version someone
// else's save replaced is refused with a *Conflict.
func (s *Service) Save(ctx context.Context, p *twinfed.Principal, project string, in Edit) (*twinfed.SpaceObject, error) {
	in.Title = strings.TrimSpace(in.Title)
	if err := s.policy.Check(in.Content); err != nil {
		return nil, err
	}
	if err := checkTitle(in.Title); err != nil {
		return nil, err
	}
	if len(in.Content) > maxContentBytes {
		return nil, tooLong()
	}
	var page *twinfed.SpaceObject
	pageStep := twinspace.Step{Kind: twinfed.SpaceKindPage, ID: in.Page, Fn: func(v *twinspace.View, o *twinfed.SpaceObject) error {
		if in.Page == "" {
			if err := s.placeNew(v, o, in.Parent); err != nil {
				return err
			}
		} else {
			if o.Version == 0 || o.Deleted {
				return notFound()
			}
			if err := s.conflict(v, o, in.Base); err != nil {
				return err
			}
		}
		if o.Fields == nil {
			o.Fields = map[string]string{}
		}
		o.Title, o.Content, o.Base = in.Title, in.Content, in.Base
		o.Fields["saved"] = strconv.FormatInt(o.Version+1, 10) // the version this save makes
		page = o
		return nil
	}}
	revStep := twinspace.Step{Kind: twinfed.SpaceKindRevision, Fn: func(v *twinspace.View, o *twinfed.SpaceObject) error {
		o.Parent, o.Title, o.Content, o.Base = page.ID, page.Title, page.Content, in.Base
		o.Fields = map[string]string{"version": strconv.FormatInt(page.Version, 10)}
		if in.Restored != "" {
			o.Fields["restored"] = in.Restored
		}
		return nil
	}}
	if _, err := s.ts.EditAll(ctx, p, project, pageStep, revStep); err != nil {
		return nil, err
	}
	if page.Public {
		s.ts.MarkMaterialsPublic(ctx, p, project, twinspace.MaterialIDs(page.Content)) // the public may see its images
	}
	return page, nil
}

// placeNew puts a new page under parent (which must be a live page of
// the TwinSpace), after its siblings.
func (s *Service) placeNew(v *twinspace.View, o *twinfed.SpaceObject, parent string) error {
	return s.ts.Store().View(func(txn *badger.Txn) error {
		if parent != "" {
			par, err := twinspace.Object(txn, v.Project.ID, parent)
			if err != nil || par.Kind != twinfed.SpaceKindPage || par.Deleted {
				return &twinfed.Error{Code: twinfed.EINVALID, Message: "Choose a page of this TwinSpace to put the new page under.", Fields: map[string]string{"parent": "Choose a page of this TwinSpace to put the new page under."}}
			}
		}
		o.Parent = parent
		o.Order = 1
		return twinspace.Children(txn, v.Project.ID, twinfed.SpaceKindPage, parent, func(sib *twinfed.SpaceObject) error {
			o.Order = max(o.Order, sib.Order+1)
			return nil
		})
	})
}

// conflict returns a *Conflict when someone saved o's text after version
// base (a move or a publication since does not count).
func (s *Service) conflict(v *twinspace.View, o *twinfed.SpaceObject, base int64) error {
	saved, _ := strconv.ParseInt(o.Fields["saved"], 10, 64)
	if base >= saved || o.Version == base {
		return nil
	}
	c := &Conflict{Err: twinfed.Errorf(twinfed.ECONFLICT, "Someone saved this page after you opened it; your text was not saved. Compare the two versions, then save again."),
		Name: o.EditName, At: o.Updated, Version: o.Version}
	revs, err := s.revisions(v.Project.ID, o.ID)
	if err != nil {
		return err
	}
	for _, r := range revs {
		n, _ := strconv.ParseInt(r.Fields["version"], 10, 64)
		if n == saved && c.To == "" {
			c.Name, c.At, c.To = r.Name, r.Created, r.ID
		}
		if n <= base && c.From == "" {
			c.From = r.ID
		}
	}
	return c
}

func notFound() error {
	return twinfed.Errorf(twinfed.ENOTFOUND, "This page does not exist (or no longer does).")
}

// Publish publishes a page (public: anyone reads it, on the project's
// home node and in public mode) or takes it back to draft.
func (s *Service) Publish(ctx context.Context, p *twinfed.Principal, project, page string, public bool) error {
	o, err := s.ts.Edit(ctx, p, project, twinfed.SpaceKindPage, page, func(v *twinspace.View, o *twinfed.SpaceObject) error {
		if o.Version == 0 || o.Deleted {
			return notFound()
		}
		o.Public = public
		return nil
	})
	if err == nil && public {
		s.ts.MarkMaterialsPublic(ctx, p, project, twinspace.MaterialIDs(o.Content)) // the public may see its images
	}
	return err
}

// Delete removes a page that has no sub-pages left (its revisions stay).
func (s *Service) Delete(ctx context.Context, p *twinfed.Principal, project, page string) error {
	_, err := s.ts.Edit(ctx, p, project, twinfed.SpaceKindPage, page, func(v *twinspace.View, o *twinfed.SpaceObject) error {
		if o.Version == 0 || o.Deleted {
			return notFound()
		}
		n := 0
		if err := s.ts.Store().View(func(txn *badger.Txn) error {
			return twinspace.Children(txn, project, twinfed.SpaceKindPage, page, func(*twinfed.SpaceObject) error {
				n++
				return twinspace.ErrStop
			})
		}); err != nil {
			return err
		}
		if n > 0 {
			return twinfed.Errorf(twinfed.ECONFLICT, "This page has sub-pages: move or delete them first.")
		}
		o.Deleted = true
		return nil
	})
	return err
}

// Move moves a page one place up (up) or down among its siblings: the
// siblings are numbered again in their new order, in one transaction.
func (s *Service) Move(ctx context.Context, p *twinfed.Principal, project, page string, up bool) error {
	if err := s.mayReorder(ctx, p, project); err != nil {
		return err
	}
	var sibs []*twinfed.SpaceObject
	err := s.ts.Store().View(func(txn *badger.Txn) error {
		o, err := twinspace.Object(txn, project, page)
		if err != nil || o.Kind != twinfed.SpaceKindPage || o.Deleted {
			return notFound()
		}
		sibs, err = siblings(txn, project, o.Parent)
		return err
	})
	if err != nil {
		return err
	}
	i := slices.IndexFunc(sibs, func(o *twinfed.SpaceObject) bool { return o.ID == page })
	j := i + 1
	if up {
		j = i - 1
	}
	if i < 0 || j < 0 || j >= len(sibs) {
		return twinfed.Errorf(twinfed.EINVALID, "This page is already at the end of its list.")
	}
	sibs[i], sibs[j] = sibs[j], sibs[i]
	return s.renumber(ctx, p, project, sibs, "", "")
}

// Reparent puts a page under another page (or at the top: parent ""),
// last among its new siblings. A page cannot go under itself or one of
// its own sub-pages.
func (s *Service) Reparent(ctx context.Context, p *twinfed.Principal, project, page, parent string) error {
	if err := s.mayReorder(ctx, p, project); err != nil {
		return err
	}
	var sibs []*twinfed.SpaceObject
	err := s.ts.Store().View(func(txn *badger.Txn) error {
		o, err := twinspace.Object(txn, project, page)
		if err != nil || o.Kind != twinfed.SpaceKindPage || o.Deleted {
			return notFound()
		}
		for at := parent; at != ""; {
			if at == page {
				return &twinfed.Error{Code: twinfed.EINVALID, Message: "A page cannot go under itself or one of its sub-pages.", Fields: map[string]string{"parent": "A page cannot go under itself or one of its sub-pages."}}
			}
			up, err := twinspace.Object(txn, project, at)
			if err != nil || up.Kind != twinfed.SpaceKindPage || up.Deleted {
				return &twinfed.Error{Code: twinfed.EINVALID, Message: "Choose a page of this TwinSpace to put the page under.", Fields: map[string]string{"parent": "Choose a page of this TwinSpace to put the page under."}}
			}
			at = up.Parent
		}
		sibs, err = siblings(txn, project, parent)
		sibs = slices.DeleteFunc(sibs, func(x *twinfed.SpaceObject) bool { return x.ID == page })
		sibs = append(sibs, o)
		return err
	})
	if err != nil {
		return err
	}
	return s.renumber(ctx, p, project, sibs, page, parent)
}

// mayReorder refuses at once a move p's role does not allow, before any
// check of the move itself (EditAll checks it again).
func (s *Service) mayReorder(ctx context.Context, p *twinfed.Principal, project string) error {
	v, err := s.ts.OpenView(ctx, p, project, false)
	if err != nil {
		return err
	}
	return v.Require(twinfed.SpaceReorderPages)
}

// renumber gives sibs the orders 1, 2, … (moved, when set, also its new
// parent), changing only the pages whose place changes.
func (s *Service) renumber(ctx context.Context, p *twinfed.Principal, project string, sibs []*twinfed.SpaceObject, moved, parent string) error {
	var steps []twinspace.Step
	for i, o := range sibs {
		order := i + 1
		if o.Order == order && o.ID != moved {
			continue
		}
		id := o.ID
		steps = append(steps, twinspace.Step{Kind: twinfed.SpaceKindPage, ID: id, Fn: func(v *twinspace.View, o *twinfed.SpaceObject) error {
			if o.Version == 0 || o.Deleted {
				return notFound()
			}
			o.Order = order
			if id == moved {
				o.Parent = parent
			}
			return nil
		}})
	}
	if len(steps) == 0 {
		return nil
	}
	_, err := s.ts.EditAll(ctx, p, project, steps...)
	return err
}

// siblings returns the live pages under parent in their order.
func siblings(txn *badger.Txn, project, parent string) ([]*twinfed.SpaceObject, error) {
	var out []*twinfed.SpaceObject
	err := twinspace.Children(txn, project, twinfed.SpaceKindPage, parent, func(o *twinfed.SpaceObject) error {
		out = append(out, o)
		return nil
	})
	slices.SortStableFunc(out, byOrder)
	return out, err
}

// byOrder orders sibling pages: by Order, then by creation (two pages
// created at once on two nodes), then by id.
func byOrder(a, b *twinfed.SpaceObject) int {
	return cmp.Or(cmp.Compare(a.Order, b.Order), a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
}

// Restore saves an older revision's title and text as the page's new
// version (a save like any other: a revision, and a *Conflict when
// someone saved since base).
func (s *Service) Restore(ctx context.Context, p *twinfed.Principal, project, page, revision string, base int64) (*twinfed.SpaceObject, error) {
	var rev *twinfed.SpaceObject
	err := s.ts.Store().View(func(txn *badger.Txn) error {
		var err error
		rev, err = twinspace.Object(txn, project, revision)
		if err == nil && (rev.Kind != twinfed.SpaceKindRevision || rev.Parent != page) {
			err = notFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Save(ctx, p, project, Edit{Page: page, Title: rev.Title, Content: rev.Content, Base: base, Restored: rev.ID})
}
