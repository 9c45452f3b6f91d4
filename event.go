package twinfed

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Events: online sessions and in-person announcements (DOMAIN.md
// "Events"). The rules below are asked by node/event, its pages, its JSON
// API and its inbound handlers alike.

// EventKind is an event's type: online (in a meeting room) or in person
// (at a place).
type EventKind string

// Event kinds.
const (
	EventOnline   EventKind = "online"
	EventInPerson EventKind = "in_person"
)

// EventAudience is who may see and join an event.
type EventAudience string

// Audiences: every member of the federation, only the organiser's
// contacts, or members of chosen countries.
const (
	AudienceAll       EventAudience = "all"
	AudienceContacts  EventAudience = "contacts"
	AudienceCountries EventAudience = "countries"
	// AudienceProject is a TwinSpace's Live meeting: the project's
	// members (Event.Contacts, taken from the project) and nobody else.
	AudienceProject EventAudience = "project"
)

// The bounds of an event.
const (
	EventMinMinutes     = 30  // shortest online event
	EventMaxMinutes     = 90  // longest online event
	EventMaxInPerson    = 480 // longest in-person event (a working day)
	EventCapacity       = 100 // default places of an online event (configurable)
	TwinSpaceMeetingCap = 25  // places of a TwinSpace's Live meeting
	EventSlotMinutes    = 30  // the grid of the time slots a form offers
	EventFirstSlotHour  = 8   // the first slot of a day, CET
	EventLastSlotHour   = 20  // no online event ends after this hour, CET
	EventEnterBefore    = 10 * time.Minute
	maxEventTitle       = 150
	maxEventText        = 5000
	maxEventPlace       = 200
)

// An event's photos: at most EventMaxPhotos, each at most
// EventPhotoMaxBytes, images by their content.
const (
	EventMaxPhotos     = 6
	EventPhotoMaxBytes = 5 << 20
)

// EventPhoto is a photo of an event: its file and its thumbnail, by the
// SHA-256 (hex) of their content, in the blob store of the event's home
// node (and of the nodes that showed it since).
type EventPhoto struct {
	Hash  string `json:"hash"`
	Thumb string `json:"thumb,omitempty"` // a JPEG; "": none
	Type  string `json:"type"`            // the photo's media type, by its content
}

// ProgrammeZone is the zone the programme sets its events' times in:
// Central European Time.
const ProgrammeZone = "Europe/Brussels"

// Event is an event as its home node (its organiser's) holds it, and as
// other nodes of its audience keep it.
type Event struct {
	ID          string        `json:"id"` // URL under the home node's base URL
	Title       string        `json:"title"`
	Description string        `json:"description"` // plain text, in the event's language
	Language    string        `json:"language"`
	Kind        EventKind     `json:"kind"`
	Place       string        `json:"place,omitempty"` // in person only
	Expected    int           `json:"expected"`        // expected participants
	Audience    EventAudience `json:"audience"`
	Countries   []string      `json:"countries,omitempty"` // AudienceCountries only
	Start       time.Time     `json:"start"`
	Minutes     int           `json:"minutes"`
	Capacity    int           `json:"capacity"` // places; 0 for an in-person announcement without booking
	Room        int           `json:"room,omitempty"`
	Certifying  bool          `json:"certifying,omitempty"`
	Organiser   string        `json:"organiser"` // actor URL
	OrgName     string        `json:"organiser_name"`
	OrgCountry  string        `json:"organiser_country"`
	Invited     []string      `json:"invited,omitempty"`  // actor URLs of invited contacts
	Contacts    []string      `json:"contacts,omitempty"` // AudienceContacts: the organiser's contacts; AudienceProject: the project's members
	Project     string        `json:"project,omitempty"`  // AudienceProject: the project's id
	Published   time.Time     `json:"published"`
	Photos      []EventPhoto  `json:"photos,omitempty"` // kept on the home node, by hash
	Updated     time.Time     `json:"updated,omitzero"` // the organiser's last change
	Cancelled   bool          `json:"cancelled,omitempty"`
	Version     int           `json:"version"`
}

// End is when the event ends.
func (e *Event) End() time.Time { return e.Start.Add(time.Duration(e.Minutes) * time.Minute) }

// Live reports whether the event is under way at now (a cancelled one
// never is).
func (e *Event) Live(now time.Time) bool {
	return !e.Cancelled && !now.Before(e.Start) && now.Before(e.End())
}

// RoomOpen reports whether the meeting room of an online event is open at
// now: from EventEnterBefore before its start to its end, unless the
// event is cancelled.
func (e *Event) RoomOpen(now time.Time) bool {
	return e.Kind == EventOnline && !e.Cancelled && !now.Before(e.Start.Add(-EventEnterBefore)) && now.Before(e.End())
}

// PresentInRoom reports whether a participant whom the meeting room's
// service reports present for present counts as attending e: present for
// at least half of the event's minutes.
func PresentInRoom(e *Event, present time.Duration) bool {
	return e.Minutes > 0 && 2*present >= time.Duration(e.Minutes)*time.Minute
}

// Overlaps reports whether two events share some time.
func (e *Event) Overlaps(start, end time.Time) bool {
	return e.Start.Before(end) && start.Before(e.End())
}

// ValidateEvent checks a new or changed event at now: every field, the
// duration (30 to 90 minutes online), a start in the future, the audience's
// countries. The error is EINVALID with a message per field.
func ValidateEvent(e *Event, now time.Time) error {
	f := map[string]string{}
	e.Title = strings.TrimSpace(e.Title)
	e.Description = strings.TrimSpace(e.Description)
	e.Place = strings.TrimSpace(e.Place)
	if e.Title == "" || utf8.RuneCountInString(e.Title) > maxEventTitle {
		f["title"] = "Give the event a title of at most 150 characters."
	}
	if utf8.RuneCountInString(e.Description) > maxEventText {
		f["description"] = "Write a description of at most 5,000 characters."
	}
	if !IsUILanguage(e.Language) {
		f["language"] = "Choose the event's language."
	}
	switch e.Kind {
	case EventOnline:
		if e.Minutes < EventMinMinutes || e.Minutes > EventMaxMinutes {
			f["minutes"] = "An online event lasts 30 to 90 minutes."
		}
	case EventInPerson:
		if e.Place == "" || utf8.RuneCountInString(e.Place) > maxEventPlace {
			f["place"] = "Give the place of an in-person event."
		}
		if e.Minutes < EventMinMinutes || e.Minutes > EventMaxInPerson {
			f["minutes"] = "An in-person event lasts 30 minutes to 8 hours."
		}
	default:
		f["kind"] = "Choose online or in person."
	}
	if len(e.Photos) > EventMaxPhotos {
		f["photos"] = "An event has at most 6 photos."
	}
	for _, ph := range e.Photos {
		if !isSHA256(ph.Hash) || (ph.Thumb != "" && !isSHA256(ph.Thumb)) || !strings.HasPrefix(ph.Type, "image/") {
			f["photos"] = "Upload the event's photos again."
		}
	}
	if e.Expected < 0 || e.Expected > 10000 {
		f["expected"] = "Give the number of participants you expect, up to 10,000."
	}
	switch e.Audience {
	case AudienceAll, AudienceContacts:
		e.Countries = nil
	case AudienceCountries:
		if len(e.Countries) == 0 {
			f["countries"] = "Choose at least one country."
		}
		for _, c := range e.Countries {
			if !ValidCountryCode(c) {
				f["countries"] = "One of the chosen countries does not take part in the programme."
			}
		}
		slices.Sort(e.Countries)
		e.Countries = slices.Compact(e.Countries)
	case AudienceProject:
		e.Countries = nil
		if e.Project == "" || len(e.Contacts) == 0 {
			f["audience"] = "A project meeting is for the members of its TwinSpace."
		}
		if e.Capacity > TwinSpaceMeetingCap {
			f["audience"] = "A project meeting has at most 25 participants."
		}
	default:
		f["audience"] = "Choose who the event is for."
	}
	if e.Start.IsZero() {
		f["date"] = "Choose a date and a time slot."
	} else if !e.Start.After(now) {
		f["date"] = "The event must start in the future."
	}
	if len(f) > 0 {
		return &Error{Code: EINVALID, Message: "The event cannot be saved; correct the fields shown.", Fields: f}
	}
	return nil
}

// EventViewer is who looks at an event: a member's actor URL, their
// country, and whether the organiser counts them among their contacts.
type EventViewer struct {
	Actor   string
	Country string
}

// CanSeeEvent is the audience rule: the organiser and invited members
// always; everyone for AudienceAll; the organiser's contacts (as the event
// lists them) for AudienceContacts; members of the chosen countries for
// AudienceCountries.
func CanSeeEvent(e *Event, v EventViewer) bool {
	if v.Actor == "" {
		return false
	}
	if v.Actor == e.Organiser || slices.Contains(e.Invited, v.Actor) {
		return true
	}
	switch e.Audience {
	case AudienceAll:
		return true
	case AudienceContacts, AudienceProject:
		return slices.Contains(e.Contacts, v.Actor)
	case AudienceCountries:
		return slices.Contains(e.Countries, v.Country)
	}
	return false
}

// CanNodeSeeEvent is the audience rule for nodes: whether the node at host
// (a URL's host, twinfed.URLHost), whose country the registry lists as
// country ("" when it lists no active node there), keeps a copy of e and
// may read what its home node serves of it (photos, files, the counts of
// places): its home node; the nodes of its contacts and invited members;
// every node for AudienceAll; the chosen countries' nodes for
// AudienceCountries.
func CanNodeSeeEvent(e *Event, host, country string) bool {
	if host == "" {
		return false
	}
	if URLHost(e.ID) == host || slices.ContainsFunc(e.Contacts, func(a string) bool { return URLHost(a) == host }) ||
		slices.ContainsFunc(e.Invited, func(a string) bool { return URLHost(a) == host }) {
		return true
	}
	switch e.Audience {
	case AudienceAll:
		return country != ""
	case AudienceCountries:
		return country != "" && slices.Contains(e.Countries, country)
	}
	return false
}

// BookingState is where a booking stands at the event's home node.
type BookingState string

// Booking states.
const (
	BookingConfirmed BookingState = "confirmed"
	BookingWaiting   BookingState = "waiting"
)

// DecideBooking is the capacity rule the home node applies to each
// booking in arrival order: confirmed while places remain, else on the
// waiting list.
func DecideBooking(confirmed, capacity int) BookingState {
	if confirmed < capacity {
		return BookingConfirmed
	}
	return BookingWaiting
}

// CanBook reports why a member may not book an event at now: it has
// ended, or the viewer is not in its audience. nil when they may.
func CanBook(e *Event, v EventViewer, now time.Time) error {
	if !CanSeeEvent(e, v) {
		return Errorf(EFORBIDDEN, "This event is not open to you.")
	}
	if e.Cancelled {
		return Errorf(EINVALID, "This event is cancelled.")
	}
	if !now.Before(e.End()) {
		return Errorf(EINVALID, "This event is over.")
	}
	if e.Capacity <= 0 {
		return Errorf(EINVALID, "This event takes no bookings.")
	}
	return nil
}

// EventSlots returns the starts of the slots of day (a date in the
// programme's zone loc) where an online event of minutes still finds one of
// rooms meeting rooms free, given the online events already booked that
// day, and which start after now.
func EventSlots(day time.Time, loc *time.Location, minutes, rooms int, booked []*Event, now time.Time) []time.Time {
	y, m, d := day.Date()
	var out []time.Time
	for h := EventFirstSlotHour * 60; h+minutes <= EventLastSlotHour*60; h += EventSlotMinutes {
		start := time.Date(y, m, d, h/60, h%60, 0, 0, loc)
		if !start.After(now) {
			continue
		}
		if FreeRoom(start, minutes, rooms, booked) > 0 {
			out = append(out, start)
		}
	}
	return out
}

// FreeRoom returns a meeting room (1 to rooms) free for minutes from
// start, given the online events booked; 0 when none is.
func FreeRoom(start time.Time, minutes, rooms int, booked []*Event) int {
	end := start.Add(time.Duration(minutes) * time.Minute)
	taken := map[int]bool{}
	for _, e := range booked {
		if e.Kind == EventOnline && e.Overlaps(start, end) {
			taken[e.Room] = true
		}
	}
	for r := 1; r <= rooms; r++ {
		if !taken[r] {
			return r
		}
	}
	return 0
}

// CanEditEvent is the rule of changing or cancelling an event at now:
// only its organiser (actor), only before it ends, and not once it is
// cancelled. nil when they may.
func CanEditEvent(e *Event, actor string, now time.Time) error {
	if actor == "" || actor != e.Organiser {
		return Errorf(EFORBIDDEN, "Only the organiser changes or cancels an event.")
	}
	if e.Cancelled {
		return Errorf(EINVALID, "This event is cancelled.")
	}
	if !now.Before(e.End()) {
		return Errorf(EINVALID, "This event is over.")
	}
	return nil
}

// CheckEventChange checks what an edit changes from old to e, beyond
// ValidateEvent: the type stays (online or in person); the audience may
// only widen (to every member, or to more countries), never leave out
// someone who could see the event; a TwinSpace meeting stays one; and
// the expected participants are at least the confirmed bookings. The
// error is EINVALID with a message per field.
func CheckEventChange(old, e *Event, confirmed int) error {
	f := map[string]string{}
	if e.Kind != old.Kind {
		f["kind"] = "An event's type cannot change; cancel it and create another."
	}
	widens := false
	switch {
	case old.Audience == AudienceProject || e.Audience == AudienceProject:
		widens = old.Audience == e.Audience && old.Project == e.Project
	case e.Audience == AudienceAll:
		widens = true
	case e.Audience == old.Audience && e.Audience == AudienceCountries:
		widens = true
		for _, c := range old.Countries {
			if !slices.Contains(e.Countries, c) {
				widens = false
			}
		}
	default:
		widens = e.Audience == old.Audience
	}
	if !widens {
		f["audience"] = "An event's audience can only widen: to every member, or to more countries."
	}
	if e.Expected > 0 && e.Expected < confirmed {
		f["expected"] = "More participants have booked already; expect at least as many."
	}
	if len(f) > 0 {
		return &Error{Code: EINVALID, Message: "The event cannot be saved; correct the fields shown.", Fields: f}
	}
	return nil
}

// isSHA256 reports whether s is a SHA-256 in lowercase hex, as a photo's
// hash must be.
func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// CanUseEventTools is the rule of an event's forum: its organiser and
// its confirmed participants (confirmed: actor's booking is confirmed)
// read and write there, and nobody once the event is cancelled. nil when
// actor may.
func CanUseEventTools(e *Event, actor string, confirmed bool) error {
	if actor == "" || (actor != e.Organiser && !confirmed) {
		return Errorf(EFORBIDDEN, "Only the organiser and the confirmed participants use the event's forum.")
	}
	if e.Cancelled {
		return Errorf(EINVALID, "This event is cancelled.")
	}
	return nil
}

// CanHaveEventCertificate is the rule of a certificate of participation
// in an event: once a certifying event has ended (at now), to those its
// organiser recorded as present (attended, actor URLs), whichever node
// they are members of. nil when actor may have one.
func CanHaveEventCertificate(e *Event, actor string, attended []string, now time.Time) error {
	if actor == "" || !e.Certifying || now.Before(e.End()) || !slices.Contains(attended, actor) {
		return Errorf(EFORBIDDEN, "A certificate of participation is given, after a certifying event, to those the organiser recorded as present.")
	}
	return nil
}
