package node_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/account"
)

// TestProfile_PublicPart checks that only the fields a member chose are
// public, in LocalProfile (what federation sends) and on the profile page.
func TestProfile_PublicPart(t *testing.T) {
	dir := t.TempDir()
	n := MustOpenNode(t, nodeOpts{dir: dir})
	seedValidated(t, n, "paola", []string{twinfed.PublicSchool, twinfed.PublicSubjects})
	ctx := context.Background()
	p, err := n.Directory().LocalProfile(ctx, "paola")
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != twinfed.ActorURL(n.URL(), "paola") || p.Name != "Paola Bianchi" || p.Country != "IT" || p.SchoolName != "IC Dante" || len(p.Subjects) != 1 {
		t.Fatalf("public part: %+v", p)
	}
	if p.Description != "" || p.Languages != nil || p.PupilAges != nil || p.Interests != nil || p.Available.Project || p.PhotoURL != "" || p.Role != "" {
		t.Fatalf("private fields are public: %+v", p)
	}
	_, body := newBrowser(t, n.URL()).Get("/users/paola")
	if !strings.Contains(body, "IC Dante") || strings.Contains(body, "Private description") || strings.Contains(body, "choir") || strings.Contains(body, "paola@scuola.it") {
		t.Fatalf("profile page shows private data:\n%s", body)
	}
	var api twinfed.Profile
	if code := newBrowser(t, n.URL()).API("GET", "/api/v1/profiles/paola", nil, "", &api); code != 200 || api.Description != "" || api.SchoolName != "IC Dante" {
		t.Fatalf("API profile: %d %+v", code, api)
	}
	for _, u := range []string{"nobody", "officer"} {
		if _, err := n.Directory().LocalProfile(ctx, u); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			t.Fatalf("LocalProfile(%s): %v", u, err)
		}
	}
	// The member makes more public through the web UI.
	b := login(t, n, "paola", "correct horse 1")
	code, _, _ := b.Form("/account/profile", "/account/profile", url.Values{"description": {"<b>Music</b> teacher <img src=x onerror=alert(1)>"}, "languages": {"it", "fr"},
		"pupil_ages": {"7", "8"}, "subjects": {"music"}, "interests": {"choir, opera"}, "avail_erasmus": {"on"}, "public": {"description", "languages", "available"}})
	if code != http.StatusSeeOther {
		t.Fatalf("edit profile: %d\n%s", code, b.Last)
	}
	p, _ = n.Directory().LocalProfile(ctx, "paola")
	if p.SchoolName != "" || p.Description != "<b>Music</b> teacher " || len(p.Languages) != 2 || !p.Available.Erasmus {
		t.Fatalf("after edit: %+v", p)
	}
	if _, body := newBrowser(t, n.URL()).Get("/users/paola"); !strings.Contains(body, "<b>Music</b> teacher") || strings.Contains(body, "onerror") {
		t.Fatalf("sanitised description not shown as expected:\n%s", body)
	}
}

// TestProfile_NegotiatesActivityPub checks that /users/{name} goes to the
// federation handler for ActivityPub clients and to the HTML page for
// browsers, and that the ActivityPub paths are mounted.
func TestProfile_NegotiatesActivityPub(t *testing.T) {
	dir := t.TempDir()
	fed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write([]byte(`{"federation":"` + r.URL.Path + `"}`))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	out := &localOnlyProver{TB: t, Base: "http://" + ln.Addr().String()}
	n, err := node.Open(context.Background(), node.Options{Dir: dir, Listener: ln, Service: node.Config{Country: "IT", Policy: twinfed.ItalianEligibility(), Hash: testHash},
		Outbox: out})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	seedValidated(t, n, "paola", nil)
	b := newBrowser(t, n.URL())
	// A federated node answers 503 on its ActivityPub routes until the
	// federation is mounted: other nodes retry rather than give up.
	if code, _ := b.Get("/inbox"); code != http.StatusServiceUnavailable {
		t.Fatalf("GET /inbox before Mount: %d, want 503", code)
	}
	if err := n.Mount(fed); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, accept, want string }{
		{"/users/paola", "application/activity+json", `"federation":"/users/paola"`},
		{"/users/paola", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, `"federation"`},
		{"/users/paola", "text/html", "<!doctype html>"},
		{"/users/paola/inbox", "", `"federation"`},
		{"/.well-known/webfinger?resource=acct:paola@x", "", `"federation"`},
		{"/.well-known/nodeinfo", "", `"federation"`},
		{"/nodeinfo/2.1", "", `"federation"`},
		{"/inbox", "", `"federation"`},
		{"/agency", "application/activity+json", `"federation"`},
		{"/activities/abc", "", `"federation"`},
	} {
		req, _ := http.NewRequest("GET", n.URL()+tc.path, nil)
		req.Header.Set("Accept", tc.accept)
		if _, body, _ := b.Do(req); !strings.Contains(body, tc.want) {
			t.Errorf("GET %s (Accept %s): %.200s", tc.path, tc.accept, body)
		}
	}
}

