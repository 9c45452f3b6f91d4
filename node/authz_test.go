package node_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
)

const apiToken = "an-agency-api-token-of-at-least-32-chars"

// TestAuthorization checks roles on every back-office route, for the web UI
// and the API, and that a node's officer has no power on another node.
func TestAuthorization(t *testing.T) {
	dirIT, dirFR := t.TempDir(), t.TempDir()
	it := MustOpenNode(t, nodeOpts{dir: dirIT, token: apiToken})
	fr := MustOpenNode(t, nodeOpts{dir: dirFR, country: "FR", token: apiToken + "-fr"})
	seedStaff(t, it, "officer", twinfed.RoleAgencyOfficer)
	seedValidated(t, it, "paola", nil)
	seedValidated(t, fr, "claire", nil)
	pending := confirmedSimple(t, it, dirIT, "pietro")
	pending.Form("/register/step/1?propose=1", "/register/step/1", url.Values{"propose": {"1"}, "legal_name": {"IC Uno"}, "city": {"Roma"}, "region": {"Lazio"}, "level": {"primary"}, "institution": {"state"}})
	finishSteps(t, pending)

	member := login(t, it, "paola", "correct horse 1")
	officer := login(t, it, "officer", "staff password 1")
	anon := newBrowser(t, it.URL())

	t.Run("a member cannot reach the back office", func(t *testing.T) {
		for _, path := range []string{"/backoffice", "/backoffice/members", "/backoffice/members/pietro", "/backoffice/schools", "/backoffice/stats", "/backoffice/members.csv", "/backoffice/staff", "/backoffice/labels"} {
			if code, _ := member.Get(path); code != http.StatusForbidden {
				t.Errorf("GET %s as member: %d", path, code)
			}
			if code, _ := anon.Get(path); code != http.StatusSeeOther {
				t.Errorf("GET %s anonymous: %d, want a redirect to login", path, code)
			}
		}
		member.Get("/")
		if code, _, _ := member.Post("/backoffice/members/pietro/validate", url.Values{}); code != http.StatusForbidden {
			t.Errorf("POST validate as member: %d", code)
		}
		var out map[string]any
		for _, path := range []string{"/api/v1/agency/members", "/api/v1/agency/stats", "/api/v1/agency/schools", "/api/v1/agency/members.csv", "/api/v1/agency/labels"} {
			if code := member.API("GET", path, nil, "", &out); code != http.StatusForbidden {
				t.Errorf("GET %s as member: %d", path, code)
			}
			if code := anon.API("GET", path, nil, "", &out); code != http.StatusUnauthorized {
				t.Errorf("GET %s anonymous: %d", path, code)
			}
		}
		if m, _ := it.Accounts().Member(context.Background(), "pietro"); m.Status != twinfed.StatusPending {
			t.Fatalf("pietro changed: %s", m.Status)
		}
	})

	t.Run("an officer is not an admin", func(t *testing.T) {
		officer.Get("/backoffice/staff")
		if code, _, _ := officer.Post("/backoffice/staff", url.Values{"username": {"evil"}, "email": {"e@indire.it"}, "first_name": {"E"}, "last_name": {"V"}, "password": {"staff password 2"}, "role": {"agency_admin"}}); code != http.StatusForbidden {
			t.Fatalf("officer created staff: %d", code)
		}
	})

	t.Run("an IT officer cannot act on FR's members", func(t *testing.T) {
		// The IT session cookie means nothing on FR's node.
		for _, ck := range officer.C.Jar.Cookies(mustURL(it.URL())) {
			if ck.Name == "twinfed_session" {
				req, _ := http.NewRequest("GET", fr.URL()+"/api/v1/agency/members?status=validated", nil)
				req.AddCookie(ck)
				if code, _, _ := officer.Do(req); code != http.StatusUnauthorized {
					t.Fatalf("IT session on FR: %d", code)
				}
			}
		}
		// The IT officer has no account on FR.
		b := newBrowser(t, fr.URL())
		if code, _, _ := b.Form("/login", "/login", url.Values{"username": {"officer"}, "password": {"staff password 1"}}); code != http.StatusUnauthorized {
			t.Fatalf("IT officer logged in on FR: %d", code)
		}
		// IT's API token is refused by FR.
		req, _ := http.NewRequest("POST", fr.URL()+"/api/v1/agency/members/claire/reject", strings.NewReader(`{"reason":"no"}`))
		req.Header.Set("Authorization", "Bearer "+apiToken)
		if code, _, _ := b.Do(req); code != http.StatusUnauthorized {
			t.Fatalf("IT token on FR: %d", code)
		}
		// And on IT's node, FR's member does not exist.
		var out map[string]any
		if code := officer.API("GET", "/api/v1/agency/members/claire", nil, "", &out); code != http.StatusNotFound {
			t.Fatalf("FR member seen on IT: %d", code)
		}
		if m, _ := fr.Accounts().Member(context.Background(), "claire"); m.Status != twinfed.StatusValidated {
			t.Fatal("claire changed")
		}
	})

	t.Run("an unvalidated member cannot do what needs validation", func(t *testing.T) {
		if code, body := pending.Get("/people"); code != http.StatusForbidden || !strings.Contains(body, "validated") {
			t.Fatalf("people directory for a pending member: %d", code)
		}
		if code, _ := pending.Get("/users/pietro"); code != http.StatusNotFound {
			t.Fatalf("pending member's public profile: %d", code)
		}
		var out map[string]any
		pending.Get("/")
		csrf := pending.CSRF()
		if code := pending.API("POST", "/api/v1/me/schools", map[string]any{"school_id": "x", "role": "teacher"}, csrf, &out); code != http.StatusForbidden {
			t.Fatalf("pending member added a school: %d %v", code, out)
		}
		if _, err := it.Directory().LocalProfile(context.Background(), "pietro"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			t.Fatalf("LocalProfile of a pending member: %v", err)
		}
		if code, _ := member.Get("/people"); code != 200 {
			t.Fatalf("people directory for a validated member: %d", code)
		}
	})

	t.Run("the officer rejects with a reason the member sees", func(t *testing.T) {
		officer.Get("/backoffice/members/pietro")
		if code, body, _ := officer.Post("/backoffice/members/pietro/reject", url.Values{"reason": {""}}); code != http.StatusBadRequest || !strings.Contains(body, "reason") {
			t.Fatalf("reject without reason: %d", code)
		}
		officer.Get("/backoffice/members/pietro")
		if code, _, _ := officer.Post("/backoffice/members/pietro/reject", url.Values{"reason": {"Please attach your employment certificate."}}); code != http.StatusSeeOther {
			t.Fatalf("reject: %d\n%s", code, officer.Last)
		}
		if _, body := pending.Get("/"); !strings.Contains(body, "Please attach your employment certificate.") {
			t.Fatalf("the member does not see the reason:\n%s", body)
		}
		if ms := mails(t, it, dirIT, "pietro@scuola.it"); !strings.Contains(ms[len(ms)-1], "employment certificate") {
			t.Fatal("no rejection e-mail")
		}
	})

	t.Run("the API token acts as agency admin", func(t *testing.T) {
		req, _ := http.NewRequest("GET", it.URL()+"/api/v1/agency/stats", nil)
		req.Header.Set("Authorization", "Bearer "+apiToken)
		code, body, _ := anon.Do(req)
		if code != 200 || !strings.Contains(body, `"rejected": 1`) {
			t.Fatalf("stats with token: %d %s", code, body)
		}
		req, _ = http.NewRequest("GET", it.URL()+"/api/v1/agency/members.csv", nil)
		req.Header.Set("Authorization", "Bearer "+apiToken)
		_, body, _ = anon.Do(req)
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil || len(rows) != 3 || rows[0][0] != "username" { // header, paola, pietro (staff excluded)
			t.Fatalf("csv: %v %q", err, body)
		}
		req, _ = http.NewRequest("GET", it.URL()+"/api/v1/agency/stats", nil)
		req.Header.Set("Authorization", "Bearer wrong-token-wrong-token-wrong-token")
		if code, _, _ := anon.Do(req); code != http.StatusUnauthorized {
			t.Fatalf("wrong token: %d", code)
		}
	})
}

