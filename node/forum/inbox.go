package forum

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/inbound"
	"github.com/twinfed/twinfed/node/store"
)

// Reports, and the posts, replies and reports other nodes send, routed
// here by the node's inbound router (node/inbox.go): Create and Update of
// a Note carrying a forum post, Delete of a post or reply, Flag of a post
// of this node's member.

// Report is a member's report of a post, kept for the agency of the
// post's author.
type Report struct {
	ID       string    `json:"id"`
	Post     string    `json:"post"`
	Reporter string    `json:"reporter"` // actor URL
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

// ReportMax is the most characters of a report's reason.
const ReportMax = 500

func drop(format string, args ...any) error { return twinfed.Errorf(twinfed.EINVALID, format, args...) }

// Report records p's report of post id for the agency of its author: this
// node's when the author is a member here, else sent to the author's node
// (a Flag). EINVALID for a reason longer than ReportMax characters.
func (s *Service) Report(ctx context.Context, p *twinfed.Principal, id, reason string) error {
	if err := twinfed.CanPostInForum(p); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > ReportMax {
		return twinfed.FieldError("reason", "Say why in at most 500 characters.")
	}
	err := s.update(func(txn *badger.Txn) error {
		post, err := s.visible(txn, p, id)
		if err != nil {
			return err
		}
		if s.isLocal(post.ID) {
			return s.putReport(txn, &Report{ID: store.NewID(), Post: post.ID, Reporter: s.actor(p), Reason: reason, At: s.now().UTC()})
		}
		a := s.acts.New(twinfed.ActivityFlag, p.Username)
		a.To, a.Object, a.Summary = []string{twinfed.AgencyURL(baseOf(post.ID))}, post.ID, reason
		return s.acts.Send(txn, a)
	})
	return s.internal("forum report", err)
}

func (s *Service) putReport(txn *badger.Txn, r *Report) error {
	return store.SetJSON(txn, store.PrefixForumReport+r.Post+" "+r.ID, r)
}

// baseOf is the base URL of the node hosting a post id.
func baseOf(id string) string {
	if i := strings.Index(id, "/forum/posts/"); i > 0 {
		return id[:i]
	}
	return id
}

// Reported is a reported post with its reports, for the agency.
type Reported struct {
	Post    *twinfed.ForumPost `json:"post"`
	Reports []*Report          `json:"reports"`
}

// Reports lists the reported posts of the node's members, with their
// reports, for its agency.
func (s *Service) Reports(ctx context.Context, p *twinfed.Principal) ([]*Reported, error) {
	if !p.IsAgency() {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "Only the author's own agency may hide or show a post.")
	}
	out := []*Reported{}
	err := s.store.View(func(txn *badger.Txn) error {
		byPost := map[string]*Reported{}
		return store.EachJSON(txn, store.PrefixForumReport, func(r *Report) error {
			rp := byPost[r.Post]
			if rp == nil {
				post := s.Get(txn, r.Post)
				if post == nil {
					return nil // deleted since
				}
				rp = &Reported{Post: post}
				byPost[r.Post] = rp
				out = append(out, rp)
			}
			rp.Reports = append(rp.Reports, r)
			return nil
		})
	})
	return out, s.internal("forum reports", err)
}

// checkOrigin applies twinfed.CheckForumOrigin to a post another node
// sends: the sender's country is the registry's.
func (s *Service) checkOrigin(ctx context.Context, sender string, post *twinfed.ForumPost) error {
	if s.isLocal(post.ID) || s.isLocal(post.Author) {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "forum post %s: another node may not speak for this node's members", post.ID)
	}
	if s.registry == nil {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "forum post %s: this node runs alone", post.ID)
	}
	c, err := s.registry.CountryByHost(ctx, sender)
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "%s is not a node of the federation", sender)
		}
		return err
	}
	return twinfed.CheckForumOrigin(sender, c.Code, post)
}

