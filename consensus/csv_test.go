package consensus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// The header names the columns in any order, case and spacing; a
// repeated column counts its last copy (as it always did), unknown
// columns are ignored, an empty field is an empty value.
func TestParseSchoolsCSV_ColumnsByHeader(t *testing.T) {
	in := " Level ,extra,COUNTRY,legal_name,city,city,course_years\n" +
		"secondary,x, IT ,Liceo Volta,Roma,Como,5\n" +
		"\n" + // an empty line is no record
		"primary,y,FR,École Jaurès,,,\n"
	got, err := consensus.ParseSchoolsCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []twinfed.School{
		{Country: "IT", LegalName: "Liceo Volta", City: "Como", Level: "secondary", CourseYears: 5},
		{Country: "FR", LegalName: "École Jaurès", Level: "primary"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d schools, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("school %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseSchoolsCSV_Refusals(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "no header row"},
		{"country,legal_name\nIT,Liceo\n", `lacks the column "level"`},
		{"legal_name,level\nLiceo,secondary\n", `lacks the column "country"`},
		{"country,legal_name,level,course_years\nIT,Liceo,secondary,5\nIT,Volta,secondary,five\n", "CSV line 3: course_years must be a whole number"},
		{"country,legal_name,level\nIT,Liceo,secondary\nIT,\"Volta,secondary\n", "CSV line 3"},
	} {
		_, err := consensus.ParseSchoolsCSV(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one saying %q", tc.in, err, tc.want)
		}
	}
}

// An import posted as CSV to a follower is parsed, checked and written
// in chunks: every school is there, in the order of the body.
func TestImportCSV_ThroughAFollower(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	c.MustWaitSeeded(t)
	lead := c.MustLeader(t)
	follower := c.URLs[(lead+1)%3]
	var body strings.Builder
	body.WriteString("country,legal_name,level,national_number\n")
	const n = consensus.ImportChunk + 7
	for i := range n {
		fmt.Fprintf(&body, "IT,Scuola %d,primary,IT-CSV-%d\n", i, i)
	}
	req, _ := http.NewRequest(http.MethodPost, follower+"/v1/schools/import", strings.NewReader(body.String()))
	req.Header.Set("Authorization", "Bearer "+c.AdminToken)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res consensus.WriteResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK || res.Count != n || len(res.IDs) != n {
		t.Fatalf("import: %s %v, %d schools, %d ids", resp.Status, err, res.Count, len(res.IDs))
	}
	admin := c.AdminClient(t)
	for _, i := range []int{0, consensus.ImportChunk, n - 1} {
		s, _, err := admin.ConsistentSchool(context.Background(), res.IDs[i])
		if err != nil || s.NationalNumber != fmt.Sprintf("IT-CSV-%d", i) || s.LegalName != fmt.Sprintf("Scuola %d", i) {
			t.Fatalf("school %d: %+v %v", i, s, err)
		}
	}
}
