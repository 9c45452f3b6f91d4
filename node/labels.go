package node

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// Quality labels. The registry holds them (twinfed.Registry); the node is
// where an agency records its National Quality Label (NQL) and where
// teachers see their project's labels. The node checks the national rules
// before it writes (DOMAIN.md, "National Quality Label (current rules)"):
// a project this node holds, approved or closed, European (approved
// partners from two countries or more), with an approved partner of this
// country. The country is always the node's own: the registry refuses
// another one. The European Quality Label (EQL) is derived by the
// registry, never written from a node.

// labelReadWait is how long a label page waits for the registry.
const labelReadWait = 3 * time.Second

// EQL states as the node shows them: twinfed.EQLEligible, twinfed.EQLAwarded, or none.
const EQLNone = "none"

// Field messages of a national label.
const (
	msgLabelProject  = "Choose one of the projects in the list."
	msgLabelUnknown  = "There is no such project on this node; choose one from the list."
	msgLabelState    = "Only approved or closed projects can receive a quality label."
	msgLabelNational = "Only European projects (approved partners from at least two countries) can receive a National Quality Label."
	msgLabelPartner  = "The project has no approved partner teacher of this country; another country's agency gives its own label."
	msgLabelYear     = "Give a school year such as 2025-2026: two years that follow each other."
	msgLabelFuture   = "A label cannot be given for a school year that has not started yet."
	msgLabelBefore   = "The project did not exist yet in that school year."
	msgLabelScore    = "Give the score as a whole number from 0 to 30." // twinfed.MaxLabelScore
)

var (
	errLabelsWrite = twinfed.Errorf(twinfed.EUNAVAILABLE, "The registry of quality labels cannot be reached right now; nothing was recorded. Try again in a few minutes.")
	errLabelsRead  = twinfed.Errorf(twinfed.EUNAVAILABLE, "The quality labels cannot be read from the registry right now; try again in a few minutes.")
)

// NationalLabelInput is what an agency fills in to record its National
// Quality Label for a project.
type NationalLabelInput struct {
	ProjectID  string `json:"project_id"`  // the project's id (its URL on its home node)
	SchoolYear string `json:"school_year"` // such as 2025-2026; empty: the current school year
	Score      *int   `json:"score"`       // 0 to 30
}

// ProjectLabels are a project's quality labels as one viewer sees them.
type ProjectLabels struct {
	National []NationalLabel        `json:"national"`
	European *twinfed.EuropeanLabel `json:"european,omitempty"`
	EQL      string                 `json:"eql"` // none, eligible or awarded
}

// NationalLabel is one agency's label of a project. The score is the
// agencies' assessment: only agency staff see it.
type NationalLabel struct {
	Country    string    `json:"country"`
	SchoolYear string    `json:"school_year"`
	Score      *int      `json:"score,omitempty"`
	Recorded   time.Time `json:"recorded,omitzero"`
}

// LabelCandidate is a project this node's agency may give its label, with
// the labels it holds.
type LabelCandidate struct {
	Project   *twinfed.Project `json:"project"`
	Countries []string         `json:"countries"`        // of its approved partners
	Labels    *ProjectLabels   `json:"labels,omitempty"` // nil when the registry could not be read
}

// LabelPage is a page of the projects an agency may label.
type LabelPage struct {
	Projects []*LabelCandidate `json:"projects"`
	Total    int               `json:"total"`
	Offset   int               `json:"offset"`
	Next     int               `json:"next,omitempty"` // offset of the next page; 0 at the end
	// LabelsUnavailable says the registry could not be read: the projects
	// are listed without their labels.
	LabelsUnavailable bool `json:"labels_unavailable,omitempty"`
}

// CurrentSchoolYear returns the school year of the node's clock.
func (s *Service) CurrentSchoolYear() string { return twinfed.SchoolYearOf(s.now().UTC()) }

// labelRefusal says why this node's agency may not label p, "" when it may.
func (s *Service) labelRefusal(p *twinfed.Project) string {
	countries := p.ApprovedCountries()
	switch {
	case !p.Public():
		return msgLabelState
	case len(countries) < 2:
		return msgLabelNational
	case !slices.Contains(countries, s.cfg.Country):
		return msgLabelPartner
	}
	return ""
}

