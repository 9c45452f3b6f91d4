// Package eventforum is the forum attached to an event (node/event): its
// organiser and its confirmed participants, on every node, write and read
// messages about it (twinfed.CanUseEventTools).
//
// It reuses the TwinSpace's model rather than a TwinSpace "space" (whose
// core is keyed by project and its roles; see docs/events.md): a
// participant's message goes to the event's home node as Create{Note}
// (the note's inReplyTo is the event), which checks the rule with its
// bookings, keeps it, and Announces it to the nodes of the confirmed
// participants, which keep replicas. A message is plain text (at most
// 5,000 characters), escaped when shown; its id lives under its author's
// node. The file archive is not built yet.
//
// Keys: store.PrefixEventPost (et/<event id>/<published>/<post id>).
package eventforum
