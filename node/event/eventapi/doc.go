// Package eventapi is the JSON API of the events (node/event), under
// /api/v1/events: the lists with the web lists' filters, one event,
// creating, changing and cancelling an event, its photos, booking and
// leaving, and the member's own events. It asks node/event's service,
// which asks the root package's rules (twinfed.ValidateEvent,
// CanSeeEvent, CanBook, CanEditEvent, CheckEventChange): the same rules
// and the same errors as the pages. Every route is in node/openapi.json.
//
// An event is named by its whole id (another node's event too) or, for
// an event of this node, by the last segment of its id.
package eventapi
