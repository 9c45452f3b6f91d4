package discuss

import (
	"context"
	"html"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/twinspace"
)

// Limits of what a writer sends.
const (
	MaxTitle     = 200    // characters of a discussion's or thread's title
	MaxText      = 10_000 // characters of a description or a message
	MaxMaterials = 10     // materials attached to one reply
	PageSize     = 50     // replies on one page of a thread
)

// The field errors (catalogue keys: the English text is the id).
const (
	errTitle       = "Give a title of at most 200 characters."
	errText        = "Write a message of at most 10,000 characters."
	errDescription = "Write a description of at most 10,000 characters."
	errQuote       = "The quoted reply is not in this thread."
	errMaterials   = "Attach at most 10 materials of this TwinSpace."
)

// Service is the TwinSpace's forum on the TwinSpace core: discussions,
// their threads and the threads' replies, each a replicated object of the
// core, and each reader's unread markers on their own node. It is safe
// for concurrent use.
type Service struct {
	ts *twinspace.Service
}

// New returns the forum on ts, with its kinds (discussion, thread, reply)
// registered.
func New(ts *twinspace.Service) *Service {
	s := &Service{ts: ts}
	ts.Register(twinfed.SpaceKindDiscussion, twinspace.Kind{Create: twinfed.SpaceOpenDiscussion, Check: checkDiscussion, Applied: keepParent})
	ts.Register(twinfed.SpaceKindThread, twinspace.Kind{Create: twinfed.SpaceOpenThread, Check: checkThread, Applied: keepParent})
	ts.Register(twinfed.SpaceKindReply, twinspace.Kind{Create: twinfed.SpaceReply, Check: checkReply, Applied: replyApplied})
	return s
}

// Input is what a writer sends for a discussion (Title, Text: its
// description), a thread (Title, Text: its first message) or a reply
// (Text, and optionally the quoted reply's id and materials' ids).
type Input struct {
	Title     string   `json:"title,omitempty"`
	Text      string   `json:"text"`
	Quote     string   `json:"quote,omitempty"`
	Materials []string `json:"materials,omitempty"`
}

// validate checks in for an object of kind: what the writer is told, field
// by field, before anything is written.
func validate(kind twinfed.SpaceKind, in *Input) error {
	in.Title, in.Text = strings.TrimSpace(in.Title), strings.TrimSpace(in.Text)
	fields := map[string]string{}
	if kind != twinfed.SpaceKindReply && (in.Title == "" || utf8.RuneCountInString(in.Title) > MaxTitle) {
		fields["title"] = errTitle
	}
	switch n := utf8.RuneCountInString(in.Text); {
	case kind == twinfed.SpaceKindDiscussion && n > MaxText:
		fields["text"] = errDescription
	case kind != twinfed.SpaceKindDiscussion && (n == 0 || n > MaxText):
		fields["text"] = errText
	}
	if len(in.Materials) > MaxMaterials {
		fields["materials"] = errMaterials
	}
	if len(fields) == 0 {
		return nil
	}
	msg := errText
	for _, f := range []string{"materials", "text", "title"} {
		if m, ok := fields[f]; ok {
			msg = m
		}
	}
	return &twinfed.Error{Code: twinfed.EINVALID, Message: msg, Fields: fields}
}

// check is what every node requires of a forum object before storing it,
// whoever wrote it: the text within bounds, its HTML made here from the
// plain text (never taken from the sender).
func check(o *twinfed.SpaceObject) error {
	text := strings.TrimSpace(o.Fields["text"])
	o.Title = strings.TrimSpace(o.Title)
	if utf8.RuneCountInString(o.Title) > MaxTitle || utf8.RuneCountInString(text) > MaxText {
		return twinfed.Errorf(twinfed.EINVALID, "forum object %s is too long", o.ID)
	}
	if o.Fields == nil {
		o.Fields = map[string]string{}
	}
	o.Fields["text"], o.Content, o.Public = text, TextHTML(text), false
	return nil
}

func checkDiscussion(o *twinfed.SpaceObject) error {
	if o.Parent != "" || strings.TrimSpace(o.Title) == "" {
		return twinfed.Errorf(twinfed.EINVALID, "discussion %s needs a title and no parent", o.ID)
	}
	return check(o)
}

func checkThread(o *twinfed.SpaceObject) error {
	if o.Parent == "" || strings.TrimSpace(o.Title) == "" || strings.TrimSpace(o.Fields["text"]) == "" {
		return twinfed.Errorf(twinfed.EINVALID, "thread %s needs its discussion, a title and a message", o.ID)
	}
	return check(o)
}

