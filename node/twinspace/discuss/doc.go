// Package discuss is the TwinSpace's Forum tab: discussions that teachers
// open (kind discussion), threads in a discussion that teachers and pupil
// administrators open with a first message (kind thread, Parent the
// discussion), and replies in a thread from everyone who may reply (kind
// reply, Parent the thread), which may quote another reply of the thread
// (Fields["quote"]) and attach materials of the TwinSpace
// (Fields["materials"], comma-separated ids).
//
// Every one is an object of the TwinSpace core (node/twinspace), written
// through its Edit and replicated by it; who may do what is the core's
// View, that is twinfed.SpaceCan (SpaceOpenDiscussion, SpaceOpenThread,
// SpaceReply, SpaceEditOwn, SpaceManageOthers). The text is plain: every
// node that stores an object bounds it and makes its HTML from it
// (TextHTML), never taking the sender's.
//
// Reads use the core's index (a kind's objects under a parent) and never
// read every reply: each thread's summary (its live replies, the newest
// one's time) is kept on every node as replies are applied; a thread's
// page skips the index's keys to its page.
//
// Keys it owns (node/store/keys.go): store.PrefixSpaceForumThread (tf/,
// the threads' summaries, on every node) and store.PrefixSpaceForumRead
// (tr/, each reader's unread markers, on the reader's node only: never
// replicated).
package discuss