// TestAccount_EditExportDelete covers editing every field but the
// username, the data download and deletion.
func TestAccount_EditExportDelete(t *testing.T) {
	dir := t.TempDir()
	n := MustOpenNode(t, nodeOpts{dir: dir})
	seedValidated(t, n, "paola", nil)
	seedValidated(t, n, "other", nil)
	ctx := context.Background()
	b := login(t, n, "paola", "correct horse 1")

	if code, _, _ := b.Form("/account", "/account", url.Values{"first_name": {"Paolina"}, "last_name": {"Verdi"}, "email": {"pv@scuola.it"}, "locale": {"en"}, "username": {"hacker"}}); code != http.StatusSeeOther {
		t.Fatalf("edit account: %d\n%s", code, b.Last)
	}
	// The new e-mail takes effect once its link is confirmed (email_change_test.go).
	link := mustLink(t, n, dir, "pv@scuola.it", "/account/email/confirm")
	b.Get(link)
	if code, _, _ := b.Post("/account/email/confirm", url.Values{"token": {tokenOf(link)}}); code != http.StatusSeeOther {
		t.Fatalf("confirm the new e-mail: %d\n%s", code, b.Last)
	}
	m, _ := n.Accounts().Member(ctx, "paola")
	if m.FirstName != "Paolina" || m.LastName != "Verdi" || m.Email != "pv@scuola.it" || m.Username != "paola" {
		t.Fatalf("after edit: %+v", m)
	}
	if code, body, _ := b.Form("/account", "/account", url.Values{"email": {"other@scuola.it"}}); code != http.StatusConflict || !strings.Contains(body, "Another account") {
		t.Fatalf("taking another's e-mail: %d", code)
	}
	// The new e-mail logs in; the old one no longer does.
	login(t, n, "pv@scuola.it", "correct horse 1")
	if code, _, _ := b.Form("/account", "/account/password", url.Values{"current_password": {"wrong one!!"}, "new_password": {"new password 22"}, "new_password_confirm": {"new password 22"}}); code != http.StatusBadRequest {
		t.Fatalf("password change with a wrong current one: %d", code)
	}
	if code, _, _ := b.Form("/account", "/account/password", url.Values{"current_password": {"correct horse 1"}, "new_password": {"new password 22"}, "new_password_confirm": {"new password 22"}}); code != http.StatusSeeOther {
		t.Fatalf("password change: %d\n%s", code, b.Last)
	}
	login(t, n, "paola", "new password 22")

	// A second school needs the registry: without one it says so clearly.
	b.Get("/account/schools")
	if code, body, _ := b.Post("/account/schools", url.Values{"school_id": {"it-99"}, "role": {"teacher"}}); code != http.StatusServiceUnavailable || !strings.Contains(body, "not reachable") {
		t.Fatalf("add school without registry: %d", code)
	}

	code, body := b.Get("/account/export")
	var export account.DataExport
	if code != 200 || json.Unmarshal([]byte(body), &export) != nil || export.Account.Email != "pv@scuola.it" || strings.Contains(body, "argon2id$") {
		t.Fatalf("export: %d %s", code, body)
	}

	if code, _, _ := b.Form("/account/delete", "/account/delete", url.Values{"password": {"wrong"}}); code != http.StatusBadRequest {
		t.Fatalf("delete with a wrong password: %d", code)
	}
	if code, _, _ := b.Form("/account/delete", "/account/delete", url.Values{"password": {"new password 22"}}); code != http.StatusSeeOther {
		t.Fatalf("delete: %d\n%s", code, b.Last)
	}
	if _, err := n.Accounts().Member(ctx, "paola"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("member still there: %v", err)
	}
	if code, _ := newBrowser(t, n.URL()).Get("/users/paola"); code != http.StatusNotFound {
		t.Fatalf("deleted profile: %d", code)
	}
	if code, _ := b.Get("/account"); code != http.StatusSeeOther {
		t.Fatalf("the deleted account's session still works: %d", code)
	}
	// The username stays reserved; the e-mail is free again.
	nb := newBrowser(t, n.URL())
	f := preReg("paola")
	if code, _, _ := nb.Form("/register", "/register", f); code != http.StatusConflict {
		t.Fatalf("reusing a deleted username: %d", code)
	}
	f = preReg("paola2")
	f.Set("email", "pv@scuola.it")
	f.Set("email_confirm", "pv@scuola.it")
	if code, _, _ := nb.Form("/register", "/register", f); code != http.StatusSeeOther {
		t.Fatalf("reusing a deleted e-mail: %d\n%s", code, nb.Last)
	}
}

