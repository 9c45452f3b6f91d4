package store

// Every key of the node's Badger DB starts with one of the prefixes below,
// or is one of the single keys (Key…). Each comment gives the key's shape,
// the value, and the feature that owns it: only that feature (or kit)
// writes there, and another one reads those records through the owner.
// Adding a prefix here means adding it to Keys too;
// TestKeys_TableListsEveryConstant fails otherwise.
const (
	// PrefixMember: u/<username> → twinfed.Member JSON. Owner: account.
	PrefixMember = "u/"
	// PrefixCred: c/<username> → credentials JSON (password hash). Owner: account.
	PrefixCred = "c/"
	// PrefixEmail: e/<lower-case e-mail> → username. Owner: account.
	PrefixEmail = "e/"
	// PrefixStatus: x/<status>/<username> → "" (the index behind the
	// agency's queues and the counts). Owner: account.
	PrefixStatus = "x/"
	// PrefixSession: ss/<sha256(token)> → session JSON, with a TTL. Owner: account.
	PrefixSession = "ss/"
	// PrefixToken: tk/<sha256(token)> → one-time link JSON (confirmation,
	// reset, change of address). Owner: account.
	PrefixToken = "tk/"
	// PrefixPhoto: ph/<username> → photo (content type, NUL, bytes). Owner: account.
	PrefixPhoto = "ph/"
	// PrefixDeleted: d/<username> → tombstone JSON (the username stays
	// reserved). Owner: account.
	PrefixDeleted = "d/"
	// PrefixEmailChange: ec/<username> → emailChange JSON (a change of
	// address waiting for confirmation). Owner: account.
	PrefixEmailChange = "ec/"
	// KeyFormat: cfg/format → the store's format version, decimal
	// (FormatVersion; format.go). Owner: store.
	KeyFormat = "cfg/format"
	// KeyNodeSecret: cfg/secret → 32 random bytes, the node secret that
	// signs the CSRF tokens of anonymous visitors, and from which
	// node/event/eventroom derives the key of the meeting rooms'
	// participant ids (read only). Owner: account.
	KeyNodeSecret = "cfg/secret"

	// PrefixPupil: pu/<username> → pupil.Account JSON (a pupil's or a
	// visitor's account, its password hash, its TwinSpaces; a removed
	// one stays as a tombstone without its hash). Owner: pupil.
	PrefixPupil = "pu/"
	// PrefixPupilOf: pt/<teacher username>/<username> → "" (a teacher's
	// pupils and visitors). Owner: pupil.
	PrefixPupilOf = "pt/"
	// PrefixPupilSession: pz/<sha256(token)> → pupil session JSON, with a
	// TTL. Owner: pupil.
	PrefixPupilSession = "pz/"

	// PrefixProposal: ps/<id> → school proposal JSON. Owner: registration.
	PrefixProposal = "ps/"
	// PrefixRegWeekly: rw/<yyyy-ww>/<random id> → "" (registrations per
	// week). Owner: registration.
	PrefixRegWeekly = "rw/"

	// PrefixDirProfile: dp/<actor URL> → twinfed.Profile JSON (every public
	// profile the node knows, its own and other nodes'). Owner: directory.
	PrefixDirProfile = "dp/"
	// PrefixDirQueue: dq/<actor URL> → change stamp, waiting for the
	// indexer. Owner: directory.
	PrefixDirQueue = "dq/"
	// PrefixDirCursor: db/<node host> → backfill state JSON. Owner: directory.
	PrefixDirCursor = "db/"
	// KeyDirLocal: cfg/directory-local-v1 → "" (the local members' public
	// profiles have been copied into dp/). Owner: directory.
	KeyDirLocal = "cfg/directory-local-v1"
	// KeyDirSnapshot: cfg/directory-snapshot → the token of the search
	// index's snapshot written at the last clean stop (deleted as a start
	// reads it, so that a snapshot is used once, and never after a crash).
	// Owner: directory.
	KeyDirSnapshot = "cfg/directory-snapshot"

	// PrefixContact: ct/<username>/<peer actor URL> → Contact JSON. Owner: social.
	PrefixContact = "ct/"
	// PrefixPeer: cp/<peer actor URL>/<username> → "" (who has records
	// about a peer). Owner: social.
	PrefixPeer = "cp/"
	// PrefixFollowing: fo/<username>/<peer> → Follow JSON. Owner: social.
	PrefixFollowing = "fo/"
	// PrefixFollower: fw/<username>/<peer> → Follow JSON. Owner: social.
	PrefixFollower = "fw/"
	// PrefixRequest: rq/o/<id of the member's own Follow>, rq/i/<id of a
	// peer's Follow> → requestRef JSON. Owner: social.
	PrefixRequest = "rq/"
	// PrefixMessage: dm/<username>/<peer>/<arrival time>/<id> → Message
	// JSON. Owner: social.
	PrefixMessage = "dm/"
	// PrefixConversation: dc/<username>/<peer> → Conversation JSON. Owner: social.
	PrefixConversation = "dc/"
	// PrefixSocialCounts: su/<username> → the member's unread messages and
	// contact requests waiting, JSON, kept by every write of a conversation
	// or a contact (the menu reads one record instead of walking records
	// each message rewrites). Owner: social.
	PrefixSocialCounts = "su/"

	// PrefixProject: pj/<project id> → twinfed.Project JSON. Owner: project.
	PrefixProject = "pj/"
	// PrefixMyProject: pm/<username>/<project id> → "" (the projects of
	// this node's members). Owner: project.
	PrefixMyProject = "pm/"
	// PrefixApproval: pa/<project id> <partner actor> → "" (participations
	// this node's agency must decide). Owner: project.
	PrefixApproval = "pa/"

	// PrefixTwinSpace: ts/<project id> → TwinSpace JSON (on the home node;
	// exactly one per project). Owner: twinspace.
	PrefixTwinSpace = "ts/"
	// PrefixPost: tp/<project id> <time>/<id> → TwinSpacePost JSON: the
	// board of format 1, moved to updates (so/) by the twinspace
	// migration and read by nothing else. Owner: twinspace.
	PrefixPost = "tp/"
	// PrefixSpaceObject: so/<project id> <object id> → twinfed.SpaceObject
	// JSON (every TwinSpace object the node holds: on the home node and on
	// every partner node). Owner: twinspace.
	PrefixSpaceObject = "so/"
	// PrefixSpaceIndex: si/<project id> <kind> <parent or -> <created, RFC
	// 3339 nano> <object id> → "" (a kind's objects under one parent, oldest
	// first). Owner: twinspace.
	PrefixSpaceIndex = "si/"
	// PrefixSpaceLog: sl/<project id> <applied, RFC 3339 nano> <object id>
	// → log entry JSON (the TwinSpace's latest actions). Owner: twinspace.
	PrefixSpaceLog = "sl/"
	// PrefixMaterialHash: xh/<sha256 hex> <project id> <object id> → empty:
	// the live materials of the TwinSpaces this node holds that name a
	// blob of its blob store (the file, or its thumbnail); a blob no key
	// names any more is deleted. Owner: materials.
	PrefixMaterialHash = "xh/"
	// PrefixMaterialUsage: xu/<project id> → bytes (decimal) of the
	// TwinSpace's files uploaded on this node, its quota's count. Owner:
	// materials.
	PrefixMaterialUsage = "xu/"
	// PrefixSpaceForumThread: tf/<project id> <thread id> → the thread's
	// summary JSON (its live replies, the newest one's creation), kept on
	// every node by the TwinSpace forum's Applied. Owner: discuss.
	PrefixSpaceForumThread = "tf/"
	// PrefixSpaceForumRead: tr/<reader's actor> <thread id> → when the
	// reader last read the thread (RFC 3339 nano), on their own node only:
	// never replicated. Owner: discuss.
	PrefixSpaceForumRead = "tr/"
	// PrefixChatArrival: sc/<project id> <arrival on this node, Unix nano,
	// 19 digits> → chat message id (each state of a chat message in the
	// order this node applied it: an event stream's catch-up after a
	// reconnection), each expiring after chat.ArrivalKeep (a day). Owner:
	// chat (node/twinspace/chat).
	PrefixChatArrival = "sc/"

	// PrefixForum: fm/<post id> → twinfed.ForumPost JSON (every partner-forum
	// post and reply the node holds: its members' and the replicas). Owner: forum.
	PrefixForum = "fm/"
	// PrefixForumReply: fy/<post id> <published, RFC 3339 nano> <reply id> →
	// "" (the replies of a post, oldest first). Owner: forum.
	PrefixForumReply = "fy/"
	// PrefixForumReport: fx/<post id> <report id> → forum report JSON (what
	// members reported of this node's members' posts). Owner: forum.
	PrefixForumReport = "fx/"
	// PrefixForumAuthor: fa/<author actor URL> <post or reply id> → "" (what
	// a member wrote, erased with their account). Owner: forum.
	PrefixForumAuthor = "fa/"
	// PrefixWallPost: wp/<post URL> → feed.Post JSON (this node's members'
	// wall posts and the replicas of other nodes' posts). Owner: feed.
	PrefixWallPost = "wp/"
	// PrefixWallByAuthor: wa/<author actor URL> <inverted time>/<post URL>
	// → "" (an author's posts, newest first). Owner: feed.
	PrefixWallByAuthor = "wa/"
	// PrefixTimeline: tl/<username>/<inverted time>/<post URL> → "" (a
	// member's feed, newest first, written when a post arrives). Owner: feed.
	PrefixTimeline = "tl/"
	// PrefixWallReply: wr/<post URL> <time>/<reply URL> → feed.Reply JSON. Owner: feed.
	PrefixWallReply = "wr/"
	// PrefixWallLike: wl/<post URL> <actor URL> → "" (who liked a post). Owner: feed.
	PrefixWallLike = "wl/"
	// PrefixWallTouched: wt/<time, 16 hex digits>/<post URL> → "" (this
	// node's members' posts by the time of their last reply, like,
	// unlike or reply's deletion: what the backfill of replies and likes
	// serves from a cursor). Owner: feed.
	PrefixWallTouched = "wt/"
	// PrefixWallCursor: wc/<host> → RFC 3339 time (how far this node took
	// the replies and likes of the node at host, for its next backfill).
	// Owner: feed.
	PrefixWallCursor = "wc/"
	// PrefixMedia: mi/<sha256 hex> → an image of a local member's post
	// (content type, NUL, bytes). Owner: feed.
	PrefixMedia = "mi/"
	// PrefixMediaCache: mc/<sha256 hex of the URL> → an image of another
	// node, cached by the proxy (content type, NUL, bytes), with a TTL. Owner: feed.
	PrefixMediaCache = "mc/"
	// PrefixEvent: ev/<event id> → twinfed.Event JSON. Owner: event.
	PrefixEvent = "ev/"
	// PrefixEventDay: ed/<yyyy-mm-dd in CET>/<event id> → "" (the events
	// of a day, for the meeting rooms' slots). Owner: event.
	PrefixEventDay = "ed/"
	// PrefixEventBooking: eb/<event id> → event.Bookings JSON (the counts),
	// eb/<event id>/b/<actor> → event.Booking JSON, eb/<event id>/c/<seq>
	// and eb/<event id>/w/<seq> → actor (confirmed and waiting, in arrival
	// order); on the event's home node. Owner: event.
	PrefixEventBooking = "eb/"
	// PrefixMyEvent: em/<username>/<event id> → "" (a member's bookings). Owner: event.
	PrefixMyEvent = "em/"
	// PrefixEventFeed: ef/t/<sha256 of a feed token> → username, ef/u/<username>
	// → that hash (the personal calendar feeds). Owner: event.
	PrefixEventFeed = "ef/"
	// PrefixEventReminder: er/<username>/<day|hour>/<event id> → "" (a
	// reminder sent). Owner: event.
	PrefixEventReminder = "er/"
	// PrefixEventPhoto: ep/<sha256 hex> <event id> → "" (the blobs, photos
	// and thumbnails, an event this node holds names: the blob store's
	// collector keeps them) and ep/u/<username>/<sha256 hex> →
	// twinfed.EventPhoto JSON (a photo a member uploaded in a form, for a
	// day, until the event that names it is saved), ep/p/<sha256 hex>
	// <username> → the time, RFC 3339, until which that upload names the
	// blob (photo or thumbnail: BlobNamed; the events' loop forgets it
	// then) and
	// ep/h/<host>/<sha256 hex> → "" (a photo the event's home node at host
	// gave this node). Owner: event.
	PrefixEventPhoto = "ep/"
	// PrefixEventPost: et/<event id>/<published, RFC 3339 UTC>/<the post
	// id's last segment>/<post id> →
	// eventforum.Post JSON (an event's forum, on its home node and on the
	// nodes of its confirmed participants; a deleted message stays as a
	// tombstone); on a participant's node, et/c/<event id> → the home
	// node's time of the last catch-up, et/d/<event id> → "" (a catch-up
	// due). Owner: event (its forum, node/event/eventforum).
	PrefixEventPost = "et/"
	// PrefixEventFile: ea/r/<event id>/<published, RFC 3339 UTC>/<file id>
	// → twinfed.EventFile JSON (an event's archive, on its home node and
	// on the nodes of its confirmed participants), ea/h/<sha256 hex>
	// <file id> → "" (the blobs the records name: the blob store's
	// collectors keep them), ea/i/<file id> → its record's key,
	// ea/x/<file id> → "" (a deleted file: it
	// does not come back), ea/f/<host>/<sha256 hex> → "" (a file the
	// uploader's node at host gave this node); on the home node
	// ea/k/<event id>/<home time, fixed-width RFC 3339 UTC>/<file id> →
	// eventfiles.Change JSON (the change log the catch-up serves: a record
	// or a tombstone) and ea/l/<file id> → its entry's key; on a
	// participant's node ea/c/<event id> → the home node's time of the
	// last catch-up. Owner: event (its archive, node/event/eventfiles).
	PrefixEventFile = "ea/"

	// PrefixTraining: pd/<training id> → twinfed.Training JSON (every
	// agency's training offers). Owner: training.
	PrefixTraining = "pd/"
	// PrefixTrainingApp: pq/<training id>/<username> → training.Application
	// JSON (this node's members' applications). Owner: training.
	PrefixTrainingApp = "pq/"
	// PrefixMyTraining: pr/<username>/<training id> → "" (a member's
	// applications). Owner: training.
	PrefixMyTraining = "pr/"

	// PrefixNotice: nt/<username>/<inverted time>/<id> →
	// notice.Notification JSON. Owner: notice.
	PrefixNotice = "nt/"
	// PrefixUnread: nu/<username>/<inverted time>/<id> → "" (the member's
	// unread notifications, for the menu's count). Owner: notice.
	PrefixUnread = "nu/"
	// KeyUnreadIndexed: cfg/unread-indexed → "" (nu/ is complete: built
	// once from nt/ for a store written before it existed). Owner: notice.
	KeyUnreadIndexed = "cfg/unread-indexed"

	// PrefixNoticePrefs: np/<username> → notice.Prefs JSON (how the
	// member wants each kind by e-mail). Owner: notice.
	PrefixNoticePrefs = "np/"
	// PrefixDigest: nd/<username>/<notification key suffix> → "" (a
	// notification waiting for the member's daily digest). Owner: notice.
	PrefixDigest = "nd/"
	// PrefixDigestSent: nl/<username> → the last digest's time (RFC
	// 3339). Owner: notice.
	PrefixDigestSent = "nl/"
	// KeyNoticeSecret: cfg/notice-secret → 32 random bytes, the key that
	// signs the unsubscribe links. Owner: notice.
	KeyNoticeSecret = "cfg/notice-secret"

	// PrefixMailQueue: mq/<due time, hex ns>/<id> → the queued mail JSON
	// (node/mail's Queue). Owner: mail.
	PrefixMailQueue = "mq/"

	// PrefixApplied: ap/<activity id> → the time it was applied (RFC 3339):
	// the activities from other nodes this node applied. Owner: inbox
	// (package node's inbound router, node/inbox.go).
	PrefixApplied = "ap/"

	// PrefixFederation: fed/… → the federation's own records (delivery
	// queues, incoming activities, sequence numbers), written by package
	// federation in the node's transactions. Owner: federation.
	PrefixFederation = "fed/"
)

