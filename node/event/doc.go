// Package event is the national node's events feature: online sessions in
// the node's meeting rooms and in-person announcements, created with a
// wizard (title, description, language, type and place, expected
// participants, audience, date, then a free time slot and a duration,
// invited contacts), listed by day, week and month and in a month
// calendar, searched, booked ("Participate", "Leave", a waiting list that
// moves up), shown "Live" during their time with "Enter the meeting room"
// for participants from a few minutes before, and exported as iCalendar
// (one file per event and a personal, secret, revocable feed).
//
// The rules are the root package's (event.go): twinfed.ValidateEvent (the
// fields, 30 to 90 minutes online, a start in the future, the audience's
// countries), twinfed.CanSeeEvent (the audience), twinfed.CanBook and
// twinfed.DecideBooking (the capacity, decided by the event's home node in
// arrival order), twinfed.EventSlots and twinfed.FreeRoom (the meeting
// rooms), (*twinfed.Event).Live and RoomOpen. Times are kept in UTC and
// shown in Central European Time (twinfed.ProgrammeZone) with the
// member's own zone beside them.
//
// A TwinSpace's Live tab (live.go) schedules meetings of a project
// (twinfed.AudienceProject, at most twinfed.TwinSpaceMeetingCap places)
// with the same machinery. Reminders (remind.go) go by e-mail the day
// before and an hour before; the organiser of a certifying event records
// attendance (Attended), and attendees download a certificate of
// participation from node/event/eventcert, which the event's page asks
// for its link through Certificates (SetCertificates). Across nodes
// (inbox.go): Create{Event} to the audience's nodes, Join →
// Accept/Reject decided by the home node, Leave.
// The home node decides each event's bookings in one writer (writer.go,
// Serial) that runs the requests waiting in arrival order in one
// transaction; the lists and the calendar read an in-memory index of the
// events by month (index.go). Another node's event's page shows the counts
// its home node keeps, asked through Places (node/event/eventplaces).
//
// The organiser changes or cancels an event (edit.go, editweb.go:
// twinfed.CanEditEvent, twinfed.CheckEventChange; Update{Event} and
// Delete{Event}; those who booked told on their own nodes); an event has
// photos (photo.go: images by content in the node's blob store, shown
// from this node, fetched signed from the event's home node). The JSON
// API is node/event/eventapi's; the forum of an event is
// node/event/eventforum's.
//
// The meeting rooms are a provider's (Jitsi Meet, BigBlueButton…) named
// by a URL template (Config.MeetingURL): the join links, always the home
// node's, and the room's presence reports are node/event/eventroom's.
//
// Keys it owns (node/store/keys.go): store.PrefixEvent (ev/, the events),
// store.PrefixEventDay (ed/, events by day in CET), store.PrefixEventBooking
// (eb/, the bookings of an event, on its home node), store.PrefixMyEvent
// (em/, a member's events and their state), store.PrefixEventFeed (ef/,
// the personal calendar feeds), store.PrefixEventReminder (er/, the
// reminders sent) and store.PrefixEventPhoto (ep/, the blobs the events
// name and the photos uploaded for an event to come).
package event
