package node_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	imgpng "image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/twinfed/twinfed/internal/apitest"

	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/nodetest"
)

// The node's API description (node/openapi.json) is held against the
// routes the server really registers: every /api/v1 route documented,
// nothing documented that is not served, and the document a well-formed
// OpenAPI 3.1 one.

// apiPrefix is the node's API; openapi.json's servers[0].url.
const apiPrefix = "/api/v1"

// openNodeWithEveryRoute opens a real node with every optional API route
// mounted (the backup is always; the federation's operator API needs a
// handler).
func openNodeWithEveryRoute(t *testing.T) *node.Node {
	t.Helper()
	return nodetest.MustOpenNode(t, nodetest.Options{Token: "openapi-token", Tune: func(o *node.Options) {
		o.FederationAdmin = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, "[]\n")
		})
	}})
}

// TestOpenAPI_NodeDocumentMatchesRoutes compares the document's paths and
// methods with the server's /api/v1 routes, both ways, and lists what to
// add or remove.
func TestOpenAPI_NodeDocumentMatchesRoutes(t *testing.T) {
	n := openNodeWithEveryRoute(t)
	doc := apitest.MustParse(t, node.OpenAPI())
	if got := apitest.ServerURL(doc); got != apiPrefix {
		t.Fatalf("openapi.json servers[0].url = %q, want %q", got, apiPrefix)
	}
	var api []string
	for _, r := range n.Handler().(*node.Server).Routes() {
		if _, path, _ := strings.Cut(r, " "); strings.HasPrefix(path, apiPrefix+"/") || strings.HasPrefix(r, apiPrefix+"/") {
			api = append(api, r)
		}
	}
	if len(api) < 60 {
		t.Fatalf("only %d /api/v1 routes registered: %q", len(api), api)
	}
	if msg := apitest.CompareRoutes(apiPrefix, "node/openapi.json", api, apitest.DocumentedOperations(doc)); msg != "" {
		t.Error(msg)
	}
}

// TestOpenAPI_NodeDocumentIsValid checks the document's structure
// (OpenAPI 3.1: required fields, apitest.Operations with responses, path
// parameters declared, security schemes defined, every $ref resolving)
// and the project's own rules (a summary on every operation, the error
// body on every error response).
func TestOpenAPI_NodeDocumentIsValid(t *testing.T) {
	doc := apitest.MustParse(t, node.OpenAPI())
	for _, p := range apitest.Check(doc) {
		t.Error(p)
	}
	props, _ := apitest.Dig(doc, "components", "schemas", "Error", "properties", "error", "properties").(map[string]any)
	for _, f := range []string{"code", "message", "fields"} {
		if props[f] == nil {
			t.Errorf("components.schemas.Error.error has no %q", f)
		}
	}
	for key, op := range apitest.Operations(doc) {
		for code, r := range op["responses"].(map[string]any) {
			if code[0] >= '4' || code == "default" {
				if ref, _ := r.(map[string]any)["$ref"].(string); !strings.HasPrefix(ref, "#/components/responses/") {
					t.Errorf("%s: response %s is not one of components.responses (the error body)", key, code)
				}
			}
		}
	}
}

// TestOpenAPI_NodeServesDocument fetches the document from a running
// node, without a session, and checks it is the embedded one.
func TestOpenAPI_NodeServesDocument(t *testing.T) {
	n := openNodeWithEveryRoute(t)
	resp, err := http.Get(n.URL() + node.OpenAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET %s: %d %q", node.OpenAPIPath, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !bytes.Equal(body, node.OpenAPI()) {
		t.Errorf("GET %s served %d bytes, not the embedded document (%d bytes)", node.OpenAPIPath, len(body), len(node.OpenAPI()))
	}
}

