package twinfed

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Professional development (DOMAIN.md "Professional development"): the
// agencies publish training — learning events, expert talks, webinars,
// workshops, seminars, conferences — members apply, and where places are
// limited each member's own agency selects among its applicants. The rules
// below are asked by node/training, its pages and its inbound handlers
// alike.

// TrainingKind is the kind of a training offer. Its value names the
// message "training.kind.<kind>" of the web catalogues.
type TrainingKind string

// Training kinds.
const (
	TrainingLearningEvent    TrainingKind = "learning_event"    // a few days of active work online, limited places per country
	TrainingExpertTalk       TrainingKind = "expert_talk"       // an expert's talk online
	TrainingWebinar          TrainingKind = "webinar"           // a platform webinar
	TrainingNationalWorkshop TrainingKind = "national_workshop" // an in-person workshop in one country (PDW)
	TrainingRegionalWorkshop TrainingKind = "regional_workshop" // an in-person workshop for a region's countries
	TrainingSeminar          TrainingKind = "seminar"           // a bilateral or multilateral seminar
	TrainingConference       TrainingKind = "conference"        // a national or European conference
)

// TrainingKinds are the kinds in the order the forms and filters list them.
var TrainingKinds = []TrainingKind{TrainingLearningEvent, TrainingExpertTalk, TrainingWebinar,
	TrainingNationalWorkshop, TrainingRegionalWorkshop, TrainingSeminar, TrainingConference}

// TrainingAudience is whose members may apply: the publishing agency's
// country only, or every country of the programme.
type TrainingAudience string

// Training audiences.
const (
	TrainingOwnCountry   TrainingAudience = "country"
	TrainingAllCountries TrainingAudience = "all"
)

// The bounds of a training offer.
const (
	maxTrainingTitle  = 150
	maxTrainingText   = 5000
	maxTrainingPlace  = 200
	MaxTrainingPlaces = 1000 // the most places per country
	MaxTrainingDays   = 60   // the longest training, first to last day
	maxRefusalReason  = 500
)

// Training is a training offer as the publishing agency's node holds it,
// and as every other node keeps it. Start and End are the first and the
// last day (midnight in the programme's zone); applications close at
// Deadline.
type Training struct {
	ID            string           `json:"id"` // URL under the publishing node's base URL
	Kind          TrainingKind     `json:"kind"`
	Title         string           `json:"title"`
	Description   string           `json:"description"` // plain text
	Language      string           `json:"language"`
	Place         string           `json:"place,omitempty"` // "": online
	Start         time.Time        `json:"start"`
	End           time.Time        `json:"end"`
	Deadline      time.Time        `json:"deadline"`
	Places        int              `json:"places"` // per country; 0: unlimited, applying confirms at once
	Audience      TrainingAudience `json:"audience"`
	Country       string           `json:"country"`        // the publishing agency's
	Publisher     string           `json:"publisher"`      // its agency actor URL
	PublisherName string           `json:"publisher_name"` // the agency's name
	Cancelled     bool             `json:"cancelled,omitempty"`
	Published     time.Time        `json:"published"`
	Version       int              `json:"version"`
}

// Days is how many days the training spans, first and last included.
func (t *Training) Days() int {
	return int(t.End.Sub(t.Start).Round(24*time.Hour)/(24*time.Hour)) + 1
}

// Open reports whether applications are open at now.
func (t *Training) Open(now time.Time) bool { return !t.Cancelled && now.Before(t.Deadline) }

// Limited reports whether the training has a limited number of places per
// country, which the member's agency gives out.
func (t *Training) Limited() bool { return t.Places > 0 }

// IsTrainingKind reports whether k is a known kind of training.
func IsTrainingKind(k TrainingKind) bool { return slices.Contains(TrainingKinds, k) }

// ValidateTraining checks a new or changed training offer at now: every
// field, the kind, the days (the first not before today, the last not
// before the first, at most MaxTrainingDays), the deadline (in the future,
// not after the last day), the places per country (0 to MaxTrainingPlaces)
// and the audience. The error is EINVALID with a message per field.
func ValidateTraining(t *Training, now time.Time) error {
	f := map[string]string{}
	t.Title = strings.TrimSpace(t.Title)
	t.Description = strings.TrimSpace(t.Description)
	t.Place = strings.TrimSpace(t.Place)
	if t.Title == "" || utf8.RuneCountInString(t.Title) > maxTrainingTitle {
		f["title"] = "Give the training a title of at most 150 characters."
	}
	if utf8.RuneCountInString(t.Description) > maxTrainingText {
		f["description"] = "Write a description of at most 5,000 characters."
	}
	if utf8.RuneCountInString(t.Place) > maxTrainingPlace {
		f["place"] = "Give a place of at most 200 characters, or none for an online training."
	}
	if !IsUILanguage(t.Language) {
		f["language"] = "Choose the training's language."
	}
	if !IsTrainingKind(t.Kind) {
		f["kind"] = "Choose the kind of training."
	}
	if t.Places < 0 || t.Places > MaxTrainingPlaces {
		f["places"] = "Give the places per country, from 0 (unlimited) to 1,000."
	}
	if t.Audience != TrainingOwnCountry && t.Audience != TrainingAllCountries {
		f["audience"] = "Choose who may apply."
	}
	if !ValidCountryCode(t.Country) {
		f["country"] = "The publishing agency's country does not take part in the programme."
	}
	today := now.Add(-24 * time.Hour)
	switch {
	case t.Start.IsZero():
		f["start"] = "Choose the first day."
	case t.Start.Before(today):
		f["start"] = "The training cannot start in the past."
	}
	switch {
	case t.End.IsZero():
		f["end"] = "Choose the last day."
	case !t.Start.IsZero() && t.End.Before(t.Start):
		f["end"] = "The last day cannot be before the first."
	case !t.Start.IsZero() && t.End.Sub(t.Start) >= MaxTrainingDays*24*time.Hour:
		f["end"] = "A training lasts at most 60 days."
	}
	switch {
	case t.Deadline.IsZero():
		f["deadline"] = "Choose when applications close."
	case !t.Deadline.After(now):
		f["deadline"] = "Applications must close in the future."
	case !t.End.IsZero() && t.Deadline.After(t.End.Add(24*time.Hour)):
		f["deadline"] = "Applications must close by the last day."
	}
	if len(f) > 0 {
		return &Error{Code: EINVALID, Message: "The training cannot be saved; correct the fields shown.", Fields: f}
	}
	return nil
}