// checkNationalLabel checks in against the national rules and returns the
// label to record.
func (s *Service) checkNationalLabel(in NationalLabelInput) (twinfed.QualityLabel, error) {
	l := twinfed.QualityLabel{ProjectID: strings.TrimSpace(in.ProjectID), Country: s.cfg.Country, SchoolYear: strings.TrimSpace(in.SchoolYear)}
	fields := map[string]string{}
	var proj *twinfed.Project
	if l.ProjectID == "" {
		fields["project_id"] = msgLabelProject
	} else {
		err := s.store.View(func(txn *badger.Txn) error {
			var err error
			proj, err = s.projects.Project(txn, l.ProjectID)
			return err
		})
		switch {
		case twinfed.ErrorCode(err) == twinfed.ENOTFOUND:
			fields["project_id"] = msgLabelUnknown
		case err != nil:
			return l, s.internal("label project", err)
		default:
			if why := s.labelRefusal(proj); why != "" {
				fields["project_id"] = why
			}
		}
	}
	current := s.CurrentSchoolYear()
	if l.SchoolYear == "" {
		l.SchoolYear = current
	}
	cur, _ := twinfed.ParseSchoolYear(current)
	first := 0
	if proj != nil && !proj.Created.IsZero() {
		first, _ = twinfed.ParseSchoolYear(twinfed.SchoolYearOf(proj.Created.UTC()))
	}
	switch y, ok := twinfed.ParseSchoolYear(l.SchoolYear); {
	case !ok:
		fields["school_year"] = msgLabelYear
	case y > cur:
		fields["school_year"] = msgLabelFuture
	case y < first:
		fields["school_year"] = msgLabelBefore
	}
	if in.Score == nil || !twinfed.ValidLabelScore(*in.Score) {
		fields["score"] = msgLabelScore
	} else {
		l.Score = *in.Score
	}
	return l, invalid(fields)
}

// RecordNationalLabel records the agency's National Quality Label for a
// project in the registry (signed by the node; the country is the node's).
// Recording the same project and school year again corrects the score.
// Agency only. EINVALID with field errors when a rule is not met,
// EUNAVAILABLE when the registry cannot be reached (nothing is recorded).
func (s *Service) RecordNationalLabel(ctx context.Context, p *twinfed.Principal, in NationalLabelInput) (*twinfed.QualityLabel, error) {
	if err := requireAgency(p); err != nil {
		return nil, err
	}
	l, err := s.checkNationalLabel(in)
	if err != nil {
		return nil, err
	}
	if s.registry == nil {
		return nil, errLabelsWrite
	}
	if err := s.registry.RecordQualityLabel(ctx, l); err != nil {
		return nil, s.labelWriteErr(err)
	}
	s.validations.WithLabelValues("label", "recorded").Inc()
	s.log.Info("national quality label recorded", "project", l.ProjectID, "school_year", l.SchoolYear, "score", l.Score, "by", p.Username)
	// The registry stamps the label; the client has waited for its cache
	// to reach the write, so this reads it back.
	if nat, _, err := s.registry.ProjectLabels(ctx, l.ProjectID); err == nil {
		for _, q := range nat {
			if q.Country == l.Country && q.SchoolYear == l.SchoolYear && q.Score == l.Score {
				return &q, nil
			}
		}
	}
	return &l, nil
}

// labelWriteErr turns the registry's refusal of a label into what the
// agency reads. The node checks the same rules first, so these are rare;
// the registry's own wording stays in the log.
func (s *Service) labelWriteErr(err error) error {
	switch twinfed.ErrorCode(err) {
	case twinfed.EINVALID:
		s.log.Warn("registry: quality label refused", "err", err)
		fields := map[string]string{}
		for k := range twinfed.ErrorFields(err) {
			switch k {
			case "school_year":
				fields[k] = msgLabelYear
			case "score":
				fields[k] = msgLabelScore
			default:
				fields["project_id"] = msgLabelUnknown
			}
		}
		if len(fields) == 0 {
			return twinfed.Errorf(twinfed.EINVALID, "The registry refused the label; check the project, the school year and the score.")
		}
		return invalid(fields)
	case twinfed.EFORBIDDEN:
		s.log.Error("registry: quality label forbidden", "err", err)
		return twinfed.Errorf(twinfed.EFORBIDDEN, "The registry does not accept this country's labels from this node; ask the Central Support Service to check the node's registration.")
	default:
		s.log.Error("registry: record quality label", "err", err)
		return errLabelsWrite
	}
}