func checkReply(o *twinfed.SpaceObject) error {
	if o.Parent == "" || o.Fields["discussion"] == "" || strings.TrimSpace(o.Fields["text"]) == "" {
		return twinfed.Errorf(twinfed.EINVALID, "reply %s needs its thread, its discussion and a message", o.ID)
	}
	if q := o.Fields["quote"]; len(q) > 1000 || strings.ContainsAny(q, " \t\n,") {
		return twinfed.Errorf(twinfed.EINVALID, "reply %s quotes a malformed id", o.ID)
	}
	if m := o.Fields["materials"]; m != "" {
		ids := strings.Split(m, ",")
		if len(ids) > MaxMaterials || len(m) > MaxMaterials*1000 {
			return twinfed.Errorf(twinfed.EINVALID, "reply %s attaches too many materials", o.ID)
		}
		for _, id := range ids {
			if id == "" || strings.ContainsAny(id, " \t\n") {
				return twinfed.Errorf(twinfed.EINVALID, "reply %s attaches a malformed id", o.ID)
			}
		}
	}
	o.Title = ""
	return check(o)
}

// keepParent refuses a change that moves a discussion or a thread.
func keepParent(_ *badger.Txn, old, o *twinfed.SpaceObject) error {
	if old != nil && old.Parent != o.Parent {
		return twinfed.Errorf(twinfed.EINVALID, "forum object %s cannot move", o.ID)
	}
	return nil
}

// summary is a thread's summary, kept on every node as its replies are
// applied, so that the forum's pages count without reading the replies.
type summary struct {
	Replies int       `json:"replies"` // live replies
	Last    time.Time `json:"last"`    // the newest reply's creation
}

func summaryKey(project, thread string) string {
	return store.PrefixSpaceForumThread + project + " " + thread
}

func readSummary(txn *badger.Txn, project, thread string) (summary, error) {
	var sm summary
	err := store.GetJSON(txn, summaryKey(project, thread), &sm)
	if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
		err = nil
	}
	return sm, err
}

// replyApplied keeps the thread's summary as a reply is created, deleted
// or restored; a reply never moves.
func replyApplied(txn *badger.Txn, old, o *twinfed.SpaceObject) error {
	if old != nil && (old.Parent != o.Parent || old.Fields["discussion"] != o.Fields["discussion"]) {
		return twinfed.Errorf(twinfed.EINVALID, "reply %s cannot move", o.ID)
	}
	was, is := old != nil && !old.Deleted, !o.Deleted
	if was == is && !(is && old == nil) {
		return nil
	}
	sm, err := readSummary(txn, o.Project, o.Parent)
	if err != nil {
		return err
	}
	switch {
	case is && !was:
		sm.Replies++
		if o.Created.After(sm.Last) {
			sm.Last = o.Created
		}
	case was && !is:
		sm.Replies = max(0, sm.Replies-1)
	}
	return store.SetJSON(txn, summaryKey(o.Project, o.Parent), sm)
}

var blankLine = regexp.MustCompile(`\n[ \t]*\n`)

