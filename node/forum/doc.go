// Package forum is the partner-finding forum, federation-wide: teachers of
// every country post project ideas (subjects, pupils' age bands, languages,
// the countries sought, the duration, the idea) in threads by pupils' age
// band, plus one for the neighbourhood countries and one for Erasmus+
// partnerships; others find them by search and filters, reply, and
// contact the author with the post quoted.
//
// Each node hosts its members' posts and replies; every node keeps a
// replica of every other node's (Create, Update and Delete of a Note
// carrying the post, sent to every node as the directory's profiles are),
// and a node that was away catches up with the directory's backfill
// (OnBackfill: signed GETs of BackfillPath on each other node). Searches
// answer from an in-memory index of every post, built from the store at
// Open, newest first.
//
// The rules it applies are the root package's: twinfed.CheckForumPost and
// CheckForumReply (what a post is), CanPostInForum and CanReadForum (who
// posts and reads), CanHideForumPost (only the author's own agency hides a
// post), ForumPostVisible (who sees a hidden post), CanReplyForumPost (no
// reply to a hidden post) and CheckForumOrigin (a node speaks only for its
// own members). Reports go to the agency of the post's author (a Flag to
// its node when the author is elsewhere); a reply to a member's post is
// notified to them (kind forum_reply, package notice).
//
// The home feed (node/feed, through the node's assembly) asks Matching for
// the new posts matching a member's profile.
//
// What a member wrote is erased with their account (ForgetAuthor, on the
// accounts' deletion hook and on the directory's OnActorDeleted).
//
// Keys it owns: store.PrefixForum (fm/), store.PrefixForumReply (fy/),
// store.PrefixForumReport (fx/), store.PrefixForumAuthor (fa/).
package forum