// TestOpenAPI_CheckerFindsProblems feeds the checks broken copies of the
// document, one fault each, and apitest.CompareRoutes an undocumented route and a
// documented one that is not served: each must be reported.
func TestOpenAPI_CheckerFindsProblems(t *testing.T) {
	op := func(doc map[string]any, path, method string) map[string]any {
		return apitest.Dig(doc, "paths", path, method).(map[string]any)
	}
	for _, c := range []struct {
		name   string
		break_ func(doc map[string]any)
		want   string
	}{
		{"no responses", func(doc map[string]any) { delete(op(doc, "/session", "post"), "responses") }, "POST /session: no responses"},
		{"bad status", func(doc map[string]any) {
			r := op(doc, "/me/counts", "get")["responses"].(map[string]any)
			r["2000"] = r["200"]
		}, `GET /me/counts: response code "2000"`},
		{"no summary", func(doc map[string]any) { delete(op(doc, "/me", "get"), "summary") }, "GET /me: no summary"},
		{"dangling $ref", func(doc map[string]any) {
			op(doc, "/me/counts", "get")["responses"].(map[string]any)["200"] = map[string]any{"$ref": "#/components/responses/Nope"}
		}, `"Nope" not found`},
		{"undeclared path parameter", func(doc map[string]any) {
			doc["paths"].(map[string]any)["/things/{id}"] = map[string]any{"get": map[string]any{"summary": "x", "responses": map[string]any{"200": map[string]any{"description": "x"}}}}
		}, "must define exactly all path parameters (missing: [id])"},
		{"unknown security scheme", func(doc map[string]any) {
			op(doc, "/me/counts", "get")["security"] = []any{map[string]any{"nope": []any{}}}
		}, `undefined security scheme "nope"`},
		{"bad schema", func(doc map[string]any) {
			apitest.Dig(doc, "components", "schemas", "Status").(map[string]any)["type"] = "strin"
		}, `unsupported 'type' value "strin"`},
		{"version 3.0", func(doc map[string]any) { doc["openapi"] = "3.0.3" }, `openapi is "3.0.3"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := apitest.MustParse(t, node.OpenAPI())
			c.break_(doc)
			if problems := strings.Join(apitest.Check(doc), "\n"); !strings.Contains(problems, c.want) {
				t.Errorf("the checks missed %q; they said:\n%s", c.want, problems)
			}
		})
	}
	msg := apitest.CompareRoutes(apiPrefix, "node/openapi.json", []string{"GET /api/v1/me/counts", "POST /api/v1/extra", "/api/v1/any"}, []string{"GET /api/v1/me/counts", "GET /api/v1/things/{id}"})
	for _, want := range []string{`POST /api/v1/extra  →  paths["/extra"].post`, `GET /api/v1/things/{id}  →  paths["/things/{id}"].get`, "without a method"} {
		if !strings.Contains(msg, want) {
			t.Errorf("apitest.CompareRoutes missed %q; it said:\n%s", want, msg)
		}
	}
}

// TestOpenAPI_NodeAnswersMatchDocument runs a member's registration, an
// agency's decisions and some refusals through a real node, and checks
// every /api/v1 exchange against the document (apitest.Checker): the answer's
// status and body, and each accepted request's parameters and body.
func TestOpenAPI_NodeAnswersMatchDocument(t *testing.T) {
	const token = "openapi-token"
	dir := t.TempDir()
	n := nodetest.MustOpenNode(t, nodetest.Options{Dir: dir, Token: token, Tune: func(o *node.Options) {
		// What federation.Outbox.AdminHandler answers, by route.
		o.FederationAdmin = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			switch {
			case strings.HasSuffix(r.URL.Path, "/status"):
				_, _ = io.WriteString(w, `[{"destination":"fr.example","depth":2,"oldest":"2026-01-02T10:00:00Z","parked":1,"critical":0,"breaker_open":false,"open_until":"0001-01-01T00:00:00Z","failures":1,"last_error":"503","last_error_at":"2026-01-02T10:00:00Z","last_success":"0001-01-01T00:00:00Z"}]`+"\n")
			case strings.HasSuffix(r.URL.Path, "/parked"):
				_, _ = io.WriteString(w, `[{"destination":"fr.example","activity":"https://it.example/activities/1","parked":"2026-01-02T10:00:00Z"}]`+"\n")
			default:
				_, _ = io.WriteString(w, `{"requeued":1}`+"\n")
			}
		})
	}})
	check := apitest.NewChecker(t, t.Errorf, node.OpenAPI(), apiPrefix)
	member, anon, agency := nodetest.NewBrowser(t, n.URL()), nodetest.NewBrowser(t, n.URL()), nodetest.NewBrowser(t, n.URL())
	for _, b := range []*nodetest.Browser{member, anon, agency} {
		b.C.Transport = check
	}
	agency.C.Transport = apitest.Bearer{Token: token, Next: check}

	reg := map[string]string{"first_name": "Marco", "last_name": "Neri", "email": "marco@scuola.it", "email_confirm": "marco@scuola.it", "username": "marco", "password": "correct horse 1", "password_confirm": "correct horse 1"}
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	var proposals struct {
		Proposals []struct{ ID string } `json:"proposals"`
	}
	steps := []struct {
		b            *nodetest.Browser
		method, path string
		body         any
		code         int
		out          any
	}{
		{anon, "GET", "/api/v1/openapi.json", nil, 200, nil},
		{anon, "POST", "/api/v1/registrations", map[string]string{"first_name": "Marco"}, 400, nil},
		{anon, "POST", "/api/v1/registrations", reg, 201, nil},
		{anon, "POST", "/api/v1/registrations", reg, 409, nil},
		{anon, "GET", "/api/v1/me", nil, 401, nil},
		{anon, "GET", "/api/v1/profiles/nobody", nil, 404, nil},
		{anon, "GET", "/api/v1/projects/search?q=robots", nil, 200, nil},
		{anon, "POST", "/api/v1/session", map[string]string{"username": "marco", "password": "wrong"}, 401, nil},
		{anon, "POST", "/api/v1/password/forgot", map[string]string{"email": "nobody@scuola.it"}, 202, nil},
		{anon, "POST", "/api/v1/nothing/here", nil, 404, nil},
	}
	run := func(i int) {
		t.Helper()
		s := steps[i]
		csrf := ""
		if s.b == member {
			csrf = sess.CSRF
		}
		if code := s.b.API(s.method, s.path, s.body, csrf, s.out); code != s.code {
			t.Fatalf("%s %s: %d, want %d: %s", s.method, s.path, code, s.code, s.b.Last)
		}
	}
	for i := range steps {
		run(i)
	}
	link := nodetest.MustLink(t, n, dir, "marco@scuola.it", "/register/confirm")
	steps = []struct {
		b            *nodetest.Browser
		method, path string
		body         any
		code         int
		out          any
	}{
		{member, "POST", "/api/v1/registrations/confirm", map[string]string{"token": nodetest.TokenOf(link)}, 200, &sess},
		{member, "PUT", "/api/v1/me/registration/school", map[string]any{"proposal": map[string]any{"legal_name": "ITIS Fermi", "city": "Roma", "region": "Lazio", "level": "upper_secondary", "institution": "state"}}, 200, nil},
		{member, "PUT", "/api/v1/me/registration/role", map[string]string{"role": "lab_teacher"}, 200, nil},
		{member, "PUT", "/api/v1/me/registration/preferences", map[string]any{"languages": []string{"it"}, "pupil_ages": []int{15, 16}, "subjects": []string{"physics"}, "public": []string{"school"}, "available": map[string]bool{"project": true}}, 200, nil},
		{member, "POST", "/api/v1/me/registration/submit", nil, 200, nil},
		{member, "POST", "/api/v1/me/registration/submit", nil, 409, nil},
		{member, "GET", "/api/v1/me", nil, 200, nil},
		{member, "PATCH", "/api/v1/me", map[string]string{"first_name": "Marcello", "email": "marcello@scuola.it"}, 200, nil},
		{member, "PUT", "/api/v1/me/profile", map[string]any{"description": "Physics and robots.", "languages": []string{"it", "en"}, "pupil_ages": []int{15}, "subjects": []string{"physics"}}, 200, nil},
		{member, "GET", "/api/v1/me/counts", nil, 200, nil},
		{member, "GET", "/api/v1/me/export", nil, 200, nil},
		{member, "GET", "/api/v1/notifications", nil, 403, nil},
		{member, "GET", "/api/v1/projects", nil, 200, nil},
		{member, "GET", "/api/v1/directory", nil, 403, nil},
		{member, "POST", "/api/v1/me/password", map[string]string{"current_password": "correct horse 1", "new_password": "correct horse 2", "new_password_confirm": "correct horse 2"}, 204, nil},
		{agency, "GET", "/api/v1/agency/members?status=pending", nil, 200, nil},
		{agency, "GET", "/api/v1/agency/members/marco", nil, 200, nil},
		{agency, "GET", "/api/v1/agency/members/nobody", nil, 404, nil},
		{agency, "POST", "/api/v1/agency/members/marco/validate", nil, 409, nil},
		{agency, "GET", "/api/v1/agency/schools", nil, 200, &proposals},
		{agency, "GET", "/api/v1/agency/stats", nil, 200, nil},
		{agency, "GET", "/api/v1/agency/projects", nil, 200, nil},
		{agency, "GET", "/api/v1/agency/federation/status", nil, 200, nil},
		{agency, "GET", "/api/v1/agency/federation/parked?destination=fr.example", nil, 200, nil},
		{agency, "POST", "/api/v1/agency/federation/requeue?destination=fr.example", nil, 200, nil},
		{agency, "GET", "/api/v1/agency/members.csv", nil, 200, nil},
		{agency, "GET", "/api/v1/agency/backup", nil, 200, nil},
		{agency, "POST", "/api/v1/agency/staff", map[string]string{"username": "anna", "email": "anna@indire.it", "first_name": "Anna", "last_name": "Bianchi", "password": "staff password 1", "role": "agency_officer"}, 201, nil},
		{agency, "POST", "/api/v1/agency/members/marco/reject", map[string]string{"reason": "Please give your school's national number."}, 200, nil},
		{member, "DELETE", "/api/v1/session", nil, 204, nil},
		{member, "GET", "/api/v1/me", nil, 401, nil},
	}
	for i := range steps {
		run(i)
	}
	if len(proposals.Proposals) != 1 {
		t.Fatalf("school proposals: %+v", proposals)
	}
	if code := agency.API("POST", "/api/v1/agency/schools/"+proposals.Proposals[0].ID+"/validate", nil, "", nil); code != 503 {
		t.Fatalf("validate the proposal without a registry: %d %s", code, agency.Last)
	}
	if code := agency.API("POST", "/api/v1/agency/schools/"+proposals.Proposals[0].ID+"/reject", map[string]string{"reason": "Not a school."}, "", nil); code != 200 {
		t.Fatalf("reject the proposal: %d %s", code, agency.Last)
	}
	t.Logf("checked against the document: %s", strings.Join(check.Seen(), ", "))
}

// TestOpenAPI_NodeMembersAnswersMatchDocument runs what validated members
// do (directory, contacts, follows, messages, a project from draft to
// closing, its TwinSpace) and an agency's decisions through a real node,
// every /api/v1 exchange checked against the document.
func TestOpenAPI_NodeMembersAnswersMatchDocument(t *testing.T) {
	n, annaURL, brunoURL := projectNode(t)
	_, carlaURL := seedTeacher(t, n, "carla", "Carla")
	check := apitest.NewChecker(t, t.Errorf, node.OpenAPI(), apiPrefix)
	csrf := map[*nodetest.Browser]string{}
	session := func(user, password string) *nodetest.Browser {
		b := nodetest.NewBrowser(t, n.URL())
		b.C.Transport = check
		var s struct {
			CSRF string `json:"csrf_token"`
		}
		if code := b.API("POST", "/api/v1/session", map[string]string{"username": user, "password": password}, "", &s); code != 200 {
			t.Fatalf("login %s: %d %s", user, code, b.Last)
		}
		csrf[b] = s.CSRF
		return b
	}
	anna, bruno, carla := session("anna", "correct horse 1"), session("bruno", "correct horse 1"), session("carla", "correct horse 1")
	officer := session("officer", "staff password 1")
	visitor := nodetest.NewBrowser(t, n.URL())
	visitor.C.Transport = check
	call := func(b *nodetest.Browser, method, path string, body any, want int, out any) {
		t.Helper()
		if code := b.API(method, path, body, csrf[b], out); code != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, code, want, b.Last)
		}
	}
	q := url.QueryEscape

	call(anna, "GET", "/api/v1/directory?q=bruno&subject=music", nil, 200, nil)
	call(anna, "GET", "/api/v1/directory/suggestions", nil, 200, nil)
	call(anna, "GET", "/api/v1/directory/profile?id="+q(brunoURL), nil, 200, nil)
	call(anna, "GET", "/api/v1/people?q=bruno", nil, 200, nil)
	call(visitor, "GET", "/api/v1/profiles/anna", nil, 200, nil)
	call(anna, "POST", "/api/v1/contacts", map[string]string{"peer": carlaURL, "message": "Shall we work together?"}, 200, nil)
	call(anna, "POST", "/api/v1/contacts", map[string]string{"peer": carlaURL}, 409, nil)
	call(carla, "GET", "/api/v1/me/counts", nil, 200, nil)
	call(carla, "POST", "/api/v1/contacts/decline", map[string]string{"peer": annaURL}, 200, nil)
	call(carla, "POST", "/api/v1/contacts", map[string]string{"peer": annaURL}, 200, nil)
	call(anna, "POST", "/api/v1/contacts/accept", map[string]string{"peer": carlaURL}, 200, nil)
	call(anna, "GET", "/api/v1/contacts", nil, 200, nil)
	call(anna, "POST", "/api/v1/follows", map[string]string{"peer": brunoURL}, 200, nil)
	call(anna, "POST", "/api/v1/follows/remove", map[string]string{"peer": brunoURL}, 200, nil)
	call(anna, "POST", "/api/v1/messages", map[string]string{"to": brunoURL, "content": "Hello Bruno!"}, 201, nil)
	call(anna, "POST", "/api/v1/messages", map[string]string{"to": brunoURL}, 400, nil)
	call(anna, "GET", "/api/v1/messages", nil, 200, nil)
	call(bruno, "GET", "/api/v1/messages/with?peer="+q(annaURL), nil, 200, nil)
	call(bruno, "GET", "/api/v1/notifications", nil, 200, nil)

	draft := map[string]any{"school_id": "it-anna", "partner": brunoURL, "title": "Robots together", "description": "Robots.", "pupil_ages": []int{12, 13},
		"subjects": []string{"technology"}, "languages": []string{"it", "en"}, "tools": []string{"forum"}, "aims": "Build.", "work_process": "Weekly.", "expected_results": "A robot."}
	var proj, other struct{ ID string }
	call(anna, "GET", "/api/v1/projects/choices", nil, 200, nil)
	call(anna, "POST", "/api/v1/projects/preview", draft, 200, nil)
	call(anna, "POST", "/api/v1/projects", draft, 201, &proj)
	call(anna, "POST", "/api/v1/projects", draft, 201, &other)
	call(anna, "POST", "/api/v1/projects/delete", map[string]string{"id": other.ID}, 200, nil)
	call(anna, "POST", "/api/v1/projects/edit", map[string]any{"id": proj.ID, "title": "Robots together", "description": "Robots that dance.", "pupil_ages": []int{12, 13}, "subjects": []string{"technology"}}, 200, nil)
	call(bruno, "GET", "/api/v1/projects", nil, 200, nil)
	call(bruno, "POST", "/api/v1/projects/answer", map[string]any{"id": proj.ID, "accept": true, "school_id": "it-bruno"}, 200, nil)
	call(visitor, "GET", "/api/v1/projects/view?id="+q(proj.ID), nil, 404, nil)
	call(officer, "GET", "/api/v1/agency/projects", nil, 200, nil)
	call(officer, "POST", "/api/v1/agency/projects/decide", map[string]any{"id": proj.ID, "partner": annaURL, "approve": false}, 400, nil)
	for _, who := range []string{annaURL, brunoURL} {
		call(officer, "POST", "/api/v1/agency/projects/decide", map[string]any{"id": proj.ID, "partner": who, "approve": true}, 200, nil)
	}
	call(visitor, "GET", "/api/v1/projects/view?id="+q(proj.ID), nil, 200, nil)
	call(visitor, "GET", "/api/v1/projects/search?q=robots&age=12", nil, 200, nil)
	call(anna, "POST", "/api/v1/projects/invite", map[string]string{"id": proj.ID, "peer": carlaURL}, 200, nil)
	call(anna, "POST", "/api/v1/twinspace/updates", map[string]string{"id": proj.ID, "content": "Hello partners"}, 201, nil)
	call(bruno, "GET", "/api/v1/twinspace?id="+q(proj.ID), nil, 200, nil)
	call(carla, "GET", "/api/v1/twinspace/members?id="+q(proj.ID), nil, 403, nil)
	call(anna, "POST", "/api/v1/projects/close", map[string]string{"id": proj.ID}, 200, nil)
	call(visitor, "GET", "/api/v1/projects/labels?id="+q(proj.ID), nil, 503, nil)
	call(officer, "GET", "/api/v1/agency/labels", nil, 200, nil)
	call(officer, "POST", "/api/v1/agency/labels", map[string]any{"project_id": proj.ID, "score": 20}, 400, nil)
	call(anna, "GET", "/api/v1/schools?q=fermi", nil, 503, nil)
	call(anna, "POST", "/api/v1/me/schools", map[string]any{"school_id": "it-other", "role": "teacher"}, 503, nil)
	call(visitor, "POST", "/api/v1/password/reset", map[string]string{"token": "nope", "password": "correct horse 3", "password_confirm": "correct horse 3"}, 404, nil)
	idea := map[string]any{"thread": "erasmus", "title": "Robots across borders", "subjects": []string{"technology"}, "age_bands": []string{"age_12_15"},
		"languages": []string{"it", "en"}, "seeking": []string{"FR"}, "months": 6, "idea": "Our robots meet yours."}
	var post struct{ ID string }
	call(anna, "POST", "/api/v1/forum/posts", idea, 200, &post)
	call(anna, "POST", "/api/v1/forum/posts", map[string]any{"title": ""}, 400, nil)
	idea["id"], idea["months"] = post.ID, 9
	call(anna, "POST", "/api/v1/forum/edit", idea, 200, nil)
	call(bruno, "GET", "/api/v1/forum/posts?thread=erasmus&country=FR&subject=technology", nil, 200, nil)
	call(bruno, "GET", "/api/v1/forum/posts?band=age_99", nil, 400, nil)
	call(bruno, "GET", "/api/v1/forum/post?id="+q(post.ID), nil, 200, nil)
	call(bruno, "POST", "/api/v1/forum/replies", map[string]string{"id": post.ID, "text": "Count us in"}, 200, nil)
	call(bruno, "POST", "/api/v1/forum/contact", map[string]string{"id": post.ID, "message": "Hello"}, 409, nil)
	call(bruno, "POST", "/api/v1/forum/reports", map[string]string{"id": post.ID, "reason": "Test"}, 200, nil)
	call(officer, "GET", "/api/v1/forum/reports", nil, 200, nil)
	call(officer, "POST", "/api/v1/forum/hide", map[string]any{"id": post.ID, "hidden": true}, 200, nil)
	call(bruno, "POST", "/api/v1/forum/replies", map[string]string{"id": post.ID, "text": "Again"}, 404, nil)
	call(anna, "POST", "/api/v1/forum/delete", map[string]string{"id": post.ID}, 200, nil)
	call(anna, "POST", "/api/v1/contacts/remove", map[string]string{"peer": carlaURL}, 200, nil)
	var png bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	if err := imgpng.Encode(&png, img); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PUT", n.URL()+"/api/v1/me/photo", bytes.NewReader(png.Bytes()))
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("X-CSRF-Token", csrf[anna])
	if code, body, _ := anna.Do(req); code != 204 {
		t.Fatalf("PUT /api/v1/me/photo: %d %s", code, body)
	}
	call(carla, "DELETE", "/api/v1/me", map[string]string{"password": "correct horse 1"}, 204, nil)
	t.Logf("checked against the document: %s", strings.Join(check.Seen(), ", "))
}

// TestOpenAPI_CheckerCatchesWrongAnswers runs real exchanges through
// apitest.Checker with documents that each misdescribe one of them: every
// mismatch must be reported.
func TestOpenAPI_CheckerCatchesWrongAnswers(t *testing.T) {
	n := openNodeWithEveryRoute(t)
	for _, c := range []struct {
		name         string
		break_       func(doc map[string]any)
		method, path string
		body         any
		want         string
	}{
		{"answer body", func(doc map[string]any) {
			apitest.Dig(doc, "components", "schemas", "Info").(map[string]any)["required"] = []any{"message", "missing"}
		}, "POST", "/api/v1/password/forgot", map[string]string{"email": "x@scuola.it"}, "the answer 202 does not fit the document"},
		{"status not listed", func(doc map[string]any) {
			delete(apitest.Dig(doc, "paths", "/me", "get", "responses").(map[string]any), "401")
		}, "GET", "/api/v1/me", nil, "answered 401, a status the operation does not list"},
		{"route not documented", func(doc map[string]any) {
			delete(doc["paths"].(map[string]any), "/me/counts")
		}, "GET", "/api/v1/me/counts", nil, "no operation of the document matches it"},
		{"request refused", func(doc map[string]any) {
			apitest.Dig(doc, "components", "schemas", "PreRegistration").(map[string]any)["required"] = []any{"nickname"}
		}, "POST", "/api/v1/registrations", map[string]string{"first_name": "Eva", "last_name": "Blu", "email": "eva@scuola.it", "email_confirm": "eva@scuola.it", "username": "eva", "password": "correct horse 1", "password_confirm": "correct horse 1"}, "was accepted (201) but the document refuses the request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := apitest.MustParse(t, node.OpenAPI())
			c.break_(doc)
			data, _ := json.Marshal(doc)
			var got []string
			check := apitest.NewChecker(t, func(format string, args ...any) { got = append(got, fmt.Sprintf(format, args...)) }, data, apiPrefix)
			b := nodetest.NewBrowser(t, n.URL())
			b.C.Transport = check
			b.API(c.method, c.path, c.body, "", nil)
			if all := strings.Join(got, "\n"); !strings.Contains(all, c.want) {
				t.Errorf("the checker missed %q; it said:\n%s", c.want, all)
			}
		})
	}
}

// apitest.Bearer adds the agency's apitest.Bearer token to every request.
func TestRoutes_FederationAdminByMethod(t *testing.T) {
	n := openNodeWithEveryRoute(t)
	call := func(method, path, token string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, n.URL()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, c := range []struct {
		method, path, token string
		code                int
		body                string
	}{
		{"GET", "/api/v1/agency/federation/status", "openapi-token", 200, "[]"},
		{"GET", "/api/v1/agency/federation/parked?destination=fr.example", "openapi-token", 200, "[]"},
		{"POST", "/api/v1/agency/federation/requeue?destination=fr.example", "openapi-token", 200, "[]"},
		{"GET", "/api/v1/agency/federation/status", "", 401, `"unauthorized"`},
		{"POST", "/api/v1/agency/federation/requeue?destination=fr.example", "wrong", 401, `"unauthorized"`},
		{"DELETE", "/api/v1/agency/federation/status", "openapi-token", 404, `"not_found"`},
		{"GET", "/api/v1/agency/federation/elsewhere", "openapi-token", 404, `"not_found"`},
	} {
		code, body := call(c.method, c.path, c.token)
		if code != c.code || !strings.Contains(body, c.body) {
			t.Errorf("%s %s (token %q): %d %s, want %d with %s", c.method, c.path, c.token, code, body, c.code, c.body)
		}
	}
}
