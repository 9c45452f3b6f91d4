package label_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/label"
)

// The service's rules against a registry and projects in memory; the
// pages, the API and a real registry cluster are node's tests
// (node/labels_test.go).

type memRegistry struct {
	labels []twinfed.QualityLabel
	eql    *twinfed.EuropeanLabel
	down   bool
}

func (r *memRegistry) RecordQualityLabel(ctx context.Context, l twinfed.QualityLabel) error {
	if r.down {
		return errors.New("connection refused")
	}
	l.Recorded = time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	r.labels = append(r.labels, l)
	return nil
}

func (r *memRegistry) ProjectLabels(ctx context.Context, id string) ([]twinfed.QualityLabel, *twinfed.EuropeanLabel, error) {
	if r.down {
		return nil, nil, errors.New("connection refused")
	}
	var out []twinfed.QualityLabel
	for _, l := range r.labels {
		if l.ProjectID == id {
			out = append(out, l)
		}
	}
	return out, r.eql, nil
}

type memProjects map[string]*twinfed.Project

func (m memProjects) HeldProject(ctx context.Context, id string) (*twinfed.Project, error) {
	if p, ok := m[id]; ok {
		return p, nil
	}
	return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such project on this node.")
}

func (m memProjects) CanViewProject(ctx context.Context, viewer *twinfed.Principal, id string) error {
	if p, ok := m[id]; ok && p.Public() {
		return nil
	}
	return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such project on this node.")
}

func (m memProjects) MembersProjects(ctx context.Context) ([]*twinfed.Project, error) {
	var out []*twinfed.Project
	for _, p := range m {
		out = append(out, p)
	}
	return out, nil
}

var (
	now     = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC) // school year 2025-2026
	officer = &twinfed.Principal{Username: "officer", Role: twinfed.RoleAgencyOfficer, Status: twinfed.StatusValidated}
	teacher = &twinfed.Principal{Username: "anna", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
)

func project(id string, state twinfed.ProjectState, countries ...string) *twinfed.Project {
	p := &twinfed.Project{ID: "http://fr.example/projects/" + id, Title: id, State: state, Created: now.AddDate(0, -2, 0), Approved: now.AddDate(0, -1, 0)}
	for _, c := range countries {
		p.Partners = append(p.Partners, twinfed.Partner{Actor: "http://" + c + ".example/users/" + id, Country: c, Status: twinfed.PartnerApproved})
	}
	return p
}