// ProjectLabels returns a project's labels for a viewer who may see the
// project (ViewProject's rules). ENOTFOUND for a project the viewer may
// not see, EUNAVAILABLE when the registry cannot be read.
func (s *Service) ProjectLabels(ctx context.Context, viewer *twinfed.Principal, id string) (*ProjectLabels, error) {
	if _, err := s.projects.ViewProject(ctx, viewer, id); err != nil {
		return nil, err
	}
	return s.projectLabels(ctx, id, viewer.IsAgency())
}

// projectLabels reads a project's labels from the registry (its local
// cache when it is current), within labelReadWait so that a page never
// waits long for an unreachable registry; scores are kept for agency staff.
func (s *Service) projectLabels(ctx context.Context, id string, scores bool) (*ProjectLabels, error) {
	if s.registry == nil {
		return nil, errLabelsRead
	}
	ctx, cancel := context.WithTimeout(ctx, labelReadWait)
	defer cancel()
	nat, eql, err := s.registry.ProjectLabels(ctx, id)
	if err != nil {
		s.log.Warn("registry: project labels", "project", id, "err", err)
		return nil, errLabelsRead
	}
	out := &ProjectLabels{National: []NationalLabel{}, European: eql, EQL: EQLNone}
	if eql != nil {
		out.EQL = eql.Status
	}
	for _, q := range nat {
		n := NationalLabel{Country: q.Country, SchoolYear: q.SchoolYear, Recorded: q.Recorded}
		if scores {
			n.Score = &q.Score
		}
		out.National = append(out.National, n)
	}
	slices.SortFunc(out.National, func(a, b NationalLabel) int {
		if c := strings.Compare(b.SchoolYear, a.SchoolYear); c != 0 {
			return c
		}
		return strings.Compare(a.Country, b.Country)
	})
	return out, nil
}

// LabelProjects returns a page of the projects this node's agency may give
// its label (approved or closed, European, with an approved partner of this
// country), most recently approved first, each with its labels. The
// projects come from the index of this node's members' projects: a partner
// of this country is a member of this node. Agency only.
func (s *Service) LabelProjects(ctx context.Context, p *twinfed.Principal, offset, limit int) (*LabelPage, error) {
	if err := requireAgency(p); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	offset = max(offset, 0)
	var all []*twinfed.Project
	err := s.store.View(func(txn *badger.Txn) error {
		seen := map[string]bool{}
		for _, k := range store.KeysUnder(txn, store.PrefixMyProject, 0) {
			_, id, ok := strings.Cut(k, "/")
			if !ok || seen[id] {
				continue
			}
			seen[id] = true
			proj, err := s.projects.Project(txn, id)
			if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			if s.labelRefusal(proj) == "" {
				all = append(all, proj)
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("label projects", err)
	}
	slices.SortFunc(all, func(a, b *twinfed.Project) int {
		if c := b.Approved.Compare(a.Approved); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	page := &LabelPage{Projects: []*LabelCandidate{}, Total: len(all), Offset: offset}
	for i := offset; i < len(all) && len(page.Projects) < limit; i++ {
		c := &LabelCandidate{Project: all[i], Countries: all[i].ApprovedCountries()}
		if !page.LabelsUnavailable {
			if c.Labels, err = s.projectLabels(ctx, all[i].ID, true); err != nil {
				page.LabelsUnavailable = true
			}
		}
		page.Projects = append(page.Projects, c)
	}
	if offset+len(page.Projects) < len(all) {
		page.Next = offset + len(page.Projects)
	}
	return page, nil
}
