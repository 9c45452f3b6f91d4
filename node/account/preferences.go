package account

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed"
)

// A member's preferences and public fields: registration's step 3 and the
// profile page.

// Preferences is step 3 of registration, and the editable profile.
type Preferences struct {
	Description string            `json:"description"`
	Languages   []string          `json:"languages"`
	PupilAges   []int             `json:"pupil_ages"`
	Subjects    []string          `json:"subjects"`
	Interests   []string          `json:"interests"`
	Available   twinfed.Available `json:"available"`
	Public      []string          `json:"public"` // PublicFields to show; nil keeps the current choice
}

// CheckPreferences normalises and checks preferences (registration's
// step 3, the profile page): the description is sanitised, the languages
// and subjects are the forms' (Config).
func (s *Service) CheckPreferences(pr *Preferences) error {
	f := map[string]string{}
	pr.Description = s.html.Sanitize(pr.Description)
	if len(pr.Description) > 4000 {
		f["description"] = "The description is too long (at most 4000 characters)."
	}
	if len(pr.Languages) == 0 {
		f["languages"] = "Choose at least one language you communicate in."
	}
	for _, l := range pr.Languages {
		if !slices.Contains(s.cfg.Languages, l) {
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
		if !slices.Contains(s.cfg.Subjects, sub) {
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
		if !slices.Contains(twinfed.PublicFields, pf) {
			f["public"] = "Unknown public field."
		}
	}
	slices.Sort(pr.PupilAges)
	pr.PupilAges = slices.Compact(pr.PupilAges)
	return invalid(f)
}

// ApplyPreferences sets a member's preferences (the public fields only
// when pr.Public is given).
func ApplyPreferences(m *twinfed.Member, pr Preferences) {
	m.Description, m.Languages, m.PupilAges, m.Subjects, m.Interests, m.Available = pr.Description, pr.Languages, pr.PupilAges, pr.Subjects, pr.Interests, pr.Available
	if pr.Public != nil {
		m.Public = pr.Public
	}
}

// PrefsValues are a member's preferences as the values of the profile's
// form.
func PrefsValues(m *twinfed.Member) url.Values {
	v := url.Values{}
	v.Set("description", m.Description)
	v.Set("interests", strings.Join(m.Interests, ", "))
	v["languages"] = m.Languages
	v["subjects"] = m.Subjects
	for _, a := range m.PupilAges {
		v.Add("pupil_ages", strconv.Itoa(a))
	}
	v["public"] = m.Public
	if m.Available.Project {
		v.Set("avail_project", "on")
	}
	if m.Available.Erasmus {
		v.Set("avail_erasmus", "on")
	}
	if m.Available.ProjKit {
		v.Set("avail_kit", "on")
	}
	return v
}

// PrefsFromForm reads preferences from the profile's form; withPublic
// reads the public fields too.
func PrefsFromForm(f url.Values, withPublic bool) (Preferences, error) {
	pr := Preferences{Description: f.Get("description"), Languages: f["languages"], Subjects: f["subjects"],
		Available: twinfed.Available{Project: f.Get("avail_project") != "", Erasmus: f.Get("avail_erasmus") != "", ProjKit: f.Get("avail_kit") != ""}}
	for _, a := range f["pupil_ages"] {
		n, err := strconv.Atoi(a)
		if err != nil {
			return pr, twinfed.FieldError("pupil_ages", "Pupil ages go from 0 to 25.")
		}
		pr.PupilAges = append(pr.PupilAges, n)
	}
	for _, i := range strings.Split(f.Get("interests"), ",") {
		pr.Interests = append(pr.Interests, i)
	}
	if withPublic {
		pr.Public = f["public"]
		if pr.Public == nil {
			pr.Public = []string{}
		}
	}
	return pr, nil
}
