package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/twinspace"
)

// Issue 5's "must show", across three real nodes (the `twinfed node serve`
// wiring, real HTTP signatures) and a real three-member registry.

func teacher(u string) *twinfed.Principal {
	return &twinfed.Principal{Username: u, Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
}

var officer = &twinfed.Principal{Username: "officer", Role: twinfed.RoleAgencyOfficer, Status: twinfed.StatusValidated}

func (n *fedNode) svc() *node.Service { return n.Node().Service() }

func (n *fedNode) proj() *project.Service { return n.Node().Projects() }

func (n *fedNode) ts() *twinspace.Service { return n.Node().TwinSpaces().Core }

// befriend makes two members contacts, through their nodes.
func befriend(t testing.TB, a *fedNode, au string, b *fedNode, bu string) {
	t.Helper()
	ctx := context.Background()
	aActor, bActor := twinfed.ActorURL(a.base, au), twinfed.ActorURL(b.base, bu)
	consensustest.Eventually(t, 60*time.Second, func() bool {
		_, err := a.Node().Social().RequestContact(ctx, teacher(au), bActor, "Shall we work together?")
		return err == nil
	}, "contact request "+au+" → "+bu)
	consensustest.Eventually(t, 60*time.Second, func() bool {
		_, err := b.Node().Social().AnswerContact(ctx, teacher(bu), aActor, true)
		return err == nil
	}, "contact answer "+bu+" → "+au)
	consensustest.Eventually(t, 60*time.Second, func() bool {
		ok, _ := a.Node().Social().IsContact(ctx, au, bActor)
		return ok
	}, "contact "+au+" ↔ "+bu+" never accepted on "+a.Config.Country)
}

// project waits until cond holds for the project as a viewer on n sees it.
func (n *fedNode) project(t *testing.T, viewer *twinfed.Principal, id, what string, cond func(v *project.ProjectView) bool) *project.ProjectView {
	t.Helper()
	var v *project.ProjectView
	consensustest.Eventually(t, 60*time.Second, func() bool {
		var err error
		v, err = n.proj().ViewProject(context.Background(), viewer, id)
		return err == nil && cond(v)
	}, n.Config.Country+": "+what)
	return v
}

func status(v *project.ProjectView, actor string) twinfed.PartnerStatus {
	if pt := v.Partner(actor); pt != nil {
		return pt.Status
	}
	return ""
}

func queueHas(t *testing.T, n *fedNode, id, actor string) {
	t.Helper()
	consensustest.Eventually(t, 60*time.Second, func() bool {
		q, err := n.proj().ApprovalQueue(context.Background(), officer)
		if err != nil {
			return false
		}
		for _, it := range q {
			if it.Project.ID == id && it.Partner.Actor == actor {
				return true
			}
		}
		return false
	}, n.Config.Country+": the agency's queue never showed "+actor)
}

// restart stops the node and starts it again on the same address and data.
func (n *fedNode) restart(t *testing.T) {
	t.Helper()
	cfg := n.Config
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	for i := 0; err != nil && i < 50; i++ {
		time.Sleep(100 * time.Millisecond)
		ln, err = net.Listen("tcp", cfg.HTTPAddr)
	}
	if err != nil {
		t.Fatal(err)
	}
	m := &nodeMain{Config: cfg, Logger: consensustest.Logger(), Listener: ln}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	n.nodeMain = m
}

func describe(title string) project.ProjectDraft {
	return project.ProjectDraft{Title: title, Description: "<p>Pupils measure the water they use <script>alert(1)</script>and compare.</p>",
		Subjects: []string{"science", "mathematics"}, PupilAges: []int{10, 11}, Languages: []string{"en"}, Tools: []string{"forum"},
		Aims: "Save water", WorkProcess: "Monthly exchanges", ExpectedResults: "A shared booklet"}
}

func TestFederation_Projects(t *testing.T) {
	ctx := context.Background()
	cluster := consensustest.MustOpenCluster(t, 3)
	it, fr, es := startThreeNodes(t, cluster)
	maria := it.seedTeacher(t, "maria", "Maria", "Rossi", []string{"science"}, []int{10})
	luca := it.seedTeacher(t, "luca", "Luca", "Bianchi", []string{"science"}, []int{10})
	jean := fr.seedTeacher(t, "jean", "Jean", "Dupont", []string{"science"}, []int{10})
	ana := es.seedTeacher(t, "ana", "Ana", "García", []string{"science"}, []int{11})
	befriend(t, it, "maria", fr, "jean")
	befriend(t, fr, "jean", es, "ana")
	befriend(t, it, "maria", it, "luca")
	mariaSchool := "it-school-maria"

	// Refusals at creation.
	t.Run("founder not validated", func(t *testing.T) {
		p := teacher("maria")
		p.Status = twinfed.StatusPending
		d := describe("Water")
		d.SchoolID, d.Partner = mariaSchool, jean
		if _, err := it.proj().CreateProject(ctx, p, d); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
			t.Fatalf("a member not validated founded a project: %v", err)
		}
	})
	t.Run("co-founder not a contact", func(t *testing.T) {
		d := describe("Water")
		d.SchoolID, d.Partner = mariaSchool, ana
		_, err := it.proj().CreateProject(ctx, teacher("maria"), d)
		var e *twinfed.Error
		if !asError(err, &e) || e.Code != twinfed.EINVALID || !strings.Contains(e.Fields["partner"], "contact") {
			t.Fatalf("a project with a member who is not a contact: %v", err)
		}
	})
	t.Run("founders from the same school", func(t *testing.T) {
		it.seedTeacherAt(t, "paola", "Paola", "Verdi", mariaSchool) // Paola works at Maria's school too
		befriend(t, it, "maria", it, "paola")
		d := describe("Water")
		d.SchoolID, d.Partner = mariaSchool, twinfed.ActorURL(it.base, "paola")
		_, err := it.proj().CreateProject(ctx, teacher("maria"), d)
		var e *twinfed.Error
		if !asError(err, &e) || e.Code != twinfed.EINVALID || !strings.Contains(e.Fields["partner"], "different schools") {
			t.Fatalf("two founders of one school: %v", err)
		}
	})

	// A European project: IT founder, FR co-founder.
	d := describe("Water for tomorrow")
	d.SchoolID, d.Partner = mariaSchool, jean
	p, err := it.proj().CreateProject(ctx, teacher("maria"), d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.Description, "script") || !p.European() || p.State != twinfed.ProjectAwaitingCofounder {
		t.Fatalf("created: %+v", p)
	}
	fr.project(t, teacher("jean"), p.ID, "the invitation reaches the co-founder", func(v *project.ProjectView) bool { return v.CanAnswer })
	if _, err := fr.proj().AnswerInvitation(ctx, teacher("jean"), p.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	it.project(t, teacher("maria"), p.ID, "the co-founder's acceptance", func(v *project.ProjectView) bool {
		return v.State == twinfed.ProjectAwaitingApproval && status(v, jean) == twinfed.PartnerPending
	})
	queueHas(t, it, p.ID, maria)
	queueHas(t, fr, p.ID, jean)

	// A third country's agency cannot approve: its own node refuses, and a
	// signed Accept sent anyway is dropped by the project's home node.
	if _, err := es.proj().DecideParticipation(ctx, officer, p.ID, maria, true, ""); err == nil {
		t.Fatal("the ES agency approved an Italian participation")
	}
	forged := &twinfed.Activity{ID: twinfed.ActivityURL(es.base, "forged-approval"), Type: twinfed.ActivityAccept, Actor: twinfed.AgencyURL(es.base),
		To: []string{p.ID}, Object: maria, Target: p.ID, Published: time.Now().UTC()}
	if err := es.fed.Update(func(txn *badger.Txn) error { return es.fed.Enqueue(txn, forged) }); err != nil {
		t.Fatal(err)
	}
	es.fed.Notify()
	var in *federation.Incoming
	consensustest.Eventually(t, 30*time.Second, func() bool {
		in, err = it.fed.Received(forged.ID)
		return err == nil && in.Done
	}, "the forged approval never reached the home node")
	if !strings.Contains(in.Dropped, "cannot decide") {
		t.Fatalf("the forged approval was not dropped: %+v", in)
	}
	if v, _ := it.proj().ViewProject(ctx, teacher("maria"), p.ID); status(v, maria) != twinfed.PartnerPending {
		t.Fatalf("the forged approval changed the project: %s", status(v, maria))
	}

	if _, err := it.proj().DecideParticipation(ctx, officer, p.ID, maria, true, ""); err != nil {
		t.Fatal(err)
	}
	if v, _ := it.proj().ViewProject(ctx, teacher("maria"), p.ID); v.State != twinfed.ProjectAwaitingApproval || v.TwinSpace != "" {
		t.Fatalf("approved by one agency of two: %s", v.State)
	}
	if _, err := fr.proj().DecideParticipation(ctx, officer, p.ID, jean, true, ""); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*fedNode{it, fr} {
		u := map[*fedNode]string{it: "maria", fr: "jean"}[n]
		v := n.project(t, teacher(u), p.ID, "approval by both agencies", func(v *project.ProjectView) bool {
			return v.State == twinfed.ProjectApproved && v.TwinSpace != ""
		})
		for _, actor := range []string{maria, jean} {
			if msg, ok := v.Proofs[actor]; !ok || msg != "" {
				t.Errorf("%s: the signature of the decision on %s does not verify: %q", n.Config.Country, actor, msg)
			}
		}
		if d := v.Partner(jean).Decision; d == nil || d.Agency != twinfed.AgencyURL(fr.base) || d.Proof == "" {
			t.Errorf("%s: the FR decision is not stored with its proof: %+v", n.Config.Country, d)
		}
		if _, _, err := tsBoard(ctx, n, teacher(u), p.ID); err != nil {
			t.Errorf("%s: TwinSpace not usable: %v", n.Config.Country, err)
		}
	}
	// The project's Group actor, as any ActivityPub server reads it.
	greq, _ := http.NewRequest("GET", p.ID, nil)
	greq.Header.Set("Accept", federation.ContentTypeActivity)
	gresp, err := http.DefaultClient.Do(greq)
	if err != nil {
		t.Fatal(err)
	}
	var group map[string]any
	json.NewDecoder(gresp.Body).Decode(&group)
	gresp.Body.Close()
	if gresp.StatusCode != 200 || group["type"] != "Group" || group["inbox"] != p.ID+"/inbox" || group["publicKey"].(map[string]any)["owner"] != p.ID {
		t.Fatalf("Group actor: %d %v", gresp.StatusCode, group)
	}
	// The agency has no access to a TwinSpace.
	if _, _, err := tsBoard(ctx, it, officer, p.ID); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Errorf("the agency opened a TwinSpace: %v", err)
	}
	// The project is public on every node, the ES one included.
	es.project(t, nil, p.ID, "the approved project's public card", func(v *project.ProjectView) bool { return v.State == twinfed.ProjectApproved })
	consensustest.Eventually(t, 30*time.Second, func() bool {
		pg, err := es.proj().SearchProjects(ctx, nil, project.ProjectQuery{Text: "water", Country: "FR"})
		return err == nil && pg.Total == 1 && pg.Projects[0].ID == p.ID
	}, "the ES node's project search never found the project")
	if _, err := fr.ts().PostUpdate(ctx, teacher("jean"), p.ID, "Bonjour à tous!", false); err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 30*time.Second, func() bool {
		_, b, err := tsBoard(ctx, it, teacher("maria"), p.ID)
		return err == nil && len(b.Updates) == 1 && strings.Contains(b.Updates[0].Content, "Bonjour")
	}, "the FR post never reached the project's home node")

	// An ES partner joins later, invited by the FR co-founder; the ES node
	// is down while its agency's approval is due, then comes back.
	if _, err := fr.proj().InvitePartner(ctx, teacher("jean"), p.ID, ana); err != nil {
		t.Fatal(err)
	}
	es.project(t, teacher("ana"), p.ID, "the invitation reaches the partner", func(v *project.ProjectView) bool { return v.CanAnswer })
	if _, err := es.proj().AnswerInvitation(ctx, teacher("ana"), p.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	it.project(t, teacher("maria"), p.ID, "the partner's acceptance", func(v *project.ProjectView) bool { return status(v, ana) == twinfed.PartnerPending })
	queueHas(t, es, p.ID, ana)
	es.nodeMain.Close()
	if _, err := it.ts().PostUpdate(ctx, teacher("maria"), p.ID, "Ciao! ES is away.", false); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // deliveries to ES fail and back off meanwhile
	es.restart(t)
	if _, err := es.proj().DecideParticipation(ctx, officer, p.ID, ana, true, ""); err != nil {
		t.Fatal(err)
	}
	var final *project.ProjectView
	for _, n := range []*fedNode{it, fr, es} {
		u := map[*fedNode]string{it: "maria", fr: "jean", es: "ana"}[n]
		final = n.project(t, teacher(u), p.ID, "the ES approval", func(v *project.ProjectView) bool {
			msg, ok := v.Proofs[ana]
			return status(v, ana) == twinfed.PartnerApproved && ok && msg == ""
		})
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		_, b, err := tsBoard(ctx, es, teacher("ana"), p.ID)
		return err == nil && len(b.Updates) == 2
	}, "the posts never reached the ES node after its restart")
	if final.Partner(ana).Decision.Agency != twinfed.AgencyURL(es.base) {
		t.Errorf("the ES decision: %+v", final.Partner(ana).Decision)
	}

	// The same approval delivered twice changes nothing: replay the signed
	// request the home node keeps as proof.
	before, _ := it.proj().ViewProject(ctx, teacher("maria"), p.ID)
	var proof federation.Proof
	if err := json.Unmarshal([]byte(before.Partner(ana).Decision.Proof), &proof); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(proof.Method, it.base+proof.Target, strings.NewReader(proof.Body))
	for k, v := range proof.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", federation.ContentTypeActivity)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("replayed approval: %d", resp.StatusCode)
	}
	again, err := federation.DecodeActivity([]byte(proof.Body))
	if err != nil {
		t.Fatal(err)
	}
	again.Proof = before.Partner(ana).Decision.Proof
	if err := it.svc().HandleActivity(ctx, again); err != nil {
		t.Fatalf("the same approval handled twice: %v", err)
	}
	after, _ := it.proj().ViewProject(ctx, teacher("maria"), p.ID)
	if after.Version != before.Version || len(after.Partners) != 3 {
		t.Fatalf("a replayed approval changed the project: version %d → %d", before.Version, after.Version)
	}

	// Closing: the TwinSpace becomes read-only everywhere; the card stays.
	if _, err := fr.proj().CloseProject(ctx, teacher("jean"), p.ID); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*fedNode{it, fr, es} {
		u := map[*fedNode]string{it: "maria", fr: "jean", es: "ana"}[n]
		n.project(t, nil, p.ID, "the project closed", func(v *project.ProjectView) bool { return v.State == twinfed.ProjectClosed })
		if _, err := n.ts().PostUpdate(ctx, teacher(u), p.ID, "late", false); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
			t.Errorf("%s: a post in a closed project's TwinSpace: %v", n.Config.Country, err)
		}
		if v, _, err := tsBoard(ctx, n, teacher(u), p.ID); err != nil || !v.ReadOnly {
			t.Errorf("%s: closed TwinSpace: %v", n.Config.Country, err)
		}
	}

	// Quality labels: each agency records its own from its node's back
	// office (a signed registry write as its node); labels of two countries
	// for one school year make the project eligible for the European label,
	// which every node's card shows.
	year := twinfed.SchoolYearOf(time.Now())
	for _, n := range []*fedNode{it, fr} {
		if _, err := n.Node().Accounts().CreateStaff(ctx, nil, "officer", "officer@agency.example", "Agency", "Officer", "correct horse 1", twinfed.RoleAgencyOfficer); err != nil {
			t.Fatal(err)
		}
		o := n.login(t, "officer")
		if page := o.page("/backoffice/labels"); !strings.Contains(page, "Water for tomorrow") {
			t.Fatalf("%s: the labels page does not list the project:\n%s", n.Config.Country, page)
		}
		if loc := o.post("/backoffice/labels", "/backoffice/labels", url.Values{"project_id": {p.ID}, "school_year": {year}, "score": {"25"}}); loc != "/backoffice/labels?done=label_recorded" {
			t.Fatalf("%s: record the label: %q", n.Config.Country, loc)
		}
	}
	for _, n := range []*fedNode{it, fr, es} {
		consensustest.Eventually(t, 30*time.Second, func() bool {
			l, err := n.Node().Labels().ProjectLabels(ctx, nil, p.ID)
			return err == nil && l.EQL == twinfed.EQLEligible && len(l.National) == 2
		}, n.Config.Country+": the project never became eligible for the European label")
	}
	if page := it.login(t, "maria").page("/projects/view?id=" + url.QueryEscape(p.ID)); !strings.Contains(page, `id="labels-title"`) ||
		!strings.Contains(page, `<th scope="row">France</th><td>`+year+`</td>`) && !strings.Contains(page, `<th scope="row">Francia</th><td>`+year+`</td>`) ||
		!strings.Contains(page, `<th scope="row">Italy</th><td>`+year+`</td>`) && !strings.Contains(page, `<th scope="row">Italia</th><td>`+year+`</td>`) {
		t.Fatalf("maria's card does not show the labels:\n%s", page)
	}

	// A node that joins the federation later gets the public projects by
	// backfill (signed GETs checked against the registry).
	de := startFedNode(t, cluster, "DE")
	de.knows(t, it, fr, es)
	it.knows(t, de)
	consensustest.Eventually(t, 60*time.Second, func() bool {
		de.Node().Backfill(ctx, de.fed.Get)
		pg, err := de.proj().SearchProjects(ctx, nil, project.ProjectQuery{Text: "water"})
		return err == nil && pg.Total == 1 && pg.Projects[0].State == twinfed.ProjectClosed
	}, "the DE node never got the closed project by backfill")

	// National projects: one agency decides.
	nd := describe("Our town's rivers")
	nd.SchoolID, nd.Partner = mariaSchool, luca
	np, err := it.proj().CreateProject(ctx, teacher("maria"), nd)
	if err != nil {
		t.Fatal(err)
	}
	if np.European() {
		t.Fatal("a project of two Italian schools is European")
	}
	if _, err := it.proj().AnswerInvitation(ctx, teacher("luca"), np.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{maria, luca} {
		if _, err := it.proj().DecideParticipation(ctx, officer, np.ID, who, true, ""); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := it.proj().ViewProject(ctx, teacher("luca"), np.ID); v.State != twinfed.ProjectApproved || v.TwinSpace == "" {
		t.Fatalf("national project after its agency's approval: %s", v.State)
	}

	// An agency rejects: the project stays unapproved and shows why.
	rd := describe("Rivers again")
	rd.SchoolID, rd.Partner = mariaSchool, jean
	rp, err := it.proj().CreateProject(ctx, teacher("maria"), rd)
	if err != nil {
		t.Fatal(err)
	}
	fr.project(t, teacher("jean"), rp.ID, "the second invitation", func(v *project.ProjectView) bool { return v.CanAnswer })
	if _, err := fr.proj().AnswerInvitation(ctx, teacher("jean"), rp.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	queueHas(t, fr, rp.ID, jean)
	if _, err := fr.proj().DecideParticipation(ctx, officer, rp.ID, jean, false, ""); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Fatalf("a rejection without a reason: %v", err)
	}
	if _, err := fr.proj().DecideParticipation(ctx, officer, rp.ID, jean, false, "The school's registration is incomplete."); err != nil {
		t.Fatal(err)
	}
	v := it.project(t, teacher("maria"), rp.ID, "the rejection", func(v *project.ProjectView) bool { return v.State == twinfed.ProjectRejected })
	if d := v.Partner(jean).Decision; d == nil || d.Approved || d.Reason != "The school's registration is incomplete." || v.TwinSpace != "" {
		t.Fatalf("rejected project: %+v", d)
	}
	if _, err := it.proj().DecideParticipation(ctx, officer, rp.ID, maria, true, ""); twinfed.ErrorCode(err) != twinfed.ECONFLICT {
		t.Fatalf("approval of a rejected project: %v", err)
	}
}

func asError(err error, target **twinfed.Error) bool {
	e, ok := err.(*twinfed.Error)
	if ok {
		*target = e
	}
	return ok
}

// tsBoard opens a project's TwinSpace on n as who sees it, with its
// Twinboard; EFORBIDDEN when who is not a member (the public's view).
func tsBoard(ctx context.Context, n *fedNode, who *twinfed.Principal, id string) (*twinspace.View, *twinspace.Board, error) {
	v, err := n.ts().OpenView(ctx, who, id, false)
	if err != nil {
		return nil, nil, err
	}
	if err := v.RequireMember(); err != nil {
		return v, nil, err
	}
	b, err := n.ts().Board(ctx, v, 50)
	return v, b, err
}