// ApplyPost takes a post or reply another node hosts (Create or Update):
// from that node for one of its own members only, checked as a member's
// own post is (CheckForumPost, CheckForumReply); a reply to a hidden post
// is refused; an older version than the one held changes nothing. A reply
// to a post of this node's member is notified to them.
func (s *Service) ApplyPost(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	in := *a.Forum
	if err := s.checkOrigin(ctx, a.Host(), &in); err != nil {
		return err
	}
	if in.IsReply() {
		text, err := twinfed.CheckForumReply(in.Idea)
		if err != nil {
			return drop("forum reply %s: %s", in.ID, twinfed.ErrorMessage(err))
		}
		in.Idea = text
		in.Thread, in.Title, in.Subjects, in.AgeBands, in.Languages, in.Seeking, in.Months, in.Hidden = "", "", nil, nil, nil, nil, 0, false
	} else if err := twinfed.CheckForumPost(&in); err != nil {
		return drop("forum post %s: %v", in.ID, err)
	}
	old := s.Get(txn, in.ID)
	if old != nil && old.Version >= in.Version {
		return nil // an older or the same version, arriving late or again
	}
	if old != nil && old.InReplyTo != in.InReplyTo {
		return drop("forum post %s changes the post it replies to", in.ID)
	}
	var parent *twinfed.ForumPost
	if in.IsReply() {
		if parent = s.Get(txn, in.InReplyTo); parent != nil {
			if err := twinfed.CanReplyForumPost(parent); err != nil {
				return drop("forum reply %s: %s", in.ID, twinfed.ErrorMessage(err))
			}
		}
	}
	if err := s.put(txn, old, &in); err != nil {
		return err
	}
	if parent != nil && old == nil {
		return s.notifyReply(txn, parent, &in)
	}
	return nil
}

// ApplyDelete takes the deletion of a post or reply another node hosts
// (the same-origin rule has checked that the object is the sender's).
func (s *Service) ApplyDelete(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	post := s.Get(txn, a.Object)
	if post == nil {
		return nil
	}
	if s.isLocal(post.ID) || twinfed.URLHost(post.ID) != a.Host() {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "forum post %s is not hosted by %s", post.ID, a.Host())
	}
	return s.remove(txn, post)
}

// ApplyFlag takes a report of a post of this node's member made on
// another node.
func (s *Service) ApplyFlag(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	post := s.Get(txn, a.Object)
	if post == nil || !s.isLocal(post.ID) {
		return drop("Flag of %s: not a forum post of this node", a.Object)
	}
	reason := a.Summary
	if utf8.RuneCountInString(reason) > ReportMax {
		reason = string([]rune(reason)[:ReportMax])
	}
	return s.putReport(txn, &Report{ID: store.NewID(), Post: post.ID, Reporter: a.Actor, Reason: reason, At: s.now().UTC()})
}

// InboxRoutes are the partner forum's claims on activities from other
// nodes (node/inbound), asked before every other feature's but the
// TwinSpaces' and the training's: an activity that carries a forum post,
// every Flag (a report of a post), and the Delete of a post this node
// holds, which names it (a forum post's id is no other feature's object).
// A Create or Update is applied by ApplyPost, a Delete by ApplyDelete, a
// Flag by ApplyFlag; any other type is refused.
func (s *Service) InboxRoutes() []inbound.Route {
	mine := func(txn *badger.Txn, a *twinfed.Activity) bool {
		return a.Forum != nil || a.Type == twinfed.ActivityFlag || (a.Type == twinfed.ActivityDelete && a.Object != a.Actor && s.Has(txn, a.Object))
	}
	return []inbound.Route{
		{Name: "forum.ApplyPost", Types: []twinfed.ActivityType{twinfed.ActivityCreate, twinfed.ActivityUpdate}, Claims: mine, Apply: s.ApplyPost},
		{Name: "forum.ApplyDelete", Types: []twinfed.ActivityType{twinfed.ActivityDelete}, Claims: mine, Apply: s.ApplyDelete},
		{Name: "forum.ApplyFlag", Types: []twinfed.ActivityType{twinfed.ActivityFlag}, Claims: mine, Apply: s.ApplyFlag},
		{Name: "forum", Claims: mine},
	}
}
