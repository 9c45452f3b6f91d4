package account

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed"
)

// A member's preferences and public fields: registration's step 3 and the
// profile page.

// Preferences is step 3 of registration, and the editable profile
// (twinfed.Preferences: the registration shares it).
type Preferences = twinfed.Preferences

// CheckPreferences sanitises the description and asks the root rule,
// twinfed.CheckPreferences (registration's step 3, the profile page).
func (s *Service) CheckPreferences(pr *Preferences) error {
	pr.Description = s.html.Sanitize(pr.Description)
	return twinfed.CheckPreferences(pr)
}

// ApplyPreferences sets a member's preferences (the public fields only
// when pr.Public is given).
func ApplyPreferences(m *twinfed.Member, pr Preferences) { pr.ApplyTo(m) }

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