// TextHTML turns plain text into safe HTML: paragraphs at blank lines,
// line breaks within them, everything else escaped.
func TextHTML(text string) string {
	text = strings.ReplaceAll(strings.TrimSpace(text), "\r\n", "\n")
	var b strings.Builder
	for _, para := range blankLine.Split(text, -1) {
		if para = strings.TrimSpace(para); para == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return b.String()
}

// snippet is the beginning of a text, for a quote.
func snippet(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return text
}

// live returns the object id of kind in project if it is there and not
// deleted, nor beneath a deleted discussion or thread.
func live(txn *badger.Txn, project, id string, kind twinfed.SpaceKind) (*twinfed.SpaceObject, error) {
	gone := twinfed.Errorf(twinfed.ENOTFOUND, "This discussion or thread does not exist (or no longer does).")
	if id == "" {
		return nil, gone
	}
	o, err := twinspace.Object(txn, project, id)
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil, gone
		}
		return nil, err
	}
	if o.Kind != kind || o.Deleted {
		return nil, gone
	}
	switch kind {
	case twinfed.SpaceKindThread:
		if _, err := live(txn, project, o.Parent, twinfed.SpaceKindDiscussion); err != nil {
			return nil, err
		}
	case twinfed.SpaceKindReply:
		if _, err := live(txn, project, o.Parent, twinfed.SpaceKindThread); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// open returns project's TwinSpace as p sees it, requiring action.
func (s *Service) open(ctx context.Context, p *twinfed.Principal, project string, action twinfed.SpaceAction) (*twinspace.View, error) {
	v, err := s.ts.OpenView(ctx, p, project, false)
	if err != nil {
		return nil, err
	}
	return v, v.Require(action)
}

// OpenDiscussion opens a discussion (teachers: SpaceOpenDiscussion).
func (s *Service) OpenDiscussion(ctx context.Context, p *twinfed.Principal, project string, in Input) (*twinfed.SpaceObject, error) {
	if _, err := s.open(ctx, p, project, twinfed.SpaceOpenDiscussion); err != nil {
		return nil, err
	}
	if err := validate(twinfed.SpaceKindDiscussion, &in); err != nil {
		return nil, err
	}
	return s.ts.Edit(ctx, p, project, twinfed.SpaceKindDiscussion, "", func(v *twinspace.View, o *twinfed.SpaceObject) error {
		o.Title, o.Fields = in.Title, map[string]string{"text": in.Text}
		return nil
	})
}

// OpenThread opens a thread in a discussion with its first message
// (teachers and pupil administrators: SpaceOpenThread).
func (s *Service) OpenThread(ctx context.Context, p *twinfed.Principal, project, discussion string, in Input) (*twinfed.SpaceObject, error) {
	if _, err := s.open(ctx, p, project, twinfed.SpaceOpenThread); err != nil {
		return nil, err
	}
	if err := validate(twinfed.SpaceKindThread, &in); err != nil {
		return nil, err
	}
	if err := s.ts.Store().View(func(txn *badger.Txn) error {
		_, err := live(txn, project, discussion, twinfed.SpaceKindDiscussion)
		return err
	}); err != nil {
		return nil, err
	}
	return s.ts.Edit(ctx, p, project, twinfed.SpaceKindThread, "", func(v *twinspace.View, o *twinfed.SpaceObject) error {
		o.Parent, o.Title, o.Fields = discussion, in.Title, map[string]string{"text": in.Text}
		return nil
	})
}

// Reply answers in a thread (SpaceReply), quoting a reply of the same
// thread and attaching materials of the TwinSpace when asked.
func (s *Service) Reply(ctx context.Context, p *twinfed.Principal, project, thread string, in Input) (*twinfed.SpaceObject, error) {
	if _, err := s.open(ctx, p, project, twinfed.SpaceReply); err != nil {
		return nil, err
	}
	in.Quote = strings.TrimSpace(in.Quote)
	var ids []string
	for _, m := range in.Materials {
		if m = strings.TrimSpace(m); m != "" && !contains(ids, m) {
			ids = append(ids, m)
		}
	}
	in.Materials = ids
	if err := validate(twinfed.SpaceKindReply, &in); err != nil {
		return nil, err
	}
	var t *twinfed.SpaceObject
	caughtUp := false // the writer had read every reply: theirs will not be new to them
	actor := s.ts.ActorOf(p)
	err := s.ts.Store().View(func(txn *badger.Txn) error {
		var err error
		if t, err = live(txn, project, thread, twinfed.SpaceKindThread); err != nil {
			return err
		}
		sm, err := readSummary(txn, project, thread)
		if err != nil {
			return err
		}
		caughtUp = !sm.Last.After(readAt(txn, actor, thread))
		if in.Quote != "" {
			if q, err := live(txn, project, in.Quote, twinfed.SpaceKindReply); err != nil || q.Parent != thread {
				return &twinfed.Error{Code: twinfed.EINVALID, Message: errQuote, Fields: map[string]string{"quote": errQuote}}
			}
		}
		for _, id := range in.Materials {
			if m, err := twinspace.Object(txn, project, id); err != nil || m.Kind != twinfed.SpaceKindMaterial || m.Deleted {
				return &twinfed.Error{Code: twinfed.EINVALID, Message: errMaterials, Fields: map[string]string{"materials": errMaterials}}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	o, err := s.ts.Edit(ctx, p, project, twinfed.SpaceKindReply, "", func(v *twinspace.View, o *twinfed.SpaceObject) error {
		o.Parent = thread
		o.Fields = map[string]string{"text": in.Text, "discussion": t.Parent}
		if in.Quote != "" {
			o.Fields["quote"] = in.Quote
		}
		if len(in.Materials) > 0 {
			o.Fields["materials"] = strings.Join(in.Materials, ",")
		}
		return nil
	})
	if err == nil && caughtUp {
		err = s.markRead(o.Author, thread, o.Created)
	}
	return o, err
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// kindOf returns the live forum object id of project, or ENOTFOUND.
func (s *Service) kindOf(project, id string) (*twinfed.SpaceObject, error) {
	var o *twinfed.SpaceObject
	err := s.ts.Store().View(func(txn *badger.Txn) error {
		x, err := twinspace.Object(txn, project, id)
		if err != nil {
			return err
		}
		switch x.Kind {
		case twinfed.SpaceKindDiscussion, twinfed.SpaceKindThread, twinfed.SpaceKindReply:
			o, err = live(txn, project, id, x.Kind)
			return err
		}
		return twinfed.Errorf(twinfed.ENOTFOUND, "This discussion or thread does not exist (or no longer does).")
	})
	return o, err
}

// Change edits a discussion, a thread or a reply: its title (not a
// reply's) and its text; the writer's own (SpaceEditOwn) or, for
// administrators, anyone's (SpaceManageOthers).
func (s *Service) Change(ctx context.Context, p *twinfed.Principal, project, id string, in Input) (*twinfed.SpaceObject, error) {
	old, err := s.kindOf(project, id)
	if err != nil {
		return nil, err
	}
	v, err := s.ts.OpenView(ctx, p, project, false)
	if err != nil {
		return nil, err
	}
	need := twinfed.SpaceManageOthers
	if old.Author == v.Actor {
		need = twinfed.SpaceEditOwn
	}
	if err := v.Require(need); err != nil {
		return nil, err
	}
	in.Materials = nil
	if err := validate(old.Kind, &in); err != nil {
		return nil, err
	}
	return s.ts.Edit(ctx, p, project, old.Kind, id, func(v *twinspace.View, o *twinfed.SpaceObject) error {
		if o.Deleted {
			return twinfed.Errorf(twinfed.ENOTFOUND, "This discussion or thread does not exist (or no longer does).")
		}
		if o.Kind != twinfed.SpaceKindReply {
			o.Title = in.Title
		}
		o.Fields["text"] = in.Text
		return nil
	})
}

// Delete removes a discussion, a thread or a reply (the writer's own, or
// anyone's for administrators); what was beneath a discussion or a thread
// is no longer shown.
func (s *Service) Delete(ctx context.Context, p *twinfed.Principal, project, id string) (*twinfed.SpaceObject, error) {
	old, err := s.kindOf(project, id)
	if err != nil {
		return nil, err
	}
	return s.ts.Edit(ctx, p, project, old.Kind, id, func(v *twinspace.View, o *twinfed.SpaceObject) error {
		if o.Deleted {
			return twinfed.Errorf(twinfed.ENOTFOUND, "This discussion or thread does not exist (or no longer does).")
		}
		o.Deleted = true
		return nil
	})
}

// The unread markers: when each reader last read each thread, on the
// reader's own node, never replicated.

func readKey(actor, thread string) string {
	return store.PrefixSpaceForumRead + actor + " " + thread
}

// readAt returns when actor last read thread (zero: never).
func readAt(txn *badger.Txn, actor, thread string) time.Time {
	s, ok, err := store.GetString(txn, readKey(actor, thread))
	if err != nil || !ok {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// markRead records that actor has read thread up to at (never moving the
// marker back).
func (s *Service) markRead(actor, thread string, at time.Time) error {
	if actor == "" || at.IsZero() {
		return nil
	}
	var behind bool
	if err := s.ts.Store().View(func(txn *badger.Txn) error {
		behind = at.After(readAt(txn, actor, thread))
		return nil
	}); err != nil || !behind {
		return err
	}
	return s.ts.Store().Update(func(txn *badger.Txn) error {
		if !at.After(readAt(txn, actor, thread)) {
			return nil
		}
		return txn.Set([]byte(readKey(actor, thread)), []byte(at.UTC().Format(time.RFC3339Nano)))
	})
}

// unread counts the replies of thread created after the reader's marker:
// none when the newest reply is older, all when never read, else the
// index's keys after the marker (without reading the replies).
func unread(txn *badger.Txn, project, thread string, sm summary, read time.Time) int {
	switch {
	case sm.Replies == 0 || !sm.Last.After(read):
		return 0
	case read.IsZero():
		return sm.Replies
	}
	prefix := twinspace.IndexPrefix(project, twinfed.SpaceKindReply, thread)
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues, opts.Prefix = false, []byte(prefix)
	it := txn.NewIterator(opts)
	defer it.Close()
	n := 0
	// Index keys hold fixed-width times (twinspace.KeyTime): seek to the
	// marker and count what is newer.
	for it.Seek([]byte(prefix + twinspace.KeyTime(read))); it.Valid(); it.Next() {
		if createdOf(string(it.Item().Key()), prefix).After(read) {
			n++
		}
	}
	return min(n, sm.Replies)
}

// createdOf reads the creation time of an index key under prefix.
func createdOf(key, prefix string) time.Time {
	rest := strings.TrimPrefix(key, prefix)
	if i := strings.IndexByte(rest, ' '); i > 0 {
		rest = rest[:i]
	}
	t, _ := twinspace.ParseKeyTime(rest)
	return t
}
