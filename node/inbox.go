package node

import (
	"context"
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventfiles"
	"github.com/twinfed/twinfed/node/event/eventforum"
	"github.com/twinfed/twinfed/node/feed"
	"github.com/twinfed/twinfed/node/forum"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/twinspace"
)

// The node's twinfed.InboxHandler. The federation calls HandleActivity once
// per verified activity from another node (signature, registry key and same
// origin already checked); the inbox routes it to the feature that owns it
// by its type and the kind of object it acts on, and applies it in one
// transaction that also records its id, so that an activity handed over
// again (the federation does after a crash between applying an activity and
// marking it done) changes nothing and sends nothing. Actions of this node's
// own members never come this way: they make their effect on other members
// of this node themselves, with the features' own functions.

var _ twinfed.InboxHandler = (*Service)(nil)

// The activities from other nodes this node applied are recorded under
// store.PrefixApplied: ap/<activity id> → the time it was applied (RFC
// 3339, 20 bytes), about a hundred bytes with the key. They are kept, not
// pruned: a replay can come at any time, and the federation keeps its own
// record of every incoming activity, raw body and headers included, which
// is many times larger. An activity dropped (EINVALID, EFORBIDDEN) is not
// recorded.

// objectKind is what an incoming activity acts on, as far as routing goes.
type objectKind string

// Object kinds, decided by kindOf.
const (
	kindActor         objectKind = "actor"         // a Person: the member followed, or the sender deleting itself
	kindProfile       objectKind = "profile"       // a Person's public profile, embedded
	kindRequest       objectKind = "request"       // a Follow (contact request or follow) answered or undone
	kindNote          objectKind = "note"          // a direct message to a member of this node
	kindProject       objectKind = "project"       // a project (Group), embedded or targeted
	kindInvitation    objectKind = "invitation"    // an invitation into a project, answered by the invitee
	kindParticipation objectKind = "participation" // a partner's participation, decided by their agency
	kindSpaceObject   objectKind = "twinspace"     // a TwinSpace object (a page, a file's record, a reply…), embedded
	kindForumPost     objectKind = "forum-post"    // a partner-forum post or reply
	kindWallPost      objectKind = "wall-post"     // a member's wall post (node/feed)
	kindWallReply     objectKind = "wall-reply"    // a reply to a wall post kept here
	kindWallLikes     objectKind = "wall-likes"    // the like count of a wall post kept here, from its author's node
	kindEvent         objectKind = "event"         // an event (Event), embedded
	kindBooking       objectKind = "booking"       // a booking of an event: Join, Leave, and the home node's answer
	kindTraining      objectKind = "training"      // an agency's training offer (Training), embedded
	kindEventPost     objectKind = "event-post"    // a message of an event's forum (node/event/eventforum)
	kindEventFile     objectKind = "event-file"    // a file of an event's archive (node/event/eventfiles)
)

// inboxRoute is an activity type and the kind of object it acts on.
type inboxRoute struct {
	typ  twinfed.ActivityType
	kind objectKind
}

