package twinfed

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The partner-finding forum: teachers of every country post project ideas
// and find partners there. Each post lives on its author's node and every
// node keeps a replica; replies likewise. This file holds the forum's one
// set of rules: what a post is made of and its bounds, who may post, reply,
// hide, report and see.

// Forum threads besides the age bands' (whose ids are AgeBands' ids).
const (
	ForumNeighbourhood = "neighbourhood" // projects with the neighbourhood countries
	ForumErasmus       = "erasmus"       // Erasmus+ partnerships
)

// ForumThreads lists the forum's threads in the order they are shown: one
// per pupil age band, then the neighbourhood countries', then Erasmus+.
var ForumThreads = func() []string {
	var out []string
	for _, b := range AgeBands {
		out = append(out, b.ID)
	}
	return append(out, ForumNeighbourhood, ForumErasmus)
}()

// Bounds of a forum post and reply.
const (
	ForumTitleMax    = 120  // characters
	ForumIdeaMax     = 4000 // characters
	ForumReplyMax    = 2000 // characters
	ForumListMax     = 8    // subjects, languages, countries sought: at most this many each
	ForumDurationMin = 1    // months
	ForumDurationMax = 36   // months
)

// ForumPost is a post of the partner-finding forum, or a reply to one
// (InReplyTo set: only Idea, the reply's text, is then used). Its ID lives
// under the author's node, which hosts it; the other nodes keep a replica.
type ForumPost struct {
	ID         string   `json:"id"`
	Author     string   `json:"author"`  // actor URL
	Name       string   `json:"name"`    // the author's name when posted
	Country    string   `json:"country"` // the author's country (their node's)
	SchoolName string   `json:"school_name,omitempty"`
	Thread     string   `json:"thread,omitempty"` // one of ForumThreads
	Title      string   `json:"title,omitempty"`
	Subjects   []string `json:"subjects,omitempty"`  // subject ids
	AgeBands   []string `json:"age_bands,omitempty"` // AgeBands' ids
	Languages  []string `json:"languages,omitempty"` // ISO 639-1 codes of Languages
	Seeking    []string `json:"seeking,omitempty"`   // country codes of the partners sought
	Months     int      `json:"months,omitempty"`    // the project's duration
	Idea       string   `json:"idea"`                // plain text
	InReplyTo  string   `json:"in_reply_to,omitempty"`
	// Hidden is set by the author's agency: the post is then shown to
	// nobody but its author and that agency, and takes no reply.
	Hidden    bool      `json:"hidden,omitempty"`
	Version   int       `json:"version"` // raised by every change; a replica keeps the highest
	Published time.Time `json:"published"`
	Updated   time.Time `json:"updated"`
}

// IsReply reports whether p is a reply to a post.
func (p *ForumPost) IsReply() bool { return p.InReplyTo != "" }

// Forum messages: every message is also a catalogue message id.
const (
	msgForumTitle    = "Give your post a title of at most 120 characters."
	msgForumIdea     = "Describe your project idea in at most 4000 characters."
	msgForumReply    = "Write a reply of at most 2000 characters."
	msgForumThread   = "Choose a thread from the list."
	msgForumSubjects = "Choose from one to eight subjects from the list."
	msgForumBands    = "Choose at least one pupils' age band from the list."
	msgForumLangs    = "Choose from one to eight languages from the list."
	msgForumSeeking  = "Choose at most eight countries from the list."
	msgForumMonths   = "Give the project's duration in months, from 1 to 36."
)

// CheckForumPost normalises a post as a teacher writes it (text trimmed,
// lists sorted without repeats, subjects mapped to their ids, country codes
// upper-cased) and checks it: a title and an idea within their bounds, a
// thread of ForumThreads, one to eight known subjects and languages, at
// least one age band, at most eight known countries sought, a duration of
// 1 to 36 months. A reply is checked by CheckForumReply instead. It returns
// one EINVALID error naming every wrong field, or nil.
func CheckForumPost(p *ForumPost) error {
	f := map[string]string{}
	p.Title, p.Idea = strings.TrimSpace(p.Title), strings.TrimSpace(p.Idea)
	if n := utf8.RuneCountInString(p.Title); n == 0 || n > ForumTitleMax {
		f["title"] = msgForumTitle
	}
	if n := utf8.RuneCountInString(p.Idea); n == 0 || n > ForumIdeaMax {
		f["idea"] = msgForumIdea
	}
	if !slices.Contains(ForumThreads, p.Thread) {
		f["thread"] = msgForumThread
	}
	p.Subjects = tidy(SubjectIDs(p.Subjects), false)
	if !inList(p.Subjects, Subjects, 1) {
		f["subjects"] = msgForumSubjects
	}
	p.AgeBands = tidy(p.AgeBands, false)
	if len(p.AgeBands) == 0 || slices.ContainsFunc(p.AgeBands, func(b string) bool { _, ok := AgeBandByID(b); return !ok }) {
		f["age_bands"] = msgForumBands
	}
	p.Languages = tidy(p.Languages, false)
	if !inList(p.Languages, Languages, 1) {
		f["languages"] = msgForumLangs
	}
	p.Seeking = tidy(p.Seeking, true)
	if len(p.Seeking) > ForumListMax || slices.ContainsFunc(p.Seeking, func(c string) bool { return !ValidCountryCode(c) }) {
		f["seeking"] = msgForumSeeking
	}
	if p.Months < ForumDurationMin || p.Months > ForumDurationMax {
		f["months"] = msgForumMonths
	}
	if len(f) > 0 {
		return &Error{Code: EINVALID, Message: "Some fields need your attention.", Fields: f}
	}
	return nil
}

