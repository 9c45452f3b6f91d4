// Package eventforum is the forum attached to an event (node/event): its
// organiser and its confirmed participants, on every node, write and read
// messages about it (twinfed.CanUseEventTools); a message's author edits
// and deletes it, the organiser deletes any.
//
// It reuses the TwinSpace's model rather than a TwinSpace "space" (whose
// core is keyed by project and its roles; see docs/events.md): a
// participant's message, edit or deletion goes to the event's home node as
// Create, Update or Delete of a Note (the note's inReplyTo is the event),
// which checks the rule with its bookings and the author, keeps it, and
// Announces the message's state to the nodes of the confirmed
// participants, which keep replicas. Every node orders a message's changes
// the same way (newer: a deletion is final, then the later change), so
// replays and late arrivals change nothing. A node that missed announces
// catches up from the home node (catchup.go: signed, paged, served only to
// the participants' nodes), when its member is confirmed and periodically
// (Run). A message is plain text (at most 5,000 characters), escaped when
// shown; its id lives under its author's node. Its JSON API is in api.go.
// The event's file archive (node/event/eventfiles) catches up in the same
// runs, as a Part added at assembly (Also).
//
// Keys: store.PrefixEventPost: et/<event id>/<published>/<id's last
// segment>/<post id> (the messages, tombstones included), et/c/<event id>
// (the catch-up's cursor), et/d/<event id> (a catch-up due).
package eventforum
