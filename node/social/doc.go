// Package social is the national node's social feature: members' contacts
// (asked, answered, removed), one-way follows, direct messages and their
// conversations, the network page, the notifications list (on the kit
// node/notice) and the menu's counts, with their web pages (/contacts,
// /follow, /unfollow, /messages…, /notifications) and JSON API
// (/api/v1/contacts…, /api/v1/follows…, /api/v1/messages…,
// /api/v1/notifications, /api/v1/me/counts).
//
// A contact request is a Follow marked as a contact request, answered by
// Accept or Reject; Undo (by the one who asked) or Reject (by the other)
// removes the contact later. A one-way follow is a plain Follow that the
// followed member's node accepts at once. A direct message is a
// Create{Note} to one member. Every record is kept on both sides: each
// node holds its own members' contacts, follows and messages, keyed by the
// peer's actor URL. When the peer is a member of this node, an action
// makes its effect on them itself, in the same transaction (inbox.go's
// functions, shared with the activities from other nodes that the node's
// inbound router hands to ApplyFollow, ApplyAnswer, ApplyUndo and
// ApplyNote).
//
// The rules it enforces:
//
//   - only a validated member (twinfed.RoleMember, twinfed.StatusValidated)
//     has contacts, follows and messages (Require);
//   - a peer is a validated member of this node (asked through Members) or
//     a member of a node the registry lists (twinfed.Registry's
//     CountryByHost, through Nodes), never oneself
//     (twinfed.ActorURL, twinfed.UsernameFromActor, twinfed.URLHost);
//   - a contact request carries at most 500 characters, a message at most
//     5,000 (MaxMessageRunes); what other nodes send is sanitised
//     (web.NewHTMLPolicy) and bounded again on arrival;
//   - asking someone who had asked accepts their request; an answer or an
//     Undo is taken only from the member the request concerns (EFORBIDDEN
//     otherwise); replays change nothing;
//   - an inbound Follow or message is only for a validated local member
//     (LocalTarget).
//
// The keys it owns (node/store): store.PrefixContact (ct/),
// store.PrefixPeer (cp/), store.PrefixFollowing (fo/),
// store.PrefixFollower (fw/), store.PrefixRequest (rq/),
// store.PrefixMessage (dm/), store.PrefixConversation (dc/),
// store.PrefixSocialCounts (su/: the menu's unread messages and waiting
// requests, kept by every write of a conversation or a contact; format 4's
// Migration writes them for an older store).
// Notifications are package notice's (it writes them through
// notice.Notices); the peers' profiles are read from the directory
// (Directory).
//
// What the node's assembly registers: EraseSocial when an account is
// deleted, ForgetPeer when another node's member is deleted. The service is
// the project feature's Contacts (AcceptedContact, AcceptedContacts,
// LocalTarget); it reads the accounts' public profiles (Members: the
// account service) and the directory's (Directory: the directory service).
package social
