// Package eventplaces gives an event's page on another node the counts of
// places its home node keeps. An event lives on its home node, which
// decides every booking (node/event) and keeps the counts of confirmed
// and waiting bookings; other nodes keep a copy of the event without
// them.
//
// The home node serves the counts of its events to the nodes of their
// audience (twinfed.CanNodeSeeEvent) with a signed GET of
// /events/{id}/places (Path), JSON {"confirmed", "waiting", "capacity"}
// and, for a certifying event, "attended": the asking node's own members
// recorded as present (Service.Attended, for node/event/eventcert's link):
// 401 unsigned, 404 (marked twinfed.HeaderNotFound) for an event this
// node is not home to, 403 for a node outside its audience.
//
// A member's node asks for them when it renders one event's page of
// another node (event.Web.UsePlaces: not the lists nor the calendar),
// with the node's signed fetcher (feature.Kit.Fetch), within Timeout,
// and keeps the answer (or the failure) for TTL in memory, one entry per
// event: a busy event's page costs its home node at most one request per
// node per TTL, and the renders that come while it is asked wait for that
// one request. The home node's answer to a booking of this node
// (Accept or Reject, event.Service.ApplyAnswer) drops the event's entry
// (Forget), so that the member's next look shows their own booking in the
// counts. When the home node cannot say (unreachable, too slow, a
// refusal), the page says that the places cannot be shown now and still
// offers Participate: no numbers are made up.
//
// For operators: twinfed_node_event_places_fetches_total counts the
// fetches by result (ok, unavailable, refused, bad_answer); the first
// failure of a home node is logged (a warning), and its recovery, not
// every failed request.
package eventplaces
