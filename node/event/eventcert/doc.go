// Package eventcert is the certificate of participation in an event
// (node/event): a one-page PDF (node/project/certificate's
// WriteParticipation) in the holder's language, given once a certifying
// event has ended to those its organiser recorded as present
// (twinfed.CanHaveEventCertificate; the attendance is kept with the
// bookings on the event's home node, event.Service.Attended).
//
// A member of the event's home node downloads it there
// (GET /events/{id}/certificate), made from their account. A member of
// another node downloads it from their own node at the same path: their
// node, which knows only that their booking was confirmed, asks the
// event's home node with a signed GET of <event id>/certificate/for
// ?actor=<their actor>&lang=<their language> (the kit's FetchFile) and
// streams the answer. The home node answers only a node that signs for
// the actor's own host (web.Signer), with the name the member's booking
// carries; a refusal comes back as the same translated message, and a
// home node that does not answer as EUNAVAILABLE.
//
// The event's page asks HasCertificate for its link through
// event.Certificates (set by Assemble with event.Service.SetCertificates).
// On a member's node the link goes only to those the home node lists as
// present with its counts of places (Presence, node/event/eventplaces);
// when it cannot be asked, to every confirmed participant, the home node
// deciding on the click.
// It owns no keys: it reads the events' (ev/, eb/ on the home node, em/
// on a member's node) through node/event.
package eventcert
