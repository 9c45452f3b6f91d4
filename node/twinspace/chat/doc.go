// Package chat is the TwinSpace's Chat tab: a live room per TwinSpace.
//
// A message is a TwinSpace object of kind chat (twinfed.SpaceKindChat)
// whose Content is plain text of at most 2,000 characters; it replicates
// as every TwinSpace object does (node/twinspace: written on the writer's
// node, checked by the home node with twinfed.SpaceCan, announced to every
// partner node). Writing needs SpaceChat (pupils only once the teachers
// opened the chat to them); removing a message is its deletion, which
// replicates too: the author's own (SpaceEditOwn) or anyone's for a
// teacher (SpaceRemoveChat).
//
// Each node serves its own readers live from its own replica: the event
// stream /twinspace/chat/events (Server-Sent Events) passes on what the
// core's hub reports as applied on this node, whoever wrote it, as HTML
// fragments rendered in the reader's language; a reconnection catches up
// from the node's arrival log. The page works without JavaScript (a form
// and a reload); node/web/static/chat.js adds the live list. Design
// notes: docs/twinspace-chat.md.
//
// Keys it owns (node/store/keys.go): store.PrefixChatArrival (sc/, the
// order this node applied the messages' states in, kept a day:
// ArrivalKeep).
package chat
