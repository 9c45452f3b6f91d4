// Package eventtools assembles the events with their tools: the events
// themselves (node/event: the wizard, bookings decided by the home node,
// lists and calendar, iCalendar, reminders, photos, the
// TwinSpace's Live tab), each event's forum (node/event/eventforum) and
// file archive (node/event/eventfiles), which catches up from the home
// node with the forum, the events' JSON API (node/event/eventapi), the
// counts of places of other nodes' events (node/event/eventplaces) and
// their meeting room (node/event/eventroom: the home node's join links,
// the room's presence reports).
// The node builds them together with New and registers their pages and
// API together with Routes, as it does the TwinSpace's tools
// (node/twinspace/workspace).
//
// It sits between the tools and the node's assembly in the import order
// (node/doc.go): it names the tools' types so that the node need not.
package eventtools