func newService(t *testing.T, reg label.Registry, ps memProjects) *label.Service {
	t.Helper()
	s, err := label.New(label.Config{Country: "IT"}, label.Deps{Registry: reg, Projects: ps, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// held is a node holding ps.
func held(ps ...*twinfed.Project) memProjects {
	m := memProjects{}
	for _, p := range ps {
		m[p.ID] = p
	}
	return m
}

func score(n int) *int { return &n }

func TestRecordNationalLabel_Rules(t *testing.T) {
	eu := project("water", twinfed.ProjectApproved, "FR", "IT")
	national := project("national", twinfed.ProjectApproved, "IT", "IT")
	pending := project("pending", twinfed.ProjectAwaitingApproval, "FR", "IT")
	foreign := project("foreign", twinfed.ProjectApproved, "FR", "ES")
	ps := held(eu, national, pending, foreign)
	reg := &memRegistry{}
	s := newService(t, reg, ps)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		in    label.NationalLabelInput
		field string
	}{
		{"no project", label.NationalLabelInput{Score: score(20)}, "project_id"},
		{"unknown project", label.NationalLabelInput{ProjectID: "http://fr.example/projects/nope", Score: score(20)}, "project_id"},
		{"national project", label.NationalLabelInput{ProjectID: national.ID, Score: score(20)}, "project_id"},
		{"pending project", label.NationalLabelInput{ProjectID: pending.ID, Score: score(20)}, "project_id"},
		{"no partner of this country", label.NationalLabelInput{ProjectID: foreign.ID, Score: score(20)}, "project_id"},
		{"no score", label.NationalLabelInput{ProjectID: eu.ID}, "score"},
		{"score 31", label.NationalLabelInput{ProjectID: eu.ID, Score: score(31)}, "score"},
		{"not a school year", label.NationalLabelInput{ProjectID: eu.ID, SchoolYear: "2025-2027", Score: score(20)}, "school_year"},
		{"a future year", label.NationalLabelInput{ProjectID: eu.ID, SchoolYear: "2026-2027", Score: score(20)}, "school_year"},
		{"before the project", label.NationalLabelInput{ProjectID: eu.ID, SchoolYear: "2024-2025", Score: score(20)}, "school_year"},
	} {
		_, err := s.RecordNationalLabel(ctx, officer, tc.in)
		if twinfed.ErrorCode(err) != twinfed.EINVALID || twinfed.ErrorFields(err)[tc.field] == "" {
			t.Errorf("%s: %v (fields %v), want EINVALID on %s", tc.name, err, twinfed.ErrorFields(err), tc.field)
		}
	}
	if _, err := s.RecordNationalLabel(ctx, teacher, label.NationalLabelInput{ProjectID: eu.ID, Score: score(20)}); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Errorf("a member records a label: %v", err)
	}
	if len(reg.labels) != 0 {
		t.Fatalf("refused labels reached the registry: %+v", reg.labels)
	}
	l, err := s.RecordNationalLabel(ctx, officer, label.NationalLabelInput{ProjectID: eu.ID, Score: score(24)})
	if err != nil || l.Country != "IT" || l.SchoolYear != "2025-2026" || l.Score != 24 || l.Recorded.IsZero() {
		t.Fatalf("record: %+v %v", l, err)
	}

	reg.down = true
	if _, err := s.RecordNationalLabel(ctx, officer, label.NationalLabelInput{ProjectID: eu.ID, Score: score(25)}); twinfed.ErrorCode(err) != twinfed.EUNAVAILABLE {
		t.Errorf("registry down: %v, want EUNAVAILABLE", err)
	}
	if _, err := newService(t, nil, ps).RecordNationalLabel(ctx, officer, label.NationalLabelInput{ProjectID: eu.ID, Score: score(25)}); twinfed.ErrorCode(err) != twinfed.EUNAVAILABLE {
		t.Errorf("no registry: %v, want EUNAVAILABLE", err)
	}
}

func TestProjectLabels_ScoresForAgencyOnly(t *testing.T) {
	eu := project("water", twinfed.ProjectApproved, "FR", "IT")
	reg := &memRegistry{labels: []twinfed.QualityLabel{
		{ProjectID: eu.ID, Country: "IT", SchoolYear: "2024-2025", Score: 20},
		{ProjectID: eu.ID, Country: "IT", SchoolYear: "2025-2026", Score: 24},
		{ProjectID: eu.ID, Country: "FR", SchoolYear: "2025-2026", Score: 22},
	}, eql: &twinfed.EuropeanLabel{ProjectID: eu.ID, SchoolYear: "2025-2026", Countries: []string{"IT", "FR"}, Status: twinfed.EQLEligible}}
	s := newService(t, reg, held(eu))
	ctx := context.Background()

	l, err := s.ProjectLabels(ctx, officer, eu.ID)
	if err != nil || l.EQL != twinfed.EQLEligible || len(l.National) != 3 {
		t.Fatalf("agency: %+v %v", l, err)
	}
	// Newest school year first, then by country.
	for i, want := range []string{"FR 2025-2026 22", "IT 2025-2026 24", "IT 2024-2025 20"} {
		n := l.National[i]
		if got := n.Country + " " + n.SchoolYear + " " + itoa(n.Score); got != want {
			t.Errorf("national[%d] = %s, want %s", i, got, want)
		}
	}
	for _, viewer := range []*twinfed.Principal{nil, teacher} {
		l, err := s.ProjectLabels(ctx, viewer, eu.ID)
		if err != nil || len(l.National) != 3 {
			t.Fatalf("%v: %+v %v", viewer, l, err)
		}
		for _, n := range l.National {
			if n.Score != nil {
				t.Errorf("%v reads the agencies' scores: %+v", viewer, l.National)
			}
		}
	}
	if _, err := s.ProjectLabels(ctx, nil, "http://fr.example/projects/hidden"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Errorf("a project the viewer may not see: %v", err)
	}
	reg.eql = nil
	if l, _ := s.PublicProjectLabels(ctx, eu.ID); l.EQL != label.EQLNone || l.National[0].Score != nil {
		t.Errorf("public labels: %+v", l)
	}
}

func TestLabelProjects_EuropeanWithThisCountry(t *testing.T) {
	older, newer := project("older", twinfed.ProjectClosed, "FR", "IT"), project("newer", twinfed.ProjectApproved, "IT", "ES")
	newer.Approved = now
	ps := held(older, newer, project("national", twinfed.ProjectApproved, "IT", "IT"), project("foreign", twinfed.ProjectApproved, "FR", "ES"))
	reg := &memRegistry{}
	s := newService(t, reg, ps)
	ctx := context.Background()
	if _, err := s.LabelProjects(ctx, teacher, 0, 10); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("a member lists the projects to label: %v", err)
	}
	page, err := s.LabelProjects(ctx, officer, 0, 1)
	if err != nil || page.Total != 2 || len(page.Projects) != 1 || page.Projects[0].Project != newer || page.Next != 1 || page.Projects[0].Labels == nil {
		t.Fatalf("first page: %+v %v", page, err)
	}
	reg.down = true
	page, err = s.LabelProjects(ctx, officer, 1, 1)
	if err != nil || len(page.Projects) != 1 || page.Projects[0].Project != older || page.Next != 0 || !page.LabelsUnavailable || page.Projects[0].Labels != nil {
		t.Fatalf("second page, registry down: %+v %v", page, err)
	}
}

func itoa(n *int) string {
	if n == nil {
		return "-"
	}
	return strconv.Itoa(*n)
}
