package twinfed

import (
	"slices"
	"strings"
)

// Preferences is step 3 of registration, and the editable profile.
type Preferences struct {
	Description string      `json:"description"`
	Languages   []string    `json:"languages"`
	PupilAges   []int       `json:"pupil_ages"`
	Subjects    SubjectList `json:"subjects"`
	Interests   []string    `json:"interests"`
	Available   Available   `json:"available"`
	Public      []string    `json:"public"` // PublicFields to show; nil keeps the current choice
}

// Subjects offered by the forms.
var Subjects = []string{"art", "biology", "chemistry", "citizenship", "computing", "cross_curricular", "economics", "english", "foreign_languages", "geography", "history", "mathematics", "music", "native_language", "physical_education", "physics", "pre_school", "religion", "science", "special_needs", "technology", "vocational"}

// Languages offered by the forms (ISO 639-1).
var Languages = []string{"bg", "ca", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv", "tr", "uk"}

// CheckPreferences normalises pr (subjects mapped to their ids by
// SubjectIDs, interests trimmed, empty ones dropped;
// pupil ages sorted, without repeats) and checks it: at least one language
// and subject from the lists, pupil ages from 0 to 25, a description of at
// most 4000 characters, at most 20 interests of at most 60 characters, known
// public fields. The description is checked as given: a caller that
// sanitises it does so first. It returns one EINVALID error naming every
// wrong field, or nil.
func CheckPreferences(pr *Preferences) error {
	f := map[string]string{}
	pr.Subjects = SubjectIDs(pr.Subjects)
	if len(pr.Description) > 4000 {
		f["description"] = "The description is too long (at most 4000 characters)."
	}
	if len(pr.Languages) == 0 {
		f["languages"] = "Choose at least one language you communicate in."
	}
	for _, l := range pr.Languages {
		if !slices.Contains(Languages, l) {
			f["languages"] = "Choose languages from the list."
		}
	}
	if len(pr.PupilAges) == 0 {
		f["pupil_ages"] = "Choose the ages of the pupils you would involve."
	}
	for _, a := range pr.PupilAges {
		if a < 0 || a > 25 {
			f["pupil_ages"] = "Pupil ages go from 0 to 25."
		}
	}
	if len(pr.Subjects) == 0 {
		f["subjects"] = "Choose at least one subject."
	}
	for _, sub := range pr.Subjects {
		if !slices.Contains(Subjects, sub) {
			f["subjects"] = "Choose subjects from the list."
		}
	}
	var interests []string
	for _, i := range pr.Interests {
		if i = strings.TrimSpace(i); i != "" {
			if len(i) > 60 {
				f["interests"] = "Each interest is at most 60 characters."
			}
			interests = append(interests, i)
		}
	}
	if len(interests) > 20 {
		f["interests"] = "List at most 20 interests."
	}
	pr.Interests = interests
	for _, pf := range pr.Public {
		if !slices.Contains(PublicFields, pf) {
			f["public"] = "Unknown public field."
		}
	}
	slices.Sort(pr.PupilAges)
	pr.PupilAges = slices.Compact(pr.PupilAges)
	if len(f) > 0 {
		return &Error{Code: EINVALID, Message: "Some fields need your attention.", Fields: f}
	}
	return nil
}

// ApplyTo copies the preferences into m's record; a nil Public keeps m's
// choice of public fields.
func (pr Preferences) ApplyTo(m *Member) {
	m.Description, m.Languages, m.PupilAges, m.Subjects, m.Interests, m.Available = pr.Description, pr.Languages, pr.PupilAges, pr.Subjects, pr.Interests, pr.Available
	if pr.Public != nil {
		m.Public = pr.Public
	}
}
