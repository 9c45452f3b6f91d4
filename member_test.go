package twinfed_test

import (
	"testing"

	"github.com/twinfed/twinfed"
)

func TestRegistrationStep(t *testing.T) {
	school := []twinfed.MemberSchool{{SchoolID: "s1", Name: "IC Uno"}}
	withRole := []twinfed.MemberSchool{{SchoolID: "s1", Name: "IC Uno", Role: "teacher"}}
	proposed := []twinfed.MemberSchool{{ProposalID: "p1", Name: "IC Nuovo", Role: "teacher"}}
	for _, tc := range []struct {
		name string
		m    twinfed.Member
		want int
	}{
		{"nothing yet", twinfed.Member{}, 1},
		{"preferences without a school", twinfed.Member{Languages: []string{"it"}, Subjects: []string{"music"}, PupilAges: []int{10}}, 1},
		{"school, no role", twinfed.Member{Schools: school}, 2},
		{"school and role", twinfed.Member{Schools: withRole}, 3},
		{"no languages", twinfed.Member{Schools: withRole, Subjects: []string{"music"}, PupilAges: []int{10}}, 3},
		{"no subjects", twinfed.Member{Schools: withRole, Languages: []string{"it"}, PupilAges: []int{10}}, 3},
		{"no pupil ages", twinfed.Member{Schools: withRole, Languages: []string{"it"}, Subjects: []string{"music"}}, 3},
		{"all done", twinfed.Member{Schools: withRole, Languages: []string{"it"}, Subjects: []string{"music"}, PupilAges: []int{10}}, 4},
		{"proposed school counts", twinfed.Member{Schools: proposed, Languages: []string{"it"}, Subjects: []string{"music"}, PupilAges: []int{10}}, 4},
		{"only the main school's role counts", twinfed.Member{Schools: append([]twinfed.MemberSchool{{SchoolID: "s2"}}, withRole...)}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := twinfed.RegistrationStep(&tc.m); got != tc.want {
				t.Errorf("RegistrationStep = %d, want %d", got, tc.want)
			}
		})
	}
}
