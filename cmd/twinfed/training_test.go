package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/training"
)

// postForm submits a web form with the CSRF token of the page at from and
// returns the status, the body and where it redirects.
func (s *memberSession) postForm(from, action string, form url.Values) (int, string, string) {
	s.t.Helper()
	return s.formPost(from, action, form, "")
}

// formPost submits a web form with the CSRF token of the page at from (in
// Accept-Language lang unless ""), without following the redirect: the
// status, the body and where it redirects.
func (s *memberSession) formPost(from, action string, form url.Values, lang string) (int, string, string) {
	s.t.Helper()
	m := csrfField.FindStringSubmatch(s.page(from))
	if m == nil {
		s.t.Fatalf("no CSRF field on %s", from)
	}
	form.Set("csrf", m[1])
	req, _ := http.NewRequest("POST", s.base+action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	resp, b := s.send(req)
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

// TestFederation_Training walks issue 19's professional development across
// two real nodes and a real registry: IT's agency publishes a learning
// event (its bad forms refused, nothing saved); FR keeps it; two French
// teachers apply on FR; IT's agency cannot decide for them (403), nor can
// a teacher; FR's agency accepts one (the one place), cannot accept the
// second, waitlists then refuses them with a reason; the member is told;
// FR's agency marks the first completed and her certificate of
// participation (PDF) names the training. A Create of a training from a
// node outside the federation changes nothing.
func TestFederation_Training(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 3)
	it, fr := startFedNode(t, cluster, "IT"), startFedNode(t, cluster, "FR")
	it.knows(t, fr)
	fr.knows(t, it)
	ctx := context.Background()
	for _, n := range []*fedNode{it, fr} {
		if _, err := n.Node().Accounts().CreateStaff(ctx, nil, "officer", "officer@agency.example", "Agency", "Officer", "correct horse 1", twinfed.RoleAgencyOfficer); err != nil {
			t.Fatal(err)
		}
	}
	fr.seedTeacher(t, "marie", "Marie", "Curie", []string{"science"}, []int{10})
	fr.seedTeacher(t, "paul", "Paul", "Martin", []string{"art"}, []int{10})
	itOfficer, frOfficer := it.login(t, "officer"), fr.login(t, "officer")
	officerP := &twinfed.Principal{Username: "officer", Role: twinfed.RoleAgencyOfficer, Status: twinfed.StatusValidated}

	today := time.Now().UTC().Format("2006-01-02")
	good := func() url.Values {
		return url.Values{"kind": {"learning_event"}, "title": {"Imparare con i progetti"}, "language": {"it"}, "start": {today},
			"end": {time.Now().UTC().AddDate(0, 0, 3).Format("2006-01-02")}, "deadline": {today}, "places": {"1"}, "audience": {"all"}}
	}
	// Bad input: a clear message by the field, in the officer's language
	// (IT's node speaks Italian), nothing saved.
	for _, tc := range []struct{ field, value, want string }{
		{"title", " ", "Dai alla formazione un titolo di al massimo 150 caratteri."},
		{"end", time.Now().UTC().AddDate(0, 0, -2).Format("2006-01-02"), "L&#39;ultimo giorno non può precedere il primo."},
		{"places", "-1", "Indica i posti per paese, da 0 (illimitati) a 1.000."},
		{"kind", "party", "Scegli il tipo di formazione."},
	} {
		f := good()
		f.Set(tc.field, tc.value)
		code, body, _ := itOfficer.postForm("/backoffice/training/new", "/backoffice/training/new", f)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Fatalf("%s=%q: %d, want 400 with %q\n%s", tc.field, tc.value, code, tc.want, body)
		}
	}
	if list, _ := it.Node().Training().List(ctx, officerP, training.Filter{}); len(list) != 0 {
		t.Fatalf("bad forms saved %d training", len(list))
	}

	code, _, loc := itOfficer.postForm("/backoffice/training/new", "/backoffice/training/new", good())
	if code != http.StatusSeeOther || !strings.HasSuffix(loc, "done=training_published") {
		t.Fatalf("publish: %d → %s", code, loc)
	}
	list, _ := it.Node().Training().List(ctx, officerP, training.Filter{})
	if len(list) != 1 {
		t.Fatalf("IT lists %d training", len(list))
	}
	tr := list[0]
	path := training.Path(tr.ID)

	// FR keeps it; Marie finds it by kind and language and applies.
	marie, paul := fr.login(t, "marie"), fr.login(t, "paul")
	consensustest.Eventually(t, 30*time.Second, func() bool {
		return strings.Contains(marie.page("/training?kind=learning_event&language=it"), "Imparare con i progetti")
	}, "the training never reached FR")
	if strings.Contains(marie.page("/training?kind=webinar"), "Imparare con i progetti") {
		t.Fatal("the kind filter kept a learning event among webinars")
	}
	if to := marie.post(path, path+"/apply", url.Values{}); !strings.HasSuffix(to, "done=training_applied") {
		t.Fatalf("apply: → %s", to)
	}
	if to := paul.post(path, path+"/apply", url.Values{}); !strings.HasSuffix(to, "done=training_applied") {
		t.Fatalf("apply: → %s", to)
	}
	marieP := &twinfed.Principal{Username: "marie", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	if _, err := fr.Node().Training().Apply(ctx, marieP, tr.ID); twinfed.ErrorCode(err) != twinfed.ECONFLICT {
		t.Fatalf("applying twice: %v", err)
	}

	// IT's agency cannot decide for a French applicant; nor can a teacher.
	marieActor := twinfed.ActorURL(fr.base, "marie")
	if code, _, _ := itOfficer.postForm("/backoffice"+path, "/backoffice"+path+"/decide", url.Values{"applicant": {marieActor}, "decision": {"accepted"}}); code != http.StatusForbidden {
		t.Fatalf("IT deciding for an FR applicant: %d", code)
	}
	if code, _, _ := marie.postForm(path, "/backoffice"+path+"/decide", url.Values{"applicant": {"marie"}, "decision": {"accepted"}}); code != http.StatusForbidden {
		t.Fatalf("a teacher deciding: %d", code)
	}

	// FR's agency selects: Marie accepted (the one place), Paul not.
	bo := "/backoffice" + path
	if page := frOfficer.page(bo); !strings.Contains(page, "Marie Curie") || !strings.Contains(page, "Paul Martin") {
		t.Fatalf("FR's applicants page:\n%s", page)
	}
	decide := func(who, decision, reason string) (int, string, string) {
		return frOfficer.postForm(bo, bo+"/decide", url.Values{"applicant": {who}, "decision": {decision}, "reason": {reason}})
	}
	if code, _, loc := decide("marie", "accepted", ""); code != http.StatusSeeOther || !strings.HasSuffix(loc, "done=training_decided") {
		t.Fatalf("accept Marie: %d → %s", code, loc)
	}
	if code, body, _ := decide("paul", "accepted", ""); code != http.StatusConflict || !strings.Contains(body, "Toutes les places de votre pays sont prises") {
		t.Fatalf("accept Paul with no place left: %d", code)
	}
	if code, _, _ := decide("paul", "waiting", ""); code != http.StatusSeeOther {
		t.Fatalf("waitlist Paul: %d", code)
	}
	if code, body, _ := decide("paul", "refused", ""); code != http.StatusBadRequest || !strings.Contains(body, "Indiquez le motif du refus") {
		t.Fatalf("refuse without a reason: %d", code)
	}
	if code, _, _ := decide("paul", "refused", "Les places vont aux nouveaux eTwinneurs."); code != http.StatusSeeOther {
		t.Fatalf("refuse Paul: %d", code)
	}
	if page := paul.page(path); !strings.Contains(page, "Les places vont aux nouveaux eTwinneurs.") {
		t.Fatalf("Paul's page does not give the reason:\n%s", page)
	}
	if page := marie.page("/notifications"); !strings.Contains(page, "Imparare con i progetti") {
		t.Fatalf("Marie was not told:\n%s", page)
	}

	// Completion, then the certificate.
	if code, _, _ := frOfficer.postForm(bo, bo+"/complete", url.Values{"applicant": {"paul"}}); code != http.StatusConflict {
		t.Fatalf("completing a refused applicant: %d", code)
	}
	if code, _, _ := frOfficer.postForm(bo, bo+"/complete", url.Values{"applicant": {"marie"}}); code != http.StatusSeeOther {
		t.Fatalf("complete Marie: %d", code)
	}
	if page := marie.page("/training/mine"); !strings.Contains(page, path+"/certificate") {
		t.Fatalf("Marie's training does not offer the certificate:\n%s", page)
	}
	if _, _, pdf := paul.get(path + "/certificate"); bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatal("a refused applicant got a certificate")
	}
	code, _, pdf := marie.get(path + "/certificate")
	if code != http.StatusOK || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("certificate: %d", code)
	}
	if bin, err := exec.LookPath("pdftotext"); err == nil {
		cmd := exec.Command(bin, "-enc", "UTF-8", "-", "-")
		cmd.Stdin = bytes.NewReader(pdf)
		out, err := cmd.Output()
		text := strings.Join(strings.Fields(string(out)), " ")
		if err != nil || !strings.Contains(text, "Marie Curie") || !strings.Contains(text, "Imparare con i progetti") {
			t.Fatalf("certificate text (%v): %s", err, text)
		}
	}

	// IT changes it, then cancels it: FR follows, its applicants are told,
	// and nobody applies any more.
	f := good()
	f.Set("title", "Imparare con i progetti eTwinning")
	if code, _, loc := itOfficer.postForm(bo+"/edit", bo+"/edit", f); code != http.StatusSeeOther || !strings.Contains(loc, "done=training_changed") {
		t.Fatalf("change: %d → %s", code, loc)
	}
	consensustest.Eventually(t, 30*time.Second, func() bool {
		v, err := fr.Node().Training().Get(ctx, marieP, tr.ID)
		return err == nil && v.Training.Title == "Imparare con i progetti eTwinning" && v.Mine != nil && v.Mine.State == twinfed.ApplicationCompleted
	}, "the change never reached FR")
	if code, _, _ := itOfficer.postForm(bo, bo+"/cancel", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("cancel: %d", code)
	}
	consensustest.Eventually(t, 30*time.Second, func() bool {
		v, err := fr.Node().Training().Get(ctx, marieP, tr.ID)
		return err == nil && v.Training.Cancelled
	}, "the cancellation never reached FR")
	if page := paul.page("/notifications"); !strings.Contains(page, "L&#39;agence qui l&#39;avait publiée a annulé la formation") {
		t.Fatalf("Paul was not told of the cancellation:\n%s", page)
	}
	fr.seedTeacher(t, "lea", "Léa", "Petit", []string{"art"}, []int{10})
	lea := &twinfed.Principal{Username: "lea", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	if _, err := fr.Node().Training().Apply(ctx, lea, tr.ID); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Fatalf("applying to a cancelled training: %v", err)
	}

	// A training announced by a node outside the federation changes nothing.
	bad := *tr
	bad.ID, bad.Publisher, bad.Title, bad.Version = "https://rogue.example/training/1", "https://rogue.example/agency", "Rogue", 1
	err := fr.Node().Service().HandleActivity(ctx, &twinfed.Activity{ID: "https://rogue.example/a/1", Type: twinfed.ActivityCreate,
		Actor: bad.Publisher, Object: bad.ID, Training: &bad, To: []string{twinfed.AgencyURL(fr.base)}})
	if c := twinfed.ErrorCode(err); c != twinfed.EINVALID {
		t.Fatalf("Create from an unknown node: %v", err)
	}
	if strings.Contains(marie.page("/training"), "Rogue") {
		t.Fatal("FR keeps a training from an unknown node")
	}
}