// Key is one entry of the table of the node's keys.
type Key struct {
	Name   string // the constant's name, e.g. "PrefixMember"
	Key    string // its value, e.g. "u/"
	Prefix bool   // a prefix of many keys (false: one single key)
	Owner  string // the feature or kit that writes there
}

// Keys is every key prefix and single key of the node, built from the
// constants above, with its owner.
var Keys = []Key{
	{"KeyFormat", KeyFormat, false, "store"},
	{"PrefixMember", PrefixMember, true, "account"},
	{"PrefixCred", PrefixCred, true, "account"},
	{"PrefixEmail", PrefixEmail, true, "account"},
	{"PrefixStatus", PrefixStatus, true, "account"},
	{"PrefixSession", PrefixSession, true, "account"},
	{"PrefixToken", PrefixToken, true, "account"},
	{"PrefixPhoto", PrefixPhoto, true, "account"},
	{"PrefixDeleted", PrefixDeleted, true, "account"},
	{"PrefixEmailChange", PrefixEmailChange, true, "account"},
	{"KeyNodeSecret", KeyNodeSecret, false, "account"},
	{"PrefixPupil", PrefixPupil, true, "pupil"},
	{"PrefixPupilOf", PrefixPupilOf, true, "pupil"},
	{"PrefixPupilSession", PrefixPupilSession, true, "pupil"},
	{"PrefixProposal", PrefixProposal, true, "registration"},
	{"PrefixRegWeekly", PrefixRegWeekly, true, "registration"},
	{"PrefixDirProfile", PrefixDirProfile, true, "directory"},
	{"PrefixDirQueue", PrefixDirQueue, true, "directory"},
	{"PrefixDirCursor", PrefixDirCursor, true, "directory"},
	{"KeyDirLocal", KeyDirLocal, false, "directory"},
	{"KeyDirSnapshot", KeyDirSnapshot, false, "directory"},
	{"PrefixContact", PrefixContact, true, "social"},
	{"PrefixPeer", PrefixPeer, true, "social"},
	{"PrefixFollowing", PrefixFollowing, true, "social"},
	{"PrefixFollower", PrefixFollower, true, "social"},
	{"PrefixRequest", PrefixRequest, true, "social"},
	{"PrefixMessage", PrefixMessage, true, "social"},
	{"PrefixConversation", PrefixConversation, true, "social"},
	{"PrefixSocialCounts", PrefixSocialCounts, true, "social"},
	{"PrefixProject", PrefixProject, true, "project"},
	{"PrefixMyProject", PrefixMyProject, true, "project"},
	{"PrefixApproval", PrefixApproval, true, "project"},
	{"PrefixTwinSpace", PrefixTwinSpace, true, "twinspace"},
	{"PrefixPost", PrefixPost, true, "twinspace"},
	{"PrefixSpaceObject", PrefixSpaceObject, true, "twinspace"},
	{"PrefixSpaceIndex", PrefixSpaceIndex, true, "twinspace"},
	{"PrefixSpaceLog", PrefixSpaceLog, true, "twinspace"},
	{"PrefixMaterialHash", PrefixMaterialHash, true, "materials"},
	{"PrefixMaterialUsage", PrefixMaterialUsage, true, "materials"},
	{"PrefixSpaceForumThread", PrefixSpaceForumThread, true, "discuss"},
	{"PrefixSpaceForumRead", PrefixSpaceForumRead, true, "discuss"},
	{"PrefixChatArrival", PrefixChatArrival, true, "chat"},
	{"PrefixForum", PrefixForum, true, "forum"},
	{"PrefixForumReply", PrefixForumReply, true, "forum"},
	{"PrefixForumReport", PrefixForumReport, true, "forum"},
	{"PrefixForumAuthor", PrefixForumAuthor, true, "forum"},
	{"PrefixWallPost", PrefixWallPost, true, "feed"},
	{"PrefixWallByAuthor", PrefixWallByAuthor, true, "feed"},
	{"PrefixTimeline", PrefixTimeline, true, "feed"},
	{"PrefixWallReply", PrefixWallReply, true, "feed"},
	{"PrefixWallLike", PrefixWallLike, true, "feed"},
	{"PrefixWallTouched", PrefixWallTouched, true, "feed"},
	{"PrefixWallCursor", PrefixWallCursor, true, "feed"},
	{"PrefixMedia", PrefixMedia, true, "feed"},
	{"PrefixMediaCache", PrefixMediaCache, true, "feed"},
	{"PrefixEvent", PrefixEvent, true, "event"},
	{"PrefixEventDay", PrefixEventDay, true, "event"},
	{"PrefixEventBooking", PrefixEventBooking, true, "event"},
	{"PrefixMyEvent", PrefixMyEvent, true, "event"},
	{"PrefixEventFeed", PrefixEventFeed, true, "event"},
	{"PrefixEventReminder", PrefixEventReminder, true, "event"},
	{"PrefixTraining", PrefixTraining, true, "training"},
	{"PrefixTrainingApp", PrefixTrainingApp, true, "training"},
	{"PrefixMyTraining", PrefixMyTraining, true, "training"},
	{"PrefixEventPhoto", PrefixEventPhoto, true, "event"},
	{"PrefixEventPost", PrefixEventPost, true, "event"},
	{"PrefixEventFile", PrefixEventFile, true, "event"},
	{"PrefixNotice", PrefixNotice, true, "notice"},
	{"PrefixUnread", PrefixUnread, true, "notice"},
	{"KeyUnreadIndexed", KeyUnreadIndexed, false, "notice"},
	{"PrefixNoticePrefs", PrefixNoticePrefs, true, "notice"},
	{"PrefixDigest", PrefixDigest, true, "notice"},
	{"PrefixDigestSent", PrefixDigestSent, true, "notice"},
	{"KeyNoticeSecret", KeyNoticeSecret, false, "notice"},
	{"PrefixMailQueue", PrefixMailQueue, true, "mail"},
	{"PrefixApplied", PrefixApplied, true, "inbox"},
	{"PrefixFederation", PrefixFederation, true, "federation"},
}