func mustURL(s string) *url.URL { u, _ := url.Parse(s); return u }

// TestEligibility_Roles checks every role of the Italian policy at step 2,
// and the school kinds through proposals at step 1.
func TestEligibility(t *testing.T) {
	dir := t.TempDir()
	n := MustOpenNode(t, nodeOpts{dir: dir})
	b := confirmedSimple(t, n, dir, "vera")
	b.Form("/register/step/1?propose=1", "/register/step/1", url.Values{"propose": {"1"}, "legal_name": {"IC Due"}, "city": {"Roma"}, "region": {"Lazio"}, "level": {"primary"}, "institution": {"state"}})
	pol := twinfed.ItalianEligibility()
	for _, role := range twinfed.SchoolRoles {
		t.Run("role "+role, func(t *testing.T) {
			code, body, _ := b.Form("/register/step/2", "/register/step/2", url.Values{"role": {role}})
			refused := contains(pol.RefusedRoles, role)
			switch {
			case refused && (code != http.StatusForbidden || !strings.Contains(body, twinfed.RuleRefusedRoles)):
				t.Fatalf("refused role %s: %d\n%s", role, code, body)
			case !refused && code != http.StatusSeeOther:
				t.Fatalf("eligible role %s: %d\n%s", role, code, body)
			}
		})
	}
	schoolCases := []struct {
		name  string
		level string
		inst  string
		years string
		rule  string
	}{
		{"state primary", "primary", "state", "", ""},
		{"recognised private upper secondary", "upper_secondary", "recognised_private", "", ""},
		{"municipal nursery", "early_childhood", "state", "", ""},
		{"vocational 3 years", "vocational", "state", "3", ""},
		{"vocational 2 years", "vocational", "state", "2", twinfed.RuleMinVocationalYears},
		{"non-recognised private", "primary", "non_recognised_private", "", twinfed.RuleRefusedInstitutions},
		{"university", "other", "university", "", twinfed.RuleRefusedInstitutions},
		{"company", "other", "company", "", twinfed.RuleRefusedInstitutions},
		{"adult education (CPIA, evening courses)", "upper_secondary", "adult_education", "", twinfed.RuleRefusedInstitutions},
		{"other kind", "primary", "other", "", twinfed.RuleAcceptedInst},
		{"other level", "other", "state", "", twinfed.RuleAcceptedLevels},
	}
	b2 := confirmedSimple(t, n, dir, "ugo")
	for _, tc := range schoolCases {
		t.Run("school "+tc.name, func(t *testing.T) {
			code, body, _ := b2.Form("/register/step/1?propose=1", "/register/step/1", url.Values{"propose": {"1"}, "legal_name": {"Scuola " + tc.name}, "city": {"Roma"}, "region": {"Lazio"},
				"level": {tc.level}, "institution": {tc.inst}, "course_years": {tc.years}})
			if tc.rule == "" && code != http.StatusSeeOther {
				t.Fatalf("eligible: %d\n%s", code, body)
			}
			if tc.rule != "" && (code != http.StatusForbidden || !strings.Contains(body, tc.rule)) {
				t.Fatalf("want refusal by %s: %d\n%s", tc.rule, code, body)
			}
		})
	}
	props, _ := n.Agency().ListProposals(context.Background(), &twinfed.Principal{Role: twinfed.RoleAgencyOfficer}, "")
	if len(props) != 1+4 { // vera's and the four eligible ones
		t.Fatalf("refused proposals were stored: %d", len(props))
	}
	// A different policy: a node that accepts ATA staff and universities.
	open := twinfed.Eligibility{AcceptedRoles: twinfed.SchoolRoles, AcceptedInstitutions: twinfed.Institutions}
	n2dir := t.TempDir()
	n2 := MustOpenNode(t, nodeOpts{dir: n2dir, policy: &open, country: "ES"})
	b3 := confirmedSimple(t, n2, n2dir, "pepe")
	if code, body, _ := b3.Form("/register/step/1?propose=1", "/register/step/1", url.Values{"propose": {"1"}, "legal_name": {"Universidad"}, "city": {"Madrid"}, "region": {"Madrid"}, "level": {"other"}, "institution": {"university"}}); code != http.StatusSeeOther {
		t.Fatalf("open policy, university: %d\n%s", code, body)
	}
	if code, body, _ := b3.Form("/register/step/2", "/register/step/2", url.Values{"role": {"administrative_staff"}}); code != http.StatusSeeOther {
		t.Fatalf("open policy, ATA: %d\n%s", code, body)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
