// Package eventroom is the events' meeting room: the join link, the
// participants' ids in it, and the attendance the meeting room's service
// reports.
//
// The room of an event is its home node's, whatever node its participant
// is on: "Enter the meeting room" (GET /events/{id}/room) on the home
// node redirects to the link it makes (JoinURL: the node's meeting_url
// template with {room}, {name}, {user}, {expires}, {signature}); on
// another node, that node first asks the home node with a signed GET of
// <event id>/room/for?actor=<its member> (RoomFor), which the home node
// answers only to the member's own node (the signer's host is the
// actor's), for a confirmed participant (twinfed.BookingConfirmed),
// while the room is open ((*twinfed.Event).RoomOpen on its clock), with
// the booking's name; the member's node shows its refusals translated.
// So every participant of an event meets in one room of one provider,
// with links its secret signed.
//
// {user} (UserID) is an opaque, stable id of a participant in an event:
// HMAC-SHA256 over the event and the actor, keyed by the node secret
// (store.KeyNodeSecret), which the provider never holds. The provider
// reports attendance with it (POST /events/presence, Presence):
// BigBlueButton's learning-analytics callback, authenticated by its JWT
// signed with meeting_secret. A confirmed participant present at least
// half the event (twinfed.PresentInRoom) is added to those who attended,
// in the event's single writer (event.Service.Serial, AddAttended);
// nothing the organiser recorded is removed, an unknown id is ignored and
// named in the answer. The organiser's attendance form shows them ticked,
// marked as reported by the room.
//
// It owns no keys: it writes the bookings' record (eb/) through
// node/event.
package eventroom
