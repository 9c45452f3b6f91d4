package twinfed

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestSubjectID(t *testing.T) {
	for _, c := range []struct {
		in, id string
		ok     bool
	}{
		{"english", "english", true},
		{"English", "english", true},
		{" Computer science ", "computing", true},
		{"Languages", "foreign_languages", true},
		{"Physical education", "physical_education", true},
		{"Cross-curricular", "cross_curricular", true},
		{"subject.English", "english", true},
		{"Robotics", "Robotics", false},
	} {
		id, ok := SubjectID(c.in)
		if id != c.id || ok != c.ok {
			t.Errorf("SubjectID(%q) = %q, %v; want %q, %v", c.in, id, ok, c.id, c.ok)
		}
	}
	if id, ok := RoleID("Head teacher"); id != "head_teacher" || !ok {
		t.Errorf("RoleID(Head teacher) = %q, %v", id, ok)
	}
}

// A record stored with subjects' names (the demo data of earlier versions,
// an older peer) reads as ids; a name that is no subject is kept.
func TestSubjectList_ReadsNames(t *testing.T) {
	var m Member
	if err := json.Unmarshal([]byte(`{"username":"giulia","subjects":["English","Geography","english","Robotics"]}`), &m); err != nil {
		t.Fatal(err)
	}
	if want := (SubjectList{"english", "geography", "Robotics"}); !slices.Equal(m.Subjects, want) {
		t.Fatalf("subjects read as %q, want %q", m.Subjects, want)
	}
	if err := json.Unmarshal([]byte(`{"subjects":"english"}`), &m); err == nil {
		t.Fatal("a string read as a list of subjects")
	}
}

func TestAgeBands(t *testing.T) {
	for age := 0; age <= 25; age++ {
		if n := len(AgeBandsOf([]int{age})); n != 1 {
			t.Errorf("age %d is in %d bands", age, n)
		}
	}
	if got := AgeBandsOf([]int{7, 8, 13}); !slices.Equal(got, []string{"age_6_11", "age_12_15"}) {
		t.Errorf("AgeBandsOf(7, 8, 13) = %v", got)
	}
	if b, ok := AgeBandByID("age_12_15"); !ok || b.Min != 12 || b.Max != 15 {
		t.Errorf("AgeBandByID(age_12_15) = %+v, %v", b, ok)
	}
}
