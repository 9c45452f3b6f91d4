package node_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation/signing"
	"github.com/twinfed/twinfed/node"
)

// registryNode starts a node of IT registered in a real registry cluster,
// with its registry client signing as the node.
type registryNode struct {
	*node.Node
	dir     string
	cluster *consensustest.Cluster
}

// mustRegistryNode opens it; with localOnly it gets localOnlyProver as its
// outbox and prover.
func mustRegistryNode(t *testing.T, cluster *consensustest.Cluster, country string, localOnly bool) *registryNode {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	key, err := signing.LoadOrCreateKey(filepath.Join(dir, "node.key"), twinfed.KeyEd25519)
	if err != nil {
		t.Fatal(err)
	}
	cluster.MustRegisterNode(t, country, base, key.NodeKey())
	cl := cluster.MustClient(t, country, &signing.Signer{Key: key}, twinfed.KeyID(twinfed.AgencyURL(base)))
	n := MustOpenNode(t, nodeOpts{dir: dir, registry: cl, ln: ln, country: country, localOnly: localOnly})
	return &registryNode{Node: n, dir: dir, cluster: cluster}
}

// confirmed pre-registers user through HTTP and follows the e-mailed link.
func confirmed(t *testing.T, n *node.Node, dir, user string) *browser {
	t.Helper()
	b := newBrowser(t, n.URL())
	if code, _, _ := b.Form("/register", "/register", preReg(user)); code != http.StatusSeeOther {
		t.Fatalf("pre-register %s: %d\n%s", user, code, b.Last)
	}
	link := mustLink(t, n, dir, user+"@scuola.it", "/register/confirm")
	b.Get(link)
	if code, _, _ := b.Post("/register/confirm", url.Values{"token": {tokenOf(link)}}); code != http.StatusSeeOther {
		t.Fatalf("confirm %s: %d\n%s", user, code, b.Last)
	}
	return b
}

func finishSteps(t *testing.T, b *browser) {
	t.Helper()
	if code, _, loc := b.Form("/register/step/2", "/register/step/2", url.Values{"role": {"teacher"}}); code != http.StatusSeeOther || loc != "/register/step/3" {
		t.Fatalf("step 2: %d %s\n%s", code, loc, b.Last)
	}
	if code, _, loc := b.Form("/register/step/3", "/register/step/3", url.Values{"languages": {"it"}, "pupil_ages": {"10"}, "subjects": {"history"}, "public": {"school", "subjects", "description"}, "description": {"Storia e cittadinanza"}}); code != http.StatusSeeOther || loc != "/register/step/4" {
		t.Fatalf("step 3: %d %s\n%s", code, loc, b.Last)
	}
	if code, _, _ := b.Form("/register/step/4", "/register/step/4", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("step 4: %d\n%s", code, b.Last)
	}
}