// CanPublishTraining is who publishes training: an agency's staff, for
// their agency (the training's country is their node's).
func CanPublishTraining(p *Principal) error {
	if !p.IsAgency() {
		return Errorf(EFORBIDDEN, "Only your agency's staff publish training.")
	}
	return nil
}

// TrainingOpenTo reports whether members of country may see and apply to
// t: every country, or the publishing agency's own.
func TrainingOpenTo(t *Training, country string) bool {
	return t.Audience == TrainingAllCountries || t.Country == country
}

// ApplicationState is where a member's application stands, as their own
// node records it.
type ApplicationState string

// Application states.
const (
	ApplicationPending   ApplicationState = "applied"   // waiting for the member's agency to select
	ApplicationAccepted  ApplicationState = "accepted"  // a place is the member's
	ApplicationWaiting   ApplicationState = "waiting"   // on the waiting list
	ApplicationRefused   ApplicationState = "refused"   // refused, with a reason
	ApplicationCompleted ApplicationState = "completed" // took part to the end: a certificate
)

// CanApply reports why a member of country may not apply to t at now,
// their current application being cur (""  when none): the training is
// cancelled or closed, not open to their country, or they applied
// already. nil when they may.
func CanApply(t *Training, country string, cur ApplicationState, now time.Time) error {
	switch {
	case t.Cancelled:
		return Errorf(EINVALID, "This training was cancelled.")
	case !TrainingOpenTo(t, country):
		return Errorf(EFORBIDDEN, "This training is not open to members of your country.")
	case cur != "":
		return Errorf(ECONFLICT, "You have applied to this training already.")
	case !t.Open(now):
		return Errorf(EINVALID, "Applications to this training are closed.")
	}
	return nil
}

// FirstState is the state of a new application: accepted at once when the
// training's places are unlimited, else waiting for the member's agency.
func FirstState(t *Training) ApplicationState {
	if t.Limited() {
		return ApplicationPending
	}
	return ApplicationAccepted
}

// DecideApplication is the selection rule: only the staff of the
// applicant's own country (staffCountry, their node's, equal to
// applicantCountry) decide; they accept, put on the waiting list or refuse
// with a reason an application not yet completed; accepting is refused
// when the country's places (Places) are all taken by accepted applicants
// (accepted, not counting this one). nil when the decision stands.
func DecideApplication(t *Training, p *Principal, staffCountry, applicantCountry string, cur, to ApplicationState, reason string, accepted int) error {
	if !p.IsAgency() || staffCountry == "" || staffCountry != applicantCountry {
		return Errorf(EFORBIDDEN, "Only the applicant's own agency decides on their application.")
	}
	switch cur {
	case ApplicationPending, ApplicationAccepted, ApplicationWaiting, ApplicationRefused:
	case ApplicationCompleted:
		return Errorf(ECONFLICT, "This participant has completed the training already.")
	default:
		return Errorf(ENOTFOUND, "There is no such application.")
	}
	if t.Cancelled {
		return Errorf(EINVALID, "This training was cancelled.")
	}
	switch to {
	case ApplicationAccepted:
		if t.Limited() && cur != ApplicationAccepted && accepted >= t.Places {
			return Errorf(ECONFLICT, "Every place of your country is taken; put the application on the waiting list.")
		}
	case ApplicationWaiting:
	case ApplicationRefused:
		if r := strings.TrimSpace(reason); r == "" || utf8.RuneCountInString(r) > maxRefusalReason {
			return FieldError("reason", "Give the reason for the refusal, in at most 500 characters.")
		}
	default:
		return Errorf(EINVALID, "Choose accept, waiting list or refuse.")
	}
	return nil
}

// CanComplete is the completion rule: the applicant's own agency marks an
// accepted participant as having completed the training, once it has
// started.
func CanComplete(t *Training, p *Principal, staffCountry, applicantCountry string, cur ApplicationState, now time.Time) error {
	if !p.IsAgency() || staffCountry == "" || staffCountry != applicantCountry {
		return Errorf(EFORBIDDEN, "Only the applicant's own agency decides on their application.")
	}
	if cur != ApplicationAccepted && cur != ApplicationCompleted {
		return Errorf(ECONFLICT, "Only an accepted participant completes the training.")
	}
	if now.Before(t.Start) {
		return Errorf(EINVALID, "A participant completes the training once it has started.")
	}
	return nil
}

// HasTrainingCertificate reports whether an application in state st gives
// a certificate of participation: only a completed one.
func HasTrainingCertificate(st ApplicationState) bool { return st == ApplicationCompleted }
