package discuss

import (
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/twinspace"
)

// Reading the forum. Every read is a member's (the forum is private) and
// goes through the core's index, a kind's objects under one parent: the
// overview reads the discussions, their threads and each thread's summary,
// never the replies; a thread's page skips the index's keys to its page
// and reads only that page's replies.

// DiscussionInfo is a discussion with its counts, as its reader sees it.
type DiscussionInfo struct {
	*twinfed.SpaceObject
	Threads   int       `json:"threads"`
	Replies   int       `json:"replies"`
	Unread    int       `json:"unread"`         // replies newer than the reader last read their thread
	Last      time.Time `json:"last,omitzero"`  // the newest reply
	CanChange bool      `json:"can_change"`     // the reader may edit or delete it
	HTML      string    `json:"html,omitempty"` // the description as HTML
	// Active are its threads with the newest replies (at most
	// ActiveThreads), newest first, for the overview.
	Active []ThreadInfo `json:"active_threads,omitempty"`
}

// ActiveThreads is how many threads the overview shows per discussion.
const ActiveThreads = 5

// ThreadInfo is a thread with its counts, as its reader sees it.
type ThreadInfo struct {
	*twinfed.SpaceObject
	Replies   int       `json:"replies"`
	Unread    int       `json:"unread"`
	Last      time.Time `json:"last,omitzero"`
	CanChange bool      `json:"can_change"`
	HTML      string    `json:"html,omitempty"`
}

// Overview returns the TwinSpace's discussions, oldest first, with their
// threads', replies' and unread counts.
func (s *Service) Overview(v *twinspace.View) ([]DiscussionInfo, error) {
	if err := v.RequireMember(); err != nil {
		return nil, err
	}
	out := []DiscussionInfo{}
	err := s.ts.Store().View(func(txn *badger.Txn) error {
		return twinspace.Children(txn, v.Project.ID, twinfed.SpaceKindDiscussion, "", func(d *twinfed.SpaceObject) error {
			if !s.ts.Sees(v, d) {
				return nil
			}
			di := DiscussionInfo{SpaceObject: d, CanChange: s.ts.CanChange(v, d) && !v.ReadOnly, HTML: d.Content}
			ts, err := s.threads(txn, v, d.ID)
			for _, t := range ts {
				di.Threads++
				di.Replies += t.Replies
				di.Unread += t.Unread
				if t.Last.After(di.Last) {
					di.Last = t.Last
				}
			}
			slices.SortStableFunc(ts, func(a, b ThreadInfo) int { return activity(b).Compare(activity(a)) })
			di.Active = ts[:min(len(ts), ActiveThreads)]
			out = append(out, di)
			return err
		})
	})
	return out, err
}

// activity is when a thread last changed: its newest reply, or its
// opening.
func activity(t ThreadInfo) time.Time {
	if t.Last.After(t.Created) {
		return t.Last
	}
	return t.Created
}

// threads lists a discussion's threads with their counts.
func (s *Service) threads(txn *badger.Txn, v *twinspace.View, discussion string) ([]ThreadInfo, error) {
	out := []ThreadInfo{}
	err := twinspace.Children(txn, v.Project.ID, twinfed.SpaceKindThread, discussion, func(t *twinfed.SpaceObject) error {
		if !s.ts.Sees(v, t) {
			return nil
		}
		sm, err := readSummary(txn, v.Project.ID, t.ID)
		if err != nil {
			return err
		}
		ti := ThreadInfo{SpaceObject: t, Replies: sm.Replies, Last: sm.Last, CanChange: s.ts.CanChange(v, t) && !v.ReadOnly, HTML: t.Content}
		ti.Unread = unread(txn, v.Project.ID, t.ID, sm, readAt(txn, v.Actor, t.ID))
		out = append(out, ti)
		return nil
	})
	return out, err
}

// DiscussionPage is a discussion with its threads.
type DiscussionPage struct {
	Discussion DiscussionInfo `json:"discussion"`
	Threads    []ThreadInfo   `json:"threads"`
}

// Discussion returns a discussion and its threads, oldest first.
func (s *Service) Discussion(v *twinspace.View, id string) (*DiscussionPage, error) {
	if err := v.RequireMember(); err != nil {
		return nil, err
	}
	out := &DiscussionPage{}
	err := s.ts.Store().View(func(txn *badger.Txn) error {
		d, err := live(txn, v.Project.ID, id, twinfed.SpaceKindDiscussion)
		if err != nil {
			return err
		}
		out.Discussion = DiscussionInfo{SpaceObject: d, CanChange: s.ts.CanChange(v, d) && !v.ReadOnly, HTML: d.Content}
		out.Threads, err = s.threads(txn, v, d.ID)
		for _, t := range out.Threads {
			out.Discussion.Threads++
			out.Discussion.Replies += t.Replies
			out.Discussion.Unread += t.Unread
		}
		return err
	})
	return out, err
}

