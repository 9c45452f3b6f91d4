package pupil

import (
	"regexp"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
)

func TestParseClassList(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
		err        string
	}{
		{"blank lines and spaces", "\n  Chloé   Martin \r\n\n\tLuca\n", []string{"Chloé Martin", "Luca"}, ""},
		{"a long line", "Ada\n" + strings.Repeat("é", 61) + "\n", nil, "Line 2 is longer than 60 characters"},
		{"sixty characters", strings.Repeat("é", 60), []string{strings.Repeat("é", 60)}, ""},
		{"bad text", "Ada\nB\xffb", nil, "Line 2 is not valid text"},
		{"empty", "\n \n", nil, "Enter at least one name"},
		{"too many", strings.Repeat("Ada\n", MaxClassList+1), nil, "at most 60 names; this one has 61"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseClassList(tc.text)
			if tc.err != "" {
				if twinfed.ErrorCode(err) != twinfed.EINVALID || !strings.Contains(twinfed.ErrorMessage(err), tc.err) || got != nil {
					t.Fatalf("got %q, %v; want %q", got, err, tc.err)
				}
				return
			}
			if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestNewUsernameAndPassword(t *testing.T) {
	re := regexp.MustCompile(`^[a-z]{2,12}\.[a-hj-np-z2-9]{4}$`)
	for name, prefix := range map[string]string{"Chloé Martin": "chloe.", "Ξένια": "pupil.", "Maximilian-Alexander B.": "maximilianal.", "J": "pupil."} {
		u := NewUsername(name)
		if !strings.HasPrefix(u, prefix) || !re.MatchString(u) {
			t.Errorf("NewUsername(%q) = %q, want %s…", name, u, prefix)
		}
	}
	seen := map[string]bool{}
	for range 200 {
		p := NewPassword()
		if !regexp.MustCompile(`^([bdfghjkmnprstvz][aeiou]){4}[0-9]{3}$`).MatchString(p) || seen[p] {
			t.Fatalf("NewPassword: %q (seen before: %v)", p, seen[p])
		}
		seen[p] = true
	}
}
