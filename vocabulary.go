package twinfed

import (
	"encoding/json"
	"slices"
	"strings"
)

// The vocabularies: subjects, school roles, school levels (school.go) and
// pupil age bands. Each is one list of stable ids, stored as ids and shown
// through the catalogue's messages (subject.<id>, role.<id>, level.<id>,
// ageband.<id>) in the reader's language. A value that is not an id (text
// an earlier version stored, or a peer still sends) is mapped to its id
// when read (SubjectID, RoleID), so that nothing stored before is lost.

// subjectAliases maps the names earlier versions and other nodes used
// (normalised as vocabKey does) to subject ids.
var subjectAliases = map[string]string{
	"computer_science": "computing", "informatics": "computing", "ict": "computing", "coding": "computing",
	"languages": "foreign_languages", "foreign_language": "foreign_languages", "modern_languages": "foreign_languages",
	"maths": "mathematics", "math": "mathematics",
	"pe": "physical_education", "sport": "physical_education", "sports": "physical_education",
	"arts": "art", "art_education": "art", "visual_arts": "art",
	"civics": "citizenship", "civic_education": "citizenship",
	"natural_sciences": "science", "sciences": "science",
	"religious_education":       "religion",
	"special_educational_needs": "special_needs", "special_education": "special_needs",
	"preschool": "pre_school", "kindergarten": "pre_school",
	"vocational_subjects": "vocational", "vocational_training": "vocational",
	"interdisciplinary": "cross_curricular",
	"mother_tongue":     "native_language",
}

// roleAliases maps the names a role was written as to role ids.
var roleAliases = map[string]string{
	"headteacher": "head_teacher", "head": "head_teacher", "principal": "head_teacher", "school_head": "head_teacher",
	"teacher_librarian": "librarian", "counsellor": "guidance_counsellor",
}

// vocabKey is s as an id would write it: trimmed, lower case, words joined
// by underscores; "subject." and "role." prefixes (message ids stored by
// mistake) are dropped.
func vocabKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "subject."), "role.")
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' || r == '_' }), "_")
}

func vocabID(list []string, aliases map[string]string, s string) (string, bool) {
	if slices.Contains(list, s) {
		return s, true
	}
	k := vocabKey(s)
	if a, ok := aliases[k]; ok {
		k = a
	}
	if slices.Contains(list, k) {
		return k, true
	}
	return s, false
}

// SubjectID returns the id of subject s: s itself when it is one of
// Subjects, else the id its name or alias stands for ("English",
// "Computer science"), with ok true; s unchanged and ok false when it
// names no subject of the list.
func SubjectID(s string) (id string, ok bool) { return vocabID(Subjects, subjectAliases, s) }

// RoleID returns the id of school role s as SubjectID does for subjects.
func RoleID(s string) (id string, ok bool) { return vocabID(SchoolRoles, roleAliases, s) }

// SubjectList is a list of subject ids. Read from JSON (a stored record, a
// peer's activity), its names are mapped to ids by SubjectID; a value that
// names no subject is kept as it was given, without repeats.
type SubjectList []string

// UnmarshalJSON reads a list of strings and maps each to its subject id.
func (l *SubjectList) UnmarshalJSON(b []byte) error {
	var raw []string
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*l = SubjectIDs(raw)
	return nil
}

// SubjectIDs maps each of names to its subject id (SubjectID), keeping a
// value that names no subject, and drops repeats; nil for an empty list.
func SubjectIDs(names []string) SubjectList {
	var out SubjectList
	for _, n := range names {
		id, _ := SubjectID(n)
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// AgeBand is a band of pupils' ages as the programme groups them (the
// partner-finding threads, the search filters).
type AgeBand struct {
	ID       string `json:"id"`
	Min, Max int    // inclusive
}

// AgeBands lists the bands, youngest first; together they cover 0 to 25,
// the ages CheckPreferences accepts.
var AgeBands = []AgeBand{
	{"age_0_5", 0, 5},
	{"age_6_11", 6, 11},
	{"age_12_15", 12, 15},
	{"age_16_19", 16, 19},
	{"age_20_plus", 20, 25},
}

// AgeBandByID returns the band of id, ok false when there is none.
func AgeBandByID(id string) (AgeBand, bool) {
	for _, b := range AgeBands {
		if b.ID == id {
			return b, true
		}
	}
	return AgeBand{}, false
}

// AgeBandsOf returns the ids of the bands ages fall in, youngest first.
func AgeBandsOf(ages []int) []string {
	var out []string
	for _, b := range AgeBands {
		if slices.ContainsFunc(ages, func(a int) bool { return a >= b.Min && a <= b.Max }) {
			out = append(out, b.ID)
		}
	}
	return out
}