// TestRegistry_Registration runs the registration against a real
// three-member registry cluster: step 1 searches the registry's schools,
// the eligibility policy applies to them, and a school the agency validates
// is written to the registry.
func TestRegistry_Registration(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 3)
	schools := cluster.MustImportSchools(t,
		twinfed.School{Country: "IT", LegalName: "Liceo Galileo Galilei", City: "Pisa", Region: "Toscana", Level: twinfed.LevelUpperSecondary, Institution: twinfed.InstitutionState, NationalNumber: "PIPS0001"},
		twinfed.School{Country: "IT", LegalName: "Università di Pisa", City: "Pisa", Region: "Toscana", Level: twinfed.LevelOther, Institution: twinfed.InstitutionUniversity},
		twinfed.School{Country: "IT", LegalName: "CFP Galileo biennale", City: "Pisa", Region: "Toscana", Level: twinfed.LevelVocational, CourseYears: 2, Institution: twinfed.InstitutionState},
		twinfed.School{Country: "FR", LegalName: "Lycée Galilée", City: "Paris", Region: "Île-de-France", Level: twinfed.LevelUpperSecondary, Institution: twinfed.InstitutionState},
	)
	rn := mustRegistryNode(t, cluster, "IT", false)
	ctx := context.Background()
	seedStaff(t, rn.Node, "officer", twinfed.RoleAgencyOfficer)

	t.Run("search and pick a registry school", func(t *testing.T) {
		b := confirmed(t, rn.Node, rn.dir, "giulia")
		code, body := b.Get("/register/step/1?q=Galileo")
		if code != 200 || !strings.Contains(body, "Liceo Galileo Galilei") || strings.Contains(body, "Lycée Galilée") {
			t.Fatalf("search: %d\n%s", code, body)
		}
		code, _, loc := b.Post("/register/step/1", url.Values{"school_id": {schools[0].ID}})
		if code != http.StatusSeeOther || loc != "/register/step/2" {
			t.Fatalf("pick: %d %s\n%s", code, loc, b.Last)
		}
		finishSteps(t, b)
		m, _ := rn.Accounts().Member(ctx, "giulia")
		if m.Status != twinfed.StatusPending || m.Schools[0].SchoolID != schools[0].ID || m.Schools[0].Region != "Toscana" {
			t.Fatalf("member: %+v", m)
		}
		// The agency validates her through the back office.
		o := login(t, rn.Node, "officer", "staff password 1")
		if code, _, _ := o.Form("/backoffice/members/giulia", "/backoffice/members/giulia/validate", url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("validate: %d\n%s", code, o.Last)
		}
		if code, body := newBrowser(t, rn.URL()).Get("/users/giulia"); code != 200 || !strings.Contains(body, "Liceo Galileo Galilei") {
			t.Fatalf("public profile: %d\n%s", code, body)
		}
	})

	t.Run("eligibility of registry schools", func(t *testing.T) {
		b := confirmed(t, rn.Node, rn.dir, "paolo")
		for _, tc := range []struct {
			id, rule string
		}{
			{schools[1].ID, twinfed.RuleRefusedInstitutions},
			{schools[2].ID, twinfed.RuleMinVocationalYears},
			{schools[3].ID, ""}, // another country's school
		} {
			b.Get("/register/step/1?q=Galileo")
			code, body, _ := b.Post("/register/step/1", url.Values{"school_id": {tc.id}})
			if code == http.StatusSeeOther || (tc.rule != "" && !strings.Contains(body, tc.rule)) {
				t.Errorf("school %s: %d, want refusal by %q\n%s", tc.id, code, tc.rule, body)
			}
		}
		if m, _ := rn.Accounts().Member(ctx, "paolo"); len(m.Schools) != 0 {
			t.Fatalf("a refused school was stored: %+v", m.Schools)
		}
	})

	t.Run("a validated proposed school appears in the registry", func(t *testing.T) {
		b := confirmed(t, rn.Node, rn.dir, "anna")
		code, _, _ := b.Form("/register/step/1?propose=1", "/register/step/1", url.Values{"propose": {"1"}, "legal_name": {"Scuola dell'infanzia comunale Arcobaleno"},
			"city": {"Lucca"}, "region": {"Toscana"}, "level": {"early_childhood"}, "institution": {"state"}, "national_number": {"LUAA0042"}})
		if code != http.StatusSeeOther {
			t.Fatalf("propose: %d\n%s", code, b.Last)
		}
		finishSteps(t, b)
		o := login(t, rn.Node, "officer", "staff password 1")
		// The member cannot be validated before the school.
		code, body, _ := o.Form("/backoffice/members/anna", "/backoffice/members/anna/validate", url.Values{})
		if code != http.StatusConflict {
			t.Fatalf("validate member before school: %d\n%s", code, body)
		}
		props, err := rn.Agency().ListProposals(ctx, &twinfed.Principal{Username: "officer", Role: twinfed.RoleAgencyOfficer}, twinfed.SchoolProposed)
		if err != nil || len(props) != 1 {
			t.Fatalf("proposals: %v %v", props, err)
		}
		if code, _, _ := o.Form("/backoffice/schools", "/backoffice/schools/"+props[0].ID+"/validate", url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("validate school: %d\n%s", code, o.Last)
		}
		// A fresh client of another country sees it in the registry.
		admin := cluster.AdminClient(t)
		var found []*twinfed.School
		eventually(t, 30*time.Second, func() bool {
			found, _, err = admin.FindSchools(ctx, twinfed.SchoolFilter{Country: "IT", NationalNumber: "LUAA0042"})
			return err == nil && len(found) == 1
		}, "the validated school never appeared in the registry")
		if found[0].Status != twinfed.SchoolValidated || found[0].ValidatedBy != "IT" || found[0].LegalName != "Scuola dell'infanzia comunale Arcobaleno" {
			t.Fatalf("registry school: %+v", found[0])
		}
		m, _ := rn.Accounts().Member(ctx, "anna")
		if m.Schools[0].SchoolID != found[0].ID || m.Schools[0].ProposalID != "" {
			t.Fatalf("member's school not linked: %+v", m.Schools[0])
		}
		if code, _, _ := o.Form("/backoffice/members/anna", "/backoffice/members/anna/validate", url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("validate member: %d\n%s", code, o.Last)
		}
		// Step 1 of a later registration finds the new school.
		b2 := confirmed(t, rn.Node, rn.dir, "luca")
		if _, body := b2.Get("/register/step/1?q=Arcobaleno"); !strings.Contains(body, "Arcobaleno") {
			t.Fatalf("new school not found in step 1:\n%s", body)
		}
	})
}