// inboxHandler applies one activity within txn. It returns EINVALID or
// EFORBIDDEN for one that can never apply.
type inboxHandler func(s *Service, ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error

// inboxRoutes is who handles what: every activity from another node that
// this node takes is in this table.
var inboxRoutes = map[inboxRoute]inboxHandler{
	// Contacts and follows (social).
	{twinfed.ActivityFollow, kindActor}:   toSocial((*social.Service).ApplyFollow),
	{twinfed.ActivityAccept, kindRequest}: toSocial((*social.Service).ApplyAnswer),
	{twinfed.ActivityReject, kindRequest}: toSocial((*social.Service).ApplyAnswer),
	{twinfed.ActivityUndo, kindRequest}:   toSocial((*social.Service).ApplyUndo),
	// Direct messages.
	{twinfed.ActivityCreate, kindNote}: toSocial((*social.Service).ApplyNote),
	// The directory: profiles of other nodes' members.
	{twinfed.ActivityUpdate, kindProfile}: inDirectory((*directory.Service).ApplyProfileUpdate),
	{twinfed.ActivityDelete, kindActor}:   inDirectory((*directory.Service).ApplyActorDelete),
	// Projects (package project).
	{twinfed.ActivityInvite, kindProject}:       toProjects((*project.Service).ApplyInvite),
	{twinfed.ActivityAccept, kindInvitation}:    toProjects((*project.Service).ApplyInvitationAnswer),
	{twinfed.ActivityReject, kindInvitation}:    toProjects((*project.Service).ApplyInvitationAnswer),
	{twinfed.ActivityAccept, kindParticipation}: toProjects((*project.Service).ApplyDecision),
	{twinfed.ActivityReject, kindParticipation}: toProjects((*project.Service).ApplyDecision),
	{twinfed.ActivityUpdate, kindProject}:       toProjects((*project.Service).ApplyProjectUpdate),
	{twinfed.ActivityDelete, kindProject}:       toProjects((*project.Service).ApplyProjectDelete),
	// TwinSpace objects (package twinspace): a member's write to the
	// project's Group on its home node, and the Group's Announce.
	{twinfed.ActivityCreate, kindSpaceObject}:   toTwinSpaces((*twinspace.Service).ApplyWrite),
	{twinfed.ActivityUpdate, kindSpaceObject}:   toTwinSpaces((*twinspace.Service).ApplyWrite),
	{twinfed.ActivityDelete, kindSpaceObject}:   toTwinSpaces((*twinspace.Service).ApplyWrite),
	{twinfed.ActivityAnnounce, kindSpaceObject}: toTwinSpaces((*twinspace.Service).ApplyAnnounced),
	// The partner-finding forum (package forum).
	{twinfed.ActivityCreate, kindForumPost}: toForum((*forum.Service).ApplyPost),
	{twinfed.ActivityUpdate, kindForumPost}: toForum((*forum.Service).ApplyPost),
	{twinfed.ActivityDelete, kindForumPost}: toForum((*forum.Service).ApplyDelete),
	{twinfed.ActivityFlag, kindForumPost}:   toForum((*forum.Service).ApplyFlag),
	// Wall posts, their replies and likes (package feed).
	{twinfed.ActivityCreate, kindWallPost}:    toFeed((*feed.Service).ApplyPost),
	{twinfed.ActivityUpdate, kindWallPost}:    toFeed((*feed.Service).ApplyPostUpdate),
	{twinfed.ActivityDelete, kindWallPost}:    toFeed((*feed.Service).ApplyPostDelete),
	{twinfed.ActivityLike, kindWallPost}:      toFeed((*feed.Service).ApplyLike),
	{twinfed.ActivityUndo, kindWallPost}:      toFeed((*feed.Service).ApplyUnlike),
	{twinfed.ActivityUpdate, kindWallLikes}:   toFeed((*feed.Service).ApplyLikes),
	{twinfed.ActivityDelete, kindWallReply}:   toFeed((*feed.Service).ApplyReplyDelete),
	{twinfed.ActivityCreate, kindWallReply}:   toFeed((*feed.Service).ApplyReply),
	{twinfed.ActivityAnnounce, kindWallReply}: toFeed((*feed.Service).ApplyReply),
	// Events (package event).
	{twinfed.ActivityCreate, kindEvent}:       toEvents((*event.Service).ApplyEvent),
	{twinfed.ActivityUpdate, kindEvent}:       toEvents((*event.Service).ApplyEvent),
	{twinfed.ActivityDelete, kindEvent}:       toEvents((*event.Service).ApplyEvent),
	{twinfed.ActivityJoin, kindBooking}:       toEvents((*event.Service).ApplyJoin),
	{twinfed.ActivityLeave, kindBooking}:      toEvents((*event.Service).ApplyLeave),
	{twinfed.ActivityAccept, kindBooking}:     applyBookingAnswer,
	{twinfed.ActivityReject, kindBooking}:     toEvents((*event.Service).ApplyAnswer),
	{twinfed.ActivityCreate, kindEventPost}:   toEventForum((*eventforum.Service).ApplyCreate),
	{twinfed.ActivityAnnounce, kindEventPost}: toEventForum((*eventforum.Service).ApplyAnnounce),
	{twinfed.ActivityCreate, kindEventFile}:   toEventFiles((*eventfiles.Service).ApplyCreate),
	{twinfed.ActivityAnnounce, kindEventFile}: toEventFiles((*eventfiles.Service).ApplyAnnounce),
	{twinfed.ActivityDelete, kindEventFile}:   toEventFiles((*eventfiles.Service).ApplyDelete),
	{twinfed.ActivityUpdate, kindEventPost}:   toEventForum((*eventforum.Service).ApplyChange),
	{twinfed.ActivityDelete, kindEventPost}:   toEventForum((*eventforum.Service).ApplyChange),
	// Professional development (package training).
	{twinfed.ActivityCreate, kindTraining}: applyTraining,
	{twinfed.ActivityUpdate, kindTraining}: applyTraining,
}

// applyBookingAnswer takes the home node's answer to a booking; a member
// of this node confirmed catches up on the event's forum and files.
func applyBookingAnswer(s *Service, ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	if err := s.ev.Events.ApplyAnswer(ctx, txn, a); err != nil {
		return err
	}
	return s.ev.Forum.OnAnswer(txn, a)
}

// toEventForum routes to a handler of eventforum.Service.
var toEventForum = via(func(s *Service) *eventforum.Service { return s.ev.Forum })

// toEventFiles routes to a handler of eventfiles.Service.
var toEventFiles = via(func(s *Service) *eventfiles.Service { return s.ev.Files })

// toEvents routes to a handler of event.Service.
var toEvents = via(func(s *Service) *event.Service { return s.ev.Events })

// featureHandler is a feature's handler of an inbound activity.
type featureHandler[F any] func(f F, ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error

// via returns what makes rows of the table from the handlers of one
// feature, whose service on the node of returns.
func via[F any](of func(*Service) F) func(featureHandler[F]) inboxHandler {
	return func(h featureHandler[F]) inboxHandler {
		return func(s *Service, ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
			return h(of(s), ctx, txn, a)
		}
	}
}

// viaTx is via for handlers that take no context.
func viaTx[F any](of func(*Service) F) func(func(F, *badger.Txn, *twinfed.Activity) error) inboxHandler {
	return func(h func(F, *badger.Txn, *twinfed.Activity) error) inboxHandler {
		return func(s *Service, _ context.Context, txn *badger.Txn, a *twinfed.Activity) error {
			return h(of(s), txn, a)
		}
	}
}

// toProjects routes to a handler of project.Service.
var toProjects = via(func(s *Service) *project.Service { return s.projects })

// toTwinSpaces routes to a handler of twinspace.Service.
var toTwinSpaces = via(func(s *Service) *twinspace.Service { return s.twinspaces.Core })

// kindOf decides what a acts on from its typed content and from what this
// node holds; "" when nothing here could own it.
func (s *Service) kindOf(txn *badger.Txn, a *twinfed.Activity) objectKind {
	if a.Space != nil {
		return kindSpaceObject
	}
	if a.Training != nil && (a.Type == twinfed.ActivityCreate || a.Type == twinfed.ActivityUpdate) {
		return kindTraining
	}
	if a.Forum != nil || a.Type == twinfed.ActivityFlag || (a.Type == twinfed.ActivityDelete && a.Object != a.Actor && s.forum.Has(txn, a.Object)) {
		return kindForumPost
	}
	switch a.Type {
	case twinfed.ActivityFollow:
		return kindActor
	case twinfed.ActivityUndo:
		if a.Target != "" && s.feed.Has(txn, a.Target) { // an unlike: the post is the target
			return kindWallPost
		}
		return kindRequest
	case twinfed.ActivityJoin, twinfed.ActivityLeave:
		if s.ev.Events.Has(txn, a.Object) {
			return kindBooking
		}
	case twinfed.ActivityAccept, twinfed.ActivityReject:
		switch {
		case a.Target != "" && s.ev.Events.Has(txn, a.Target):
			return kindBooking
		case a.Target == "":
			return kindRequest
		case a.Actor == project.AgencyOf(a.Actor): // the Service actor of a node: its agency
			return kindParticipation
		default:
			return kindInvitation
		}
	case twinfed.ActivityInvite:
		if a.Project != nil || a.Target != "" {
			return kindProject
		}
	case twinfed.ActivityCreate:
		if a.Event != nil {
			return kindEvent
		}
		if a.Note == nil {
			return ""
		}
		if s.ev.Files.IsFile(txn, a.Note) {
			return kindEventFile
		}
		if s.ev.Forum.IsPost(txn, a.Note) {
			return kindEventPost
		}
		if feed.IsWallPost(a.Note) {
			return kindWallPost
		}
		if s.feed.Has(txn, a.Note.InReplyTo) {
			return kindWallReply
		}
		return kindNote
	case twinfed.ActivityLike:
		return kindWallPost
	case twinfed.ActivityAnnounce:
		if s.ev.Files.IsFile(txn, a.Note) {
			return kindEventFile
		}
		if s.ev.Forum.IsPost(txn, a.Note) {
			return kindEventPost
		}
		if a.Note != nil && s.feed.Has(txn, a.Note.InReplyTo) {
			return kindWallReply
		}
	case twinfed.ActivityUpdate:
		switch {
		case a.Likes != nil:
			if s.feed.Has(txn, a.Object) {
				return kindWallLikes
			}
		case s.ev.Files.IsFile(txn, a.Note): // a file's note also answers its event
			return kindEventFile
		case s.ev.Forum.IsPost(txn, a.Note):
			return kindEventPost
		case feed.IsWallPost(a.Note):
			return kindWallPost
		case a.Event != nil:
			return kindEvent
		case a.Project != nil:
			return kindProject
		case a.Profile != nil:
			return kindProfile
		}
	case twinfed.ActivityDelete:
		switch {
		case s.ev.Files.IsFile(txn, a.Note):
			return kindEventFile
		case s.ev.Forum.IsPost(txn, a.Note):
			return kindEventPost
		case a.Event != nil: // a cancelled event
			return kindEvent
		case a.Project != nil:
			return kindProject
		case a.Object == a.Actor:
			return kindActor
		case a.Target != "" && s.ev.Files.Has(txn, a.Object):
			return kindEventFile
		case a.Target != "" && s.feed.Has(txn, a.Target): // a reply's deletion: the post is the target
			return kindWallReply
		case s.feed.Has(txn, a.Object):
			return kindWallPost
		}
	}
	return ""
}

// HandleActivity applies an activity from another node, once: an id applied
// before is a no-op. It returns EINVALID or EFORBIDDEN for one that can
// never apply (the federation then drops it with a log line, and nothing
// is recorded); other errors are retried.
func (s *Service) HandleActivity(ctx context.Context, a *twinfed.Activity) error {
	if a.ID == "" {
		return twinfed.Errorf(twinfed.EINVALID, "%s activity without an id", a.Type)
	}
	if a.Type == twinfed.ActivityUpdate && a.Profile != nil {
		if err := s.dir.CheckProfileOrigin(ctx, a); err != nil {
			return err
		}
	}
	// A transaction that conflicted with a concurrent one is run again at
	// once rather than handed back to the federation's retry backoff.
	var err error
	for range 100 {
		if err = s.apply(ctx, a); !errors.Is(err, badger.ErrConflict) {
			break
		}
	}
	if err != nil {
		return err
	}
	// The handlers' work for the outbox. The directory's indexer is woken
	// by the directory's own writes (directory.Service.Put, Remove), not
	// by every activity: each wake walks its queue of markers.
	s.acts.Notify()
	return nil
}

// apply runs a's handler in one transaction that also records its id. The
// Join and Leave of an event of this node run in the event's single writer,
// which decides its bookings in batches (event.Service.Serial).
func (s *Service) apply(ctx context.Context, a *twinfed.Activity) error {
	run := s.store.Update
	if (a.Type == twinfed.ActivityJoin || a.Type == twinfed.ActivityLeave) && s.ev.Events.IsHome(a.Object) {
		run = func(fn func(txn *badger.Txn) error) error { return s.ev.Events.Serial(a.Object, fn) }
	}
	return run(func(txn *badger.Txn) error {
		key := store.PrefixApplied + a.ID
		if done, err := store.Exists(txn, key); err != nil || done {
			return err
		}
		h := inboxRoutes[inboxRoute{a.Type, s.kindOf(txn, a)}]
		if h == nil {
			return twinfed.Errorf(twinfed.EINVALID, "%s activities are not handled by this node", a.Type)
		}
		if err := txn.Set([]byte(key), []byte(s.now().UTC().Format(time.RFC3339))); err != nil {
			return err
		}
		return h(s, ctx, txn, a)
	})
}
