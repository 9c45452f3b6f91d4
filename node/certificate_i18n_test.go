package node_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/nodetest"
	"github.com/twinfed/twinfed/node/web"
)

// TestCertificate_HoldersLanguage runs projects between an Italian teacher
// and teachers named in Greek, Ukrainian and Armenian, who chose those
// languages (and a French one), on one node: each approved, each certificate downloaded by
// the Italian founder from an Italian page. The certificate is in the
// holder's language when the node offers it (node/web has its catalogue),
// else in the page's, Italian; the holder's name is in the text
// pdftotext extracts, and nothing prints as "?".
func TestCertificate_HoldersLanguage(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("no pdftotext on PATH: the certificate tests read the PDFs with Debian's poppler-utils (apt-get install -y poppler-utils)")
	}
	teachers := []struct{ user, lang, first, last string }{
		{"giorgos", "el", "Γιώργος", "Παπαδόπουλος"},
		{"olena", "uk", "Олена", "Шевченко"},
		{"vardan", "hy", "Վարդան", "Պետրոսյան"},
		{"claire", "fr", "Claire", "Dubois"}, // a language the node offers today
	}
	langs := []string{"it", "en"}
	for _, tc := range teachers {
		if _, err := web.NewCatalog([]string{tc.lang}); err == nil {
			langs = append(langs, tc.lang)
		}
	}
	n := nodetest.MustOpenNode(t, nodetest.Options{LocalOnly: true, Languages: langs})
	cat, err := web.NewCatalog(langs)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	officer, officerCSRF := apiSession(t, n.URL(), "officer", "staff password 1")
	founder, founderCSRF := apiSession(t, n.URL(), "anna", "correct horse 1")

	for _, tc := range teachers {
		t.Run(tc.lang, func(t *testing.T) {
			_, err := n.Accounts().SeedMember(ctx, account.PreRegistration{FirstName: tc.first, LastName: tc.last, Email: tc.user + "@scuola.it", EmailConfirm: tc.user + "@scuola.it",
				Username: tc.user, Password: "correct horse 1", PasswordConfirm: "correct horse 1"},
				&twinfed.Member{Schools: []twinfed.MemberSchool{{SchoolID: "it-" + tc.user, Name: "Scuola " + tc.user, Region: "Lazio", Level: twinfed.LevelPrimary, Role: "teacher"}},
					Subjects: []string{"music"}, PupilAges: []int{10}, Languages: []string{"it"}, Available: twinfed.Available{Project: true}, Public: twinfed.PublicFields, Locale: tc.lang})
			if err != nil {
				t.Fatal(err)
			}
			holder := &twinfed.Principal{Username: tc.user, Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
			holderURL := n.URL() + "/users/" + tc.user
			if _, err := n.Social().RequestContact(ctx, anna, holderURL, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := n.Social().AnswerContact(ctx, holder, annaURL, true); err != nil {
				t.Fatal(err)
			}
			var proj twinfed.Project
			draft := map[string]any{"school_id": "it-anna", "partner": holderURL, "title": "Songs of Europe with " + tc.first, "description": "We sing.",
				"pupil_ages": []int{10}, "subjects": []string{"music"}}
			if code := founder.API("POST", "/api/v1/projects", draft, founderCSRF, &proj); code != http.StatusCreated {
				t.Fatalf("create: %d %s", code, founder.Last)
			}
			b, csrf := apiSession(t, n.URL(), tc.user, "correct horse 1")
			if code := b.API("POST", "/api/v1/projects/answer", map[string]any{"id": proj.ID, "accept": true, "school_id": "it-" + tc.user}, csrf, &proj); code != 200 {
				t.Fatalf("accept: %d %s", code, b.Last)
			}
			for _, who := range []string{annaURL, holderURL} {
				if code := officer.API("POST", "/api/v1/agency/projects/decide", map[string]any{"id": proj.ID, "partner": who, "approve": true}, officerCSRF, &proj); code != 200 {
					t.Fatalf("approve %s: %d %s", who, code, officer.Last)
				}
			}

			req, _ := http.NewRequest("GET", n.URL()+"/projects/certificate?id="+url.QueryEscape(proj.ID)+"&partner="+url.QueryEscape(holderURL), nil)
			req.Header.Set("Accept-Language", "it")
			code, pdf, h := founder.Do(req)
			if code != 200 || h.Get("Content-Type") != "application/pdf" {
				t.Fatalf("certificate: %d %v", code, h)
			}
			cmd := exec.Command(pdftotext, "-enc", "UTF-8", "-", "-")
			cmd.Stdin = bytes.NewReader([]byte(pdf))
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("pdftotext: %v", err)
			}
			text := strings.Join(strings.Fields(string(out)), " ")
			want := "it" // the page's: the node does not offer the holder's language
			if cat.Offered(tc.lang) {
				want = tc.lang
			}
			for _, s := range []string{tc.first + " " + tc.last, cat.TData(want, "cert.title", nil), "Songs of Europe with " + tc.first} {
				if !strings.Contains(text, s) {
					t.Errorf("the certificate lacks %q (in %s); it shows:\n%s", s, want, text)
				}
			}
			if strings.ContainsAny(strings.ReplaceAll(text, "/projects/view?id=", ""), "?\uFFFD") { // but the link's query
				t.Errorf("a character prints as ?:\n%s", text)
			}
		})
	}
}