// CheckForumReply trims a reply's text and checks it: from 1 to
// ForumReplyMax characters. EINVALID on the field "text" otherwise.
func CheckForumReply(text string) (string, error) {
	text = strings.TrimSpace(text)
	if n := utf8.RuneCountInString(text); n == 0 || n > ForumReplyMax {
		return text, FieldError("text", msgForumReply)
	}
	return text, nil
}

// tidy trims, drops empty values and repeats, and sorts; upper upper-cases.
func tidy(list []string, upper bool) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if v = strings.TrimSpace(v); upper {
			v = strings.ToUpper(v)
		}
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// inList reports whether list has from least to ForumListMax values, all
// in known.
func inList(list, known []string, least int) bool {
	if len(list) < least || len(list) > ForumListMax {
		return false
	}
	return !slices.ContainsFunc(list, func(v string) bool { return !slices.Contains(known, v) })
}

// CanPostInForum is who may post and reply in the forum, and report a
// post: a validated member. EUNAUTHORIZED without a principal, EFORBIDDEN
// for anyone else (agency staff included: they moderate).
func CanPostInForum(p *Principal) error {
	if p == nil {
		return Errorf(EUNAUTHORIZED, "Log in first.")
	}
	if p.Role != RoleMember || p.Status != StatusValidated {
		return Errorf(EFORBIDDEN, "The partner forum opens once the agency has validated your registration.")
	}
	return nil
}

// CanReadForum is who may read the forum: validated members and agency
// staff. Same errors as CanPostInForum.
func CanReadForum(p *Principal) error {
	if p.IsAgency() {
		return nil
	}
	return CanPostInForum(p)
}

// CanHideForumPost is the one moderation rule: only the agency of the
// post's author's own country (nodeCountry, the node of the agency staff
// asking) may hide or show again a post. EFORBIDDEN otherwise.
func CanHideForumPost(p *Principal, post *ForumPost, nodeCountry string) error {
	if !p.IsAgency() || post.Country != nodeCountry {
		return Errorf(EFORBIDDEN, "Only the author's own agency may hide or show a post.")
	}
	return nil
}

// ForumPostVisible reports whether viewer (a reader CanReadForum lets in)
// sees post: every post not hidden; a hidden one only its author
// (viewerActor) and its author's agency (viewer agency staff of the
// author's country, nodeCountry).
func ForumPostVisible(viewer *Principal, viewerActor string, post *ForumPost, nodeCountry string) bool {
	if !post.Hidden {
		return true
	}
	return post.Author == viewerActor || CanHideForumPost(viewer, post, nodeCountry) == nil
}

// CanReplyForumPost is the rule for a reply: the post exists, is not a
// reply itself, and is not hidden. EINVALID otherwise.
func CanReplyForumPost(post *ForumPost) error {
	if post.IsReply() {
		return Errorf(EINVALID, "Reply to the post itself, not to a reply.")
	}
	if post.Hidden {
		return Errorf(EINVALID, "This post has been hidden by its author's agency; it takes no reply.")
	}
	return nil
}

// CheckForumOrigin is the rule on a post or reply another node sends: it
// must be hosted by the sending node (sender, its host) for one of that
// node's members (author and id under it) of that node's country
// (country), and carry a version. EFORBIDDEN or EINVALID saying what is
// wrong otherwise.
func CheckForumOrigin(sender, country string, post *ForumPost) error {
	if URLHost(post.ID) != sender || URLHost(post.Author) != sender {
		return Errorf(EFORBIDDEN, "forum post %s by %s is not hosted by the sending node %s", post.ID, post.Author, sender)
	}
	if post.Country != country {
		return Errorf(EFORBIDDEN, "forum post %s claims country %s, its node is %s's", post.ID, post.Country, country)
	}
	if post.Version < 1 {
		return Errorf(EINVALID, "forum post %s has no version", post.ID)
	}
	return nil
}
