package node

import (
	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// routeOf names the handler the router picks for a ("" when none), for
// TestInbox_Routes.
func routeOf(s *Service, txn *badger.Txn, a *twinfed.Activity) string {
	k := s.kindOf(txn, a)
	if inboxRoutes[inboxRoute{a.Type, k}] == nil {
		return ""
	}
	return oldNames[inboxRoute{a.Type, k}]
}

var oldNames = map[inboxRoute]string{
	{twinfed.ActivityFollow, kindActor}:         "social.ApplyFollow",
	{twinfed.ActivityAccept, kindRequest}:       "social.ApplyAnswer",
	{twinfed.ActivityReject, kindRequest}:       "social.ApplyAnswer",
	{twinfed.ActivityUndo, kindRequest}:         "social.ApplyUndo",
	{twinfed.ActivityCreate, kindNote}:          "social.ApplyNote",
	{twinfed.ActivityUpdate, kindProfile}:       "directory.ApplyProfileUpdate",
	{twinfed.ActivityDelete, kindActor}:         "directory.ApplyActorDelete",
	{twinfed.ActivityInvite, kindProject}:       "project.ApplyInvite",
	{twinfed.ActivityAccept, kindInvitation}:    "project.ApplyInvitationAnswer",
	{twinfed.ActivityReject, kindInvitation}:    "project.ApplyInvitationAnswer",
	{twinfed.ActivityAccept, kindParticipation}: "project.ApplyDecision",
	{twinfed.ActivityReject, kindParticipation}: "project.ApplyDecision",
	{twinfed.ActivityUpdate, kindProject}:       "project.ApplyProjectUpdate",
	{twinfed.ActivityDelete, kindProject}:       "project.ApplyProjectDelete",
	{twinfed.ActivityCreate, kindSpaceObject}:   "twinspace.ApplyWrite",
	{twinfed.ActivityUpdate, kindSpaceObject}:   "twinspace.ApplyWrite",
	{twinfed.ActivityDelete, kindSpaceObject}:   "twinspace.ApplyWrite",
	{twinfed.ActivityAnnounce, kindSpaceObject}: "twinspace.ApplyAnnounced",
	{twinfed.ActivityCreate, kindForumPost}:     "forum.ApplyPost",
	{twinfed.ActivityUpdate, kindForumPost}:     "forum.ApplyPost",
	{twinfed.ActivityDelete, kindForumPost}:     "forum.ApplyDelete",
	{twinfed.ActivityFlag, kindForumPost}:       "forum.ApplyFlag",
	{twinfed.ActivityCreate, kindWallPost}:      "feed.ApplyPost",
	{twinfed.ActivityUpdate, kindWallPost}:      "feed.ApplyPostUpdate",
	{twinfed.ActivityDelete, kindWallPost}:      "feed.ApplyPostDelete",
	{twinfed.ActivityLike, kindWallPost}:        "feed.ApplyLike",
	{twinfed.ActivityUndo, kindWallPost}:        "feed.ApplyUnlike",
	{twinfed.ActivityUpdate, kindWallLikes}:     "feed.ApplyLikes",
	{twinfed.ActivityDelete, kindWallReply}:     "feed.ApplyReplyDelete",
	{twinfed.ActivityCreate, kindWallReply}:     "feed.ApplyReply",
	{twinfed.ActivityAnnounce, kindWallReply}:   "feed.ApplyReply",
	{twinfed.ActivityCreate, kindEvent}:         "event.ApplyEvent",
	{twinfed.ActivityUpdate, kindEvent}:         "event.ApplyEvent",
	{twinfed.ActivityDelete, kindEvent}:         "event.ApplyEvent",
	{twinfed.ActivityJoin, kindBooking}:         "event.ApplyJoin",
	{twinfed.ActivityLeave, kindBooking}:        "event.ApplyLeave",
	{twinfed.ActivityAccept, kindBooking}:       "event.ApplyAnswer+eventforum.OnAnswer",
	{twinfed.ActivityReject, kindBooking}:       "event.ApplyAnswer",
	{twinfed.ActivityCreate, kindEventPost}:     "eventforum.ApplyCreate",
	{twinfed.ActivityAnnounce, kindEventPost}:   "eventforum.ApplyAnnounce",
	{twinfed.ActivityCreate, kindEventFile}:     "eventfiles.ApplyCreate",
	{twinfed.ActivityAnnounce, kindEventFile}:   "eventfiles.ApplyAnnounce",
	{twinfed.ActivityDelete, kindEventFile}:     "eventfiles.ApplyDelete",
	{twinfed.ActivityUpdate, kindEventPost}:     "eventforum.ApplyChange",
	{twinfed.ActivityDelete, kindEventPost}:     "eventforum.ApplyChange",
	{twinfed.ActivityCreate, kindTraining}:      "training.ApplyTraining",
	{twinfed.ActivityUpdate, kindTraining}:      "training.ApplyTraining",
}
