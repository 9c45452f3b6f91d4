package label

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/agency"
	"github.com/twinfed/twinfed/node/web"
)

// EQLNone is the European label's state when a project holds none; the
// others are twinfed.EQLEligible and twinfed.EQLAwarded.
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

// Registry is what the labels ask of the registry: twinfed.Registry's
// label methods.
type Registry interface {
	// RecordQualityLabel records a National Quality Label, signed by the
	// node.
	RecordQualityLabel(ctx context.Context, l twinfed.QualityLabel) error
	// ProjectLabels returns the national and European labels of a project.
	ProjectLabels(ctx context.Context, projectID string) ([]twinfed.QualityLabel, *twinfed.EuropeanLabel, error)
}

// Projects is what the labels read of the projects this node holds (the
// project feature).
type Projects interface {
	// HeldProject returns this node's copy of a project, whatever its
	// state and its home node; ENOTFOUND when the node holds none.
	HeldProject(ctx context.Context, id string) (*twinfed.Project, error)
	// CanViewProject returns nil when viewer (nil: a visitor) may see the
	// project's card, ENOTFOUND when the project is not there for them.
	CanViewProject(ctx context.Context, viewer *twinfed.Principal, id string) error
	// MembersProjects returns the projects of this node's members, each
	// once, in no particular order.
	MembersProjects(ctx context.Context) ([]*twinfed.Project, error)
}

// Config is what the labels know of their node.
type Config struct {
	Country string // the node's country: the country of its agency's labels
}

// Deps are the service's collaborators.
type Deps struct {
	Registry Registry // nil: labels can be neither read nor recorded (EUNAVAILABLE)
	Projects Projects
	Logger   *slog.Logger
	Now      func() time.Time // nil: time.Now
	// Recorded is called after each label the registry accepted (the
	// node's metrics); nil: nothing.
	Recorded func()
}

// Service records this node's agency's National Quality Labels and reads
// projects' labels from the registry. It is safe for concurrent use.
type Service struct {
	cfg      Config
	registry Registry
	projects Projects
	log      *slog.Logger
	now      func() time.Time
	recorded func()
}

// New builds the labels' service.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Projects == nil {
		return nil, errors.New("label: New needs Projects")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Recorded == nil {
		d.Recorded = func() {}
	}
	return &Service{cfg: cfg, registry: d.Registry, projects: d.Projects, log: d.Logger, now: d.Now, recorded: d.Recorded}, nil
}

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

// invalid turns collected field messages into one EINVALID error, nil when
// there are none.
func invalid(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	return &twinfed.Error{Code: twinfed.EINVALID, Message: "Some fields need your attention.", Fields: fields}
}

// internal wraps an unexpected error: logged with details, shown as a
// generic message.
func (s *Service) internal(op string, err error) error { return web.Internal(s.log, op, err) }

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
func (s *Service) checkNationalLabel(ctx context.Context, in NationalLabelInput) (twinfed.QualityLabel, error) {
	l := twinfed.QualityLabel{ProjectID: strings.TrimSpace(in.ProjectID), Country: s.cfg.Country, SchoolYear: strings.TrimSpace(in.SchoolYear)}
	fields := map[string]string{}
	var proj *twinfed.Project
	if l.ProjectID == "" {
		fields["project_id"] = msgLabelProject
	} else {
		var err error
		proj, err = s.projects.HeldProject(ctx, l.ProjectID)
		switch {
		case twinfed.ErrorCode(err) == twinfed.ENOTFOUND:
			proj = nil
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
	if err := agency.Require(p); err != nil {
		return nil, err
	}
	l, err := s.checkNationalLabel(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := s.record(ctx, l); err != nil {
		return nil, err
	}
	s.recorded()
	s.log.Info("national quality label recorded", "project", l.ProjectID, "school_year", l.SchoolYear, "score", l.Score, "by", p.Username)
	return s.readBack(ctx, l), nil
}

// ProjectLabels returns a project's labels for a viewer who may see the
// project (the project card's rules). ENOTFOUND for a project the viewer
// may not see, EUNAVAILABLE when the registry cannot be read.
func (s *Service) ProjectLabels(ctx context.Context, viewer *twinfed.Principal, id string) (*ProjectLabels, error) {
	if err := s.projects.CanViewProject(ctx, viewer, id); err != nil {
		return nil, err
	}
	return s.projectLabels(ctx, id, viewer.IsAgency())
}

// PublicProjectLabels reads the labels of a public project for its card,
// without the scores; an error means the registry could not be read (it
// is logged).
func (s *Service) PublicProjectLabels(ctx context.Context, id string) (*ProjectLabels, error) {
	return s.projectLabels(ctx, id, false)
}

// ForCard is the labels as a project's card asks for them
// (project.Labels): the card, below the labels in the import order,
// cannot name ProjectLabels.
func (s *Service) ForCard() CardLabels { return CardLabels{s} }

// CardLabels answers a project's card (ForCard).
type CardLabels struct{ s *Service }

// PublicProjectLabels reads the labels of a public project for its card:
// a *ProjectLabels, nil (not a nil *ProjectLabels) on error.
func (c CardLabels) PublicProjectLabels(ctx context.Context, id string) (any, error) {
	l, err := c.s.PublicProjectLabels(ctx, id)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// LabelProjects returns a page of the projects this node's agency may give
// its label (approved or closed, European, with an approved partner of this
// country), most recently approved first, each with its labels. The
// projects come from the index of this node's members' projects: a partner
// of this country is a member of this node. Agency only.
func (s *Service) LabelProjects(ctx context.Context, p *twinfed.Principal, offset, limit int) (*LabelPage, error) {
	if err := agency.Require(p); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	offset = max(offset, 0)
	mine, err := s.projects.MembersProjects(ctx)
	if err != nil {
		return nil, s.internal("label projects", err)
	}
	var all []*twinfed.Project
	for _, proj := range mine {
		if s.labelRefusal(proj) == "" {
			all = append(all, proj)
		}
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