// ReplyInfo is a reply as its reader sees it: its text as HTML, the reply
// it quotes, its attachments, whether it is new to the reader.
type ReplyInfo struct {
	*twinfed.SpaceObject
	HTML        string       `json:"html"`
	Quote       *Quote       `json:"quote,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	New         bool         `json:"new"`
	CanChange   bool         `json:"can_change"`
	Anchor      string       `json:"-"` // the reply's element id on the page
	// The page's links to quote it and to edit it.
	QuoteHref, EditHref string `json:"-"`
}

// Quote is the quoted reply, resolved when read: its author's name and
// the beginning of its text; Gone when it was deleted or is not here.
type Quote struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	Snippet string `json:"snippet,omitempty"`
	Gone    bool   `json:"gone,omitempty"`
}

// Attachment is a material attached to a reply: its link on this node and
// its file's name when the node holds the material's record.
type Attachment struct {
	ID    string `json:"id"`
	Href  string `json:"href"`
	Title string `json:"title,omitempty"` // "" when the record is not here
}

// ThreadPage is one page of a thread's replies, oldest first.
type ThreadPage struct {
	Discussion *twinfed.SpaceObject `json:"discussion"`
	Thread     ThreadInfo           `json:"thread"`
	Replies    []ReplyInfo          `json:"replies"`
	Page       int                  `json:"page"`  // from 1
	Pages      int                  `json:"pages"` // at least 1
	ReadAt     time.Time            `json:"read_at,omitzero"`
}

// FirstUnread asks Thread for the page of the reader's first unread reply
// (page 1 when there is none, or the thread was never read).
const FirstUnread = -1

// Thread returns page (from 1; 0 or beyond: the last; FirstUnread) of a
// thread's replies and marks what it shows read for its reader: replies
// newer than their previous visit are marked New.
func (s *Service) Thread(v *twinspace.View, id string, page int) (*ThreadPage, error) {
	if err := v.RequireMember(); err != nil {
		return nil, err
	}
	out := &ThreadPage{Replies: []ReplyInfo{}}
	var sm summary
	var seen time.Time // the newest reply the page shows
	err := s.ts.Store().View(func(txn *badger.Txn) error {
		t, err := live(txn, v.Project.ID, id, twinfed.SpaceKindThread)
		if err != nil {
			return err
		}
		if out.Discussion, err = twinspace.Object(txn, v.Project.ID, t.Parent); err != nil {
			return err
		}
		if sm, err = readSummary(txn, v.Project.ID, t.ID); err != nil {
			return err
		}
		out.ReadAt = readAt(txn, v.Actor, t.ID)
		out.Thread = ThreadInfo{SpaceObject: t, Replies: sm.Replies, Last: sm.Last, CanChange: s.ts.CanChange(v, t) && !v.ReadOnly, HTML: t.Content}
		out.Thread.Unread = unread(txn, v.Project.ID, t.ID, sm, out.ReadAt)
		prefix := twinspace.IndexPrefix(v.Project.ID, twinfed.SpaceKindReply, t.ID)
		total := twinspace.CountChildren(txn, v.Project.ID, twinfed.SpaceKindReply, t.ID)
		out.Pages = max(1, (total+PageSize-1)/PageSize)
		if page == FirstUnread {
			page = 1
			if out.Thread.Unread > 0 && !out.ReadAt.IsZero() {
				page = firstAfter(txn, prefix, out.ReadAt)/PageSize + 1
			}
		}
		out.Page = page
		if page < 1 || page > out.Pages {
			out.Page = out.Pages
		}
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues, opts.Prefix = false, []byte(prefix)
		it := txn.NewIterator(opts)
		defer it.Close()
		skip := (out.Page - 1) * PageSize
		for it.Rewind(); it.Valid() && skip > 0; it.Next() {
			skip--
		}
		for n := 0; it.Valid() && n < PageSize; it.Next() {
			n++
			k := string(it.Item().Key())
			if c := createdOf(k, prefix); c.After(seen) {
				seen = c
			}
			r, err := twinspace.Object(txn, v.Project.ID, k[strings.LastIndexByte(k, ' ')+1:])
			if err != nil || !s.ts.Sees(v, r) {
				continue
			}
			out.Replies = append(out.Replies, s.reply(txn, v, r, out.ReadAt))
		}
		if out.Page == out.Pages && sm.Last.After(seen) {
			seen = sm.Last
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Read up to the newest reply shown (the thread's newest on its last
	// page): a later one is new; the marker never moves back, and reading
	// again with nothing new writes nothing.
	return out, s.markRead(v.Actor, id, seen)
}

// firstAfter returns the place (from 0) among the index's keys under
// prefix of the first created after t, reading keys only.
func firstAfter(txn *badger.Txn, prefix string, t time.Time) int {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues, opts.Prefix = false, []byte(prefix)
	it := txn.NewIterator(opts)
	defer it.Close()
	n := 0
	for it.Rewind(); it.Valid(); it.Next() {
		if createdOf(string(it.Item().Key()), prefix).After(t) {
			break
		}
		n++
	}
	return n
}

// PageOf returns the page of its thread that shows reply (the last when
// it is not found).
func (s *Service) PageOf(project string, reply *twinfed.SpaceObject) int {
	page := 0
	_ = s.ts.Store().View(func(txn *badger.Txn) error {
		prefix := twinspace.IndexPrefix(project, twinfed.SpaceKindReply, reply.Parent)
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues, opts.Prefix = false, []byte(prefix)
		it := txn.NewIterator(opts)
		defer it.Close()
		n := 0
		for it.Rewind(); it.Valid(); it.Next() {
			if strings.HasSuffix(string(it.Item().Key()), " "+reply.ID) {
				page = n/PageSize + 1
				break
			}
			n++
		}
		return nil
	})
	return page
}

// reply resolves a reply for v's reader.
func (s *Service) reply(txn *badger.Txn, v *twinspace.View, r *twinfed.SpaceObject, read time.Time) ReplyInfo {
	ri := ReplyInfo{SpaceObject: r, HTML: r.Content, CanChange: s.ts.CanChange(v, r) && !v.ReadOnly, Anchor: anchor(r.ID),
		New: r.Created.After(read) && r.Author != v.Actor}
	if q := r.Fields["quote"]; q != "" {
		ri.Quote = &Quote{ID: q, Gone: true}
		if o, err := twinspace.Object(txn, v.Project.ID, q); err == nil && o.Kind == twinfed.SpaceKindReply && !o.Deleted {
			ri.Quote = &Quote{ID: q, Name: o.Name, Snippet: snippet(o.Fields["text"], 200)}
		}
	}
	if m := r.Fields["materials"]; m != "" {
		for _, id := range strings.Split(m, ",") {
			a := Attachment{ID: id, Href: MaterialHref(v.Project.ID, id)}
			if o, err := twinspace.Object(txn, v.Project.ID, id); err == nil && o.Kind == twinfed.SpaceKindMaterial && !o.Deleted {
				a.Title = o.Title
			}
			ri.Attachments = append(ri.Attachments, a)
		}
	}
	return ri
}

// quoting returns the reply of thread the reply form quotes; nil when it
// is not one of the thread's live replies.
func (s *Service) quoting(v *twinspace.View, thread, id string) *ReplyInfo {
	var out *ReplyInfo
	_ = s.ts.Store().View(func(txn *badger.Txn) error {
		r, err := live(txn, v.Project.ID, id, twinfed.SpaceKindReply)
		if err == nil && r.Parent == thread && s.ts.Sees(v, r) {
			ri := s.reply(txn, v, r, time.Time{})
			ri.HTML = snippet(r.Fields["text"], 200)
			out = &ri
		}
		return nil
	})
	return out
}

// anchor is a reply's element id on its page.
func anchor(id string) string {
	return "r-" + id[strings.LastIndexByte(id, '/')+1:]
}

// MaterialHref is where a material of project is fetched on this node (the
// Materials tab's file route).
func MaterialHref(project, id string) string {
	return "/twinspace/materials/file?" + url.Values{"id": {project}, "m": {id}}.Encode()
}

// Materials lists the TwinSpace's materials the reader may attach (at
// most max), folders walked from the top.
func (s *Service) Materials(v *twinspace.View, limit int) ([]Attachment, error) {
	var out []Attachment
	err := s.ts.Store().View(func(txn *badger.Txn) error {
		var walk func(folder string, depth int) error
		walk = func(folder string, depth int) error {
			err := twinspace.Children(txn, v.Project.ID, twinfed.SpaceKindMaterial, folder, func(o *twinfed.SpaceObject) error {
				if len(out) >= limit {
					return twinspace.ErrStop
				}
				if s.ts.Sees(v, o) {
					out = append(out, Attachment{ID: o.ID, Href: MaterialHref(v.Project.ID, o.ID), Title: o.Title})
				}
				return nil
			})
			if err != nil || depth >= 8 || len(out) >= limit {
				return err
			}
			return twinspace.Children(txn, v.Project.ID, twinfed.SpaceKindFolder, folder, func(f *twinfed.SpaceObject) error {
				if len(out) >= limit {
					return twinspace.ErrStop
				}
				return walk(f.ID, depth+1)
			})
		}
		return walk("", 0)
	})
	return out, err
}

// safe marks HTML this package made from plain text (TextHTML, in Check on
// every node) for the templates.
func safe(s string) template.HTML { return template.HTML(s) }