// TestPasswordReset covers the e-mailed reset link.
func TestPasswordReset(t *testing.T) {
	dir := t.TempDir()
	n := MustOpenNode(t, nodeOpts{dir: dir})
	seedValidated(t, n, "paola", nil)
	b := newBrowser(t, n.URL())
	if code, body, _ := b.Form("/password/forgot", "/password/forgot", url.Values{"email": {"nobody@scuola.it"}}); code != 200 || !strings.Contains(body, "If an account uses this address") {
		t.Fatalf("unknown address: %d", code)
	}
	if len(mails(t, n, dir, "nobody@scuola.it")) != 0 {
		t.Fatal("mailed an unknown address")
	}
	b.Form("/password/forgot", "/password/forgot", url.Values{"email": {"paola@scuola.it"}})
	link := mustLink(t, n, dir, "paola@scuola.it", "/password/reset")
	b.Get(link)
	if code, _, _ := b.Post("/password/reset", url.Values{"token": {tokenOf(link)}, "password": {"brand new pass"}, "password_confirm": {"brand new pas"}}); code != http.StatusBadRequest {
		t.Fatalf("mismatched: %d", code)
	}
	b.Get(link)
	if code, _, _ := b.Post("/password/reset", url.Values{"token": {tokenOf(link)}, "password": {"brand new pass"}, "password_confirm": {"brand new pass"}}); code != http.StatusSeeOther {
		t.Fatalf("reset: %d\n%s", code, b.Last)
	}
	b.Get(link)
	if code, _, _ := b.Post("/password/reset", url.Values{"token": {tokenOf(link)}, "password": {"third password"}, "password_confirm": {"third password"}}); code != http.StatusConflict {
		t.Fatalf("reused reset link: %d", code)
	}
	login(t, n, "paola", "brand new pass")
	if code, _, _ := newBrowser(t, n.URL()).Form("/login", "/login", url.Values{"username": {"paola"}, "password": {"correct horse 1"}}); code != http.StatusUnauthorized {
		t.Fatalf("old password still works: %d", code)
	}
}

// TestAPI_Registration runs pre-registration and the steps through the JSON
// API, and checks the data survives a restart of the node.
func TestAPI_RegistrationAndRestart(t *testing.T) {
	dir := t.TempDir()
	n := MustOpenNode(t, nodeOpts{dir: dir, token: apiToken})
	b := newBrowser(t, n.URL())
	var e struct {
		Error struct {
			Code   string
			Fields map[string]string
		}
	}
	reg := map[string]string{"first_name": "Marco", "last_name": "Neri", "email": "marco@scuola.it", "email_confirm": "marco@scuola.it", "username": "marco", "password": "correct horse 1", "password_confirm": "correct horse 1"}
	bad := map[string]string{"first_name": "Marco"}
	if code := b.API("POST", "/api/v1/registrations", bad, "", &e); code != 400 || e.Error.Fields["email"] == "" || e.Error.Fields["username"] == "" {
		t.Fatalf("missing fields: %d %+v", code, e)
	}
	if code := b.API("POST", "/api/v1/registrations", map[string]any{"unknown": 1}, "", &e); code != 400 {
		t.Fatalf("unknown field: %d", code)
	}
	if code := b.API("POST", "/api/v1/registrations", reg, "", nil); code != 201 {
		t.Fatalf("register: %d %s", code, b.Last)
	}
	if code := b.API("POST", "/api/v1/registrations", reg, "", &e); code != 409 {
		t.Fatalf("duplicate: %d", code)
	}
	link := mustLink(t, n, dir, "marco@scuola.it", "/register/confirm")
	var sess struct {
		CSRFToken string `json:"csrf_token"`
	}
	if code := b.API("POST", "/api/v1/registrations/confirm", map[string]string{"token": tokenOf(link)}, "", &sess); code != 200 || sess.CSRFToken == "" {
		t.Fatalf("confirm: %d %s", code, b.Last)
	}
	steps := []struct {
		method, path string
		body         any
	}{
		{"PUT", "/api/v1/me/registration/school", map[string]any{"proposal": map[string]any{"legal_name": "ITIS Fermi", "city": "Roma", "region": "Lazio", "level": "upper_secondary", "institution": "state"}}},
		{"PUT", "/api/v1/me/registration/role", map[string]string{"role": "lab_teacher"}},
		{"PUT", "/api/v1/me/registration/preferences", map[string]any{"languages": []string{"it"}, "pupil_ages": []int{15, 16}, "subjects": []string{"physics"}, "public": []string{"school"}}},
		{"POST", "/api/v1/me/registration/submit", nil},
	}
	for _, s := range steps {
		if code := b.API(s.method, s.path, s.body, sess.CSRFToken, nil); code != 200 {
			t.Fatalf("%s %s: %d %s", s.method, s.path, code, b.Last)
		}
	}
	if code := b.API("POST", "/api/v1/me/registration/submit", nil, sess.CSRFToken, &e); code != 409 {
		t.Fatalf("second submit: %d", code)
	}

	// Restart on the same data directory.
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n2 := MustOpenNode(t, nodeOpts{dir: dir, token: apiToken})
	m, err := n2.Accounts().Member(context.Background(), "marco")
	if err != nil || m.Status != twinfed.StatusPending || m.Schools[0].Role != "lab_teacher" || m.Schools[0].Name != "ITIS Fermi" {
		t.Fatalf("after restart: %+v %v", m, err)
	}
	req, _ := http.NewRequest("GET", n2.URL()+"/api/v1/agency/members?status=pending", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if code, body, _ := b.Do(req); code != 200 || !strings.Contains(body, `"marco"`) {
		t.Fatalf("queue after restart: %d %s", code, body)
	}
	login(t, n2, "marco", "correct horse 1")
}
