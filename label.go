package twinfed

import (
	"regexp"
	"strconv"
	"time"
)

// QualityLabel is a National Quality Label as an agency records it.
type QualityLabel struct {
	ProjectID  string    `json:"project_id"` // the project's id (its URL on the founder's node)
	Country    string    `json:"country"`    // the awarding agency's country
	SchoolYear string    `json:"school_year"`
	Score      int       `json:"score"` // 0 to MaxLabelScore
	Recorded   time.Time `json:"recorded,omitzero"`
}

// MaxLabelScore is the highest score of a National Quality Label: six
// criteria, 0 to 5 each (DOMAIN.md, Recognition).
const MaxLabelScore = 30

// ValidLabelScore reports whether score is a National Quality Label's
// score: a whole number from 0 to MaxLabelScore. The node's label form and
// API (node/label) and the registry's check of a label
// (consensus.ValidateNQL) ask it.
func ValidLabelScore(score int) bool { return score >= 0 && score <= MaxLabelScore }

// EuropeanLabelCountries is the rule of the European Quality Label: a
// project becomes eligible for a school year when it holds National
// Quality Labels of that year from at least MinEuropeanLabelCountries
// different countries. It returns those countries, in the order of
// labels, when there are enough of them, and nil otherwise. The registry
// derives a project's EuropeanLabel with it each time an agency records a
// label (consensus, applyNQL); the CSS then confirms the year's list.
func EuropeanLabelCountries(labels []QualityLabel, schoolYear string) []string {
	seen := map[string]bool{}
	var countries []string
	for _, l := range labels {
		if l.SchoolYear == schoolYear && !seen[l.Country] {
			seen[l.Country] = true
			countries = append(countries, l.Country)
		}
	}
	if len(countries) < MinEuropeanLabelCountries {
		return nil
	}
	return countries
}

// MinEuropeanLabelCountries is how many countries' national labels of one
// school year make a project eligible for the European Quality Label.
const MinEuropeanLabelCountries = 2

// European label states.
const (
	EQLEligible = "eligible" // NQLs from at least two countries; waits for the CSS's yearly list
	EQLAwarded  = "awarded"
)

// EuropeanLabel is a project's European Quality Label, derived from its
// national labels by the registry and awarded when the CSS confirms the
// year's list.
type EuropeanLabel struct {
	ProjectID  string    `json:"project_id"`
	SchoolYear string    `json:"school_year"`
	Countries  []string  `json:"countries"` // countries whose NQLs made it eligible
	Status     string    `json:"status"`
	Awarded    time.Time `json:"awarded,omitzero"`
}

// Prize categories of the European prizes (current programme).
const (
	PrizeEarlyChildhood = "early_childhood" // up to 6
	Prize7to11          = "7-11"
	Prize12to15         = "12-15"
	Prize16to19         = "16-19"
	PrizeVocational     = "vocational"
)

// PrizeEntry is a project's entry for a European prize, and its result.
type PrizeEntry struct {
	Year      int       `json:"year"`
	Category  string    `json:"category"`
	ProjectID string    `json:"project_id"`
	Country   string    `json:"country"`          // the entering partner's country
	Result    string    `json:"result,omitempty"` // "", "winner", "runner_up", "not_awarded"
	Entered   time.Time `json:"entered,omitzero"`
}

var schoolYearRE = regexp.MustCompile(`^(\d{4})-(\d{4})$`)

// ParseSchoolYear reads a school year such as 2025-2026 and returns its
// first calendar year; ok is false for anything else (two years that do
// not follow each other, a year before 2000).
func ParseSchoolYear(y string) (first int, ok bool) {
	m := schoolYearRE.FindStringSubmatch(y)
	if m == nil {
		return 0, false
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	return a, b == a+1 && a >= 2000
}

// SchoolYearOf returns the school year t falls in: it starts on 1 September.
func SchoolYearOf(t time.Time) string {
	y := t.Year()
	if t.Month() < time.September {
		y--
	}
	return strconv.Itoa(y) + "-" + strconv.Itoa(y+1)
}
