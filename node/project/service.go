package project

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/microcosm-cc/bluemonday"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/agency"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// Config is what the project feature needs to know about its node.
type Config struct {
	Country    string // two-letter code of the node's country
	BaseURL    string // public base URL: actor and project ids live under it
	AgencyName string // the agency that issues the certificates
}

// Deps are the project feature's collaborators.
type Deps struct {
	Store    *store.Store
	Registry twinfed.Registry   // countries (search page, a partner's country); nil: not checked
	Acts     *outbox.Activities // this node's activities; nil: the node runs alone
	Prover   outbox.Prover      // proofs of agency decisions; nil: none kept
	Notices  *notice.Notices    // members' notifications; nil: a kit of its own on Store
	// The other features, as far as projects go.
	Members   Members
	Contacts  Contacts
	Directory Directory
	Nodes     Nodes
	Logger    *slog.Logger
	Metrics   *prometheus.Registry // nil: metrics are not registered
	Now       func() time.Time     // nil: time.Now
}

// Members is what the project feature asks of the accounts.
type Members interface {
	// MemberIn returns a member of this node, read within txn; ENOTFOUND
	// when there is none.
	MemberIn(txn *badger.Txn, username string) (*twinfed.Member, error)
}

// Contacts is what the project feature asks of the social feature: a
// project is founded with, and partners are invited among, one's contacts.
type Contacts interface {
	// AcceptedContact reports, within txn, whether peer (an actor URL) is
	// an accepted contact of the member username.
	AcceptedContact(txn *badger.Txn, username, peer string) bool
	// AcceptedContacts returns the member's accepted contacts within txn,
	// in the social feature's order, without their profiles.
	AcceptedContacts(txn *badger.Txn, username string) ([]*social.Contact, error)
	// LocalTarget returns the username of the member of this node actor
	// names, within txn, when the federation may address them (a
	// validated member); EINVALID otherwise.
	LocalTarget(txn *badger.Txn, actor string) (string, error)
}

// Directory is what the project feature asks of the directory.
type Directory interface {
	// Get returns the public profile of a member of the federation the
	// directory holds, read within txn; nil when it holds none.
	Get(txn *badger.Txn, actor string) *twinfed.Profile
}

// Nodes names the other nodes of the federation.
type Nodes interface {
	// OtherNodes returns the agency actor URL of every other active node
	// (none when the registry cannot be read): the recipients of a public
	// project.
	OtherNodes(ctx context.Context) []string
}

// Service implements the project feature's rules over the node's store. It
// is safe for concurrent use.
type Service struct {
	cfg      Config
	store    *store.Store
	registry twinfed.Registry
	acts     *outbox.Activities
	proofs   outbox.Prover
	notices  *notice.Notices
	members  Members
	contacts Contacts
	dir      Directory
	nodes    Nodes
	log      *slog.Logger
	now      func() time.Time
	html     *bluemonday.Policy
	ix       *projIndex // the search index; nil until OpenIndex

	onApproved        []func(txn *badger.Txn, p *twinfed.Project) error
	onPartnerApproved []func(txn *badger.Txn, p *twinfed.Project, partner string) error
}

// New builds the project feature's service and registers its metric
// (twinfed_node_projects_indexed). The search index is opened by OpenIndex.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil {
		return nil, errors.New("project: New needs a Store")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Acts == nil {
		d.Acts = outbox.NewActivities(cfg.BaseURL, nil, d.Now)
	}
	if d.Notices == nil {
		d.Notices = notice.New(d.Store, d.Now)
	}
	s := &Service{cfg: cfg, store: d.Store, registry: d.Registry, acts: d.Acts, proofs: d.Prover, notices: d.Notices,
		members: d.Members, contacts: d.Contacts, dir: d.Directory, nodes: d.Nodes, log: d.Logger, now: d.Now, html: web.NewHTMLPolicy()}
	if d.Metrics != nil {
		indexed := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "twinfed_node_projects_indexed", Help: "Public projects in the project search's index."}, func() float64 {
			n, _ := s.ProjectIndex()
			return float64(n)
		})
		if err := d.Metrics.Register(indexed); err != nil {
			return nil, fmt.Errorf("project: register metrics: %w", err)
		}
	}
	return s, nil
}

// OnApproved registers fn, called on the project's home node within the
// transaction of the agency decision that approves the project, before the
// project is stored and published: fn may set fields of p (the TwinSpace
// sets p.TwinSpace). An error refuses the decision.
func (s *Service) OnApproved(fn func(txn *badger.Txn, p *twinfed.Project) error) {
	s.onApproved = append(s.onApproved, fn)
}

// OnPartnerApproved registers fn, called on the project's home node within
// the transaction of the agency decision that lets a partner (not a
// founder) into the TwinSpace of p (twinfed.(*Project).InTwinSpace), with
// the partner's actor URL. An error refuses the decision.
func (s *Service) OnPartnerApproved(fn func(txn *badger.Txn, p *twinfed.Project, partner string) error) {
	s.onPartnerApproved = append(s.onPartnerApproved, fn)
}

// BaseURL returns the node's public base URL.
func (s *Service) BaseURL() string { return s.cfg.BaseURL }

// Countries lists the federation's countries, from the registry; nil when
// the node has no registry or it cannot be read.
func (s *Service) Countries(ctx context.Context) []*twinfed.Country {
	if s.registry == nil {
		return nil
	}
	list, _ := s.registry.Countries(ctx)
	return list
}

// otherNodes returns the agency actor URL of every other active node.
func (s *Service) otherNodes(ctx context.Context) []string {
	if s.nodes == nil {
		return nil
	}
	return s.nodes.OtherNodes(ctx)
}

// isLocal reports whether an actor URL lives on this node.
func (s *Service) isLocal(actor string) bool { return s.acts.IsLocal(actor) }

// update runs fn in a store transaction and tells the outbox after a
// successful commit.
func (s *Service) update(fn func(txn *badger.Txn) error) error {
	if err := s.store.Update(fn); err != nil {
		return err
	}
	s.acts.Notify()
	return nil
}

// internal wraps an unexpected error: logged with details, shown as a
// generic message.
func (s *Service) internal(op string, err error) error { return web.Internal(s.log, op, err) }

// drop is the error of an activity that can never apply: EINVALID.
func drop(format string, args ...any) error { return twinfed.Errorf(twinfed.EINVALID, format, args...) }

const (
	maxTitle       = 200
	maxProjectText = 20000
	maxListItems   = 20
)

// ProjectDraft is what a member fills in to found a project (and, the
// school and partner apart, to edit it while it is pending).
type ProjectDraft struct {
	SchoolID        string   `json:"school_id"` // one of the founder's schools (registry id)
	Partner         string   `json:"partner"`   // the co-founder: an accepted contact's actor URL
	Title           string   `json:"title"`
	Description     string   `json:"description"`
	Subjects        []string `json:"subjects"`
	PupilAges       []int    `json:"pupil_ages"`
	Languages       []string `json:"languages"`
	Tools           []string `json:"tools"`
	Aims            string   `json:"aims"`
	WorkProcess     string   `json:"work_process"`
	ExpectedResults string   `json:"expected_results"`
}

// ProjectChoices are what the first two steps of the project form offer:
// the member's schools known to the registry, and their contacts.
type ProjectChoices struct {
	Schools  []twinfed.MemberSchool `json:"schools"`
	Contacts []*social.Contact      `json:"contacts"`
}

// ProjectView is a project card as one viewer sees it, with what they may
// do with it.
type ProjectView struct {
	*twinfed.Project
	Me        *twinfed.Partner   `json:"me,omitempty"` // the viewer's participation
	Home      bool               `json:"home"`         // the project lives on this node
	CanEdit   bool               `json:"can_edit"`
	CanDelete bool               `json:"can_delete"`
	CanAnswer bool               `json:"can_answer"` // the viewer is invited
	CanInvite bool               `json:"can_invite"`
	CanClose  bool               `json:"can_close"`
	CanDecide []*twinfed.Partner `json:"can_decide,omitempty"` // participations the viewing agency decides
	// Perm is the answer the fields above come from, for the card.
	Perm twinfed.ProjectPermissions `json:"-"`
	// Proofs says, for each decided partner (by actor), whether the stored
	// signature of the agency's decision verifies ("" when it does).
	Proofs map[string]string `json:"proofs,omitempty"`
}

// MyProjects are a member's projects grouped by state.
type MyProjects struct {
	Invitations []*twinfed.Project `json:"invitations"` // waiting for the member's answer
	Pending     []*twinfed.Project `json:"pending"`     // waiting for the co-founder or the agencies
	Approved    []*twinfed.Project `json:"approved"`
	Closed      []*twinfed.Project `json:"closed"`
	Other       []*twinfed.Project `json:"other"` // declined or rejected
}

// ProjectQuery is a project search: keyword and filters.
type ProjectQuery struct {
	Text     string               `json:"q,omitempty"`
	Country  string               `json:"country,omitempty"`
	Subject  string               `json:"subject,omitempty"`
	Language string               `json:"language,omitempty"`
	Age      int                  `json:"age,omitempty"`
	State    twinfed.ProjectState `json:"state,omitempty"` // approved or closed; empty: both
	Offset   int                  `json:"offset,omitempty"`
	Limit    int                  `json:"limit,omitempty"`
}

// ProjectPage is a page of search results.
type ProjectPage struct {
	Projects []*twinfed.Project `json:"projects"`
	Total    int                `json:"total"`
	Next     int                `json:"next,omitempty"` // offset of the next page; 0 at the end
}

// ApprovalItem is one participation in the agency's queue.
type ApprovalItem struct {
	Project *twinfed.Project `json:"project"`
	Partner *twinfed.Partner `json:"partner"`
}

// ProjectChoices returns the schools and contacts a member may found a
// project with.
func (s *Service) ProjectChoices(ctx context.Context, p *twinfed.Principal) (*ProjectChoices, error) {
	if err := RequireFounder(p); err != nil {
		return nil, err
	}
	c := &ProjectChoices{Schools: []twinfed.MemberSchool{}, Contacts: []*social.Contact{}}
	err := s.store.View(func(txn *badger.Txn) error {
		m, err := s.members.MemberIn(txn, p.Username)
		if err != nil {
			return err
		}
		for _, sc := range m.Schools {
			if sc.SchoolID != "" {
				c.Schools = append(c.Schools, sc)
			}
		}
		contacts, err := s.contacts.AcceptedContacts(txn, p.Username)
		if err != nil {
			return err
		}
		for _, ct := range contacts {
			ct.Profile = s.dir.Get(txn, ct.Peer)
			c.Contacts = append(c.Contacts, ct)
		}
		return nil
	})
	return c, err
}

// RequireFounder refuses anyone but a member validated by their agency:
// who may found, join and work in projects (EUNAUTHORIZED for a visitor,
// EFORBIDDEN otherwise).
func RequireFounder(p *twinfed.Principal) error {
	if p == nil {
		return twinfed.Errorf(twinfed.EUNAUTHORIZED, "Log in first.")
	}
	if p.Role != twinfed.RoleMember || p.Status != twinfed.StatusValidated {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "Only members validated by their national agency can found or join projects.")
	}
	return nil
}

// cleanList trims, drops empty and repeated items.
func cleanList(in []string) []string {
	var out []string
	for _, v := range in {
		v = strings.TrimSpace(v)
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// describe checks a draft's description and copies it into p. Subjects
// are mapped to their ids (twinfed.SubjectIDs); own (a draft of this
// node's member) refuses a subject that is not on the list, while a
// peer's edit keeps it as sent, so that an older node's text is not lost.
func (s *Service) describe(p *twinfed.Project, d ProjectDraft, own bool) error {
	bad := map[string]string{}
	d.Title = strings.TrimSpace(d.Title)
	switch n := utf8.RuneCountInString(d.Title); {
	case n < 3:
		bad["title"] = "Give the project a title of at least 3 characters."
	case n > maxTitle:
		bad["title"] = "Keep the title to 200 characters at most."
	}
	if strings.TrimSpace(d.Description) == "" {
		bad["description"] = "Describe the project."
	}
	for name, v := range map[string]string{"description": d.Description, "aims": d.Aims, "work_process": d.WorkProcess, "expected_results": d.ExpectedResults} {
		if len(v) > maxProjectText {
			bad[name] = "Keep this text under 20,000 characters."
		}
	}
	for name, v := range map[string][]string{"subjects": d.Subjects, "languages": d.Languages, "tools": d.Tools} {
		if len(cleanList(v)) > maxListItems {
			bad[name] = "Give at most 20 items."
		}
	}
	subjects := twinfed.SubjectIDs(d.Subjects)
	for _, sub := range subjects {
		if _, ok := twinfed.SubjectID(sub); own && !ok {
			bad["subjects"] = "Choose subjects from the list."
		}
	}
	for _, a := range d.PupilAges {
		if a < 0 || a > 99 {
			bad["pupil_ages"] = "Give pupils' ages from 0 to 99."
		}
	}
	if len(bad) > 0 {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: "Some fields need your attention.", Fields: bad}
	}
	p.Title = d.Title
	p.Description = s.richText(d.Description)
	p.Aims = s.richText(d.Aims)
	p.WorkProcess = s.richText(d.WorkProcess)
	p.ExpectedResults = s.richText(d.ExpectedResults)
	p.Subjects, p.Languages, p.Tools = subjects, cleanList(d.Languages), cleanList(d.Tools)
	p.PupilAges = slices.Compact(slices.Sorted(slices.Values(d.PupilAges)))
	return nil
}

// richText turns what a member typed into safe HTML: HTML (from the API,
// or an edit of stored HTML) is sanitised, plain text is escaped with its
// line breaks kept.
func (s *Service) richText(in string) string {
	if strings.ContainsAny(in, "<>") {
		return s.html.Sanitize(in)
	}
	return social.TextToHTML(strings.TrimSpace(in))
}

// draftProject checks a draft and builds the project it describes, within
// txn: the founder's school, the co-founder among their contacts, from
// another school, and the description.
func (s *Service) draftProject(txn *badger.Txn, p *twinfed.Principal, d ProjectDraft) (*twinfed.Project, error) {
	m, err := s.members.MemberIn(txn, p.Username)
	if err != nil {
		return nil, err
	}
	if m.Status != twinfed.StatusValidated {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "Only members validated by their national agency can found projects.")
	}
	bad := map[string]string{}
	var school *twinfed.MemberSchool
	for i := range m.Schools {
		if m.Schools[i].SchoolID != "" && m.Schools[i].SchoolID == d.SchoolID {
			school = &m.Schools[i]
		}
	}
	if school == nil {
		bad["school_id"] = "Choose one of your schools (a school the agency has validated)."
	}
	var partner *twinfed.Profile
	if d.Partner == "" {
		bad["partner"] = "Choose a partner among your contacts."
	} else if !s.contacts.AcceptedContact(txn, p.Username, d.Partner) {
		bad["partner"] = "The partner must be one of your contacts: send them a contact request first."
	} else if partner = s.dir.Get(txn, d.Partner); partner == nil {
		bad["partner"] = "This contact is not in the directory any more."
	}
	if school != nil && partner != nil && !twinfed.FoundersFromDifferentSchools(school.SchoolID, partner.SchoolID) {
		bad["partner"] = twinfed.MsgFoundersSameSchool
	}
	now := s.now().UTC()
	me := twinfed.ActorURL(s.cfg.BaseURL, p.Username)
	proj := &twinfed.Project{ID: twinfed.ProjectURL(s.cfg.BaseURL, store.NewID()), State: twinfed.ProjectAwaitingCofounder, Founder: me, Created: now, Updated: now}
	if err := s.describe(proj, d, true); err != nil {
		var e *twinfed.Error
		if errors.As(err, &e) {
			for k, v := range e.Fields {
				bad[k] = v
			}
		}
	}
	if len(bad) > 0 {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Some fields need your attention.", Fields: bad}
	}
	proj.Partners = []twinfed.Partner{
		{Actor: me, Name: m.Name(), Country: s.cfg.Country, SchoolID: school.SchoolID, SchoolName: school.Name, Role: twinfed.RoleFounder, Status: twinfed.PartnerPending, Joined: now},
		{Actor: partner.ID, Name: partner.Name, Country: partner.Country, SchoolID: partner.SchoolID, SchoolName: partner.SchoolName, Role: twinfed.RoleCofounder, Status: twinfed.PartnerInvited, InvitedBy: me},
	}
	return proj, nil
}

// PreviewProject checks a draft and returns the project it would found,
// without storing anything: the fourth step of the form.
func (s *Service) PreviewProject(ctx context.Context, p *twinfed.Principal, d ProjectDraft) (*twinfed.Project, error) {
	if err := RequireFounder(p); err != nil {
		return nil, err
	}
	var proj *twinfed.Project
	err := s.store.View(func(txn *badger.Txn) (err error) {
		proj, err = s.draftProject(txn, p, d)
		return err
	})
	return proj, err
}

// CreateProject founds a project and invites the co-founder, whose node
// shows them the invitation.
func (s *Service) CreateProject(ctx context.Context, p *twinfed.Principal, d ProjectDraft) (*twinfed.Project, error) {
	if err := RequireFounder(p); err != nil {
		return nil, err
	}
	var proj *twinfed.Project
	err := s.update(func(txn *badger.Txn) error {
		var err error
		if proj, err = s.draftProject(txn, p, d); err != nil {
			return err
		}
		co := &proj.Partners[1]
		a := s.acts.New(twinfed.ActivityInvite, p.Username)
		co.Invitation = a.ID
		proj.Version = 1
		if err := s.storeProject(txn, nil, proj); err != nil {
			return err
		}
		a.To, a.Object, a.Target, a.Project = []string{co.Actor}, co.Actor, proj.ID, cloneProject(proj)
		return s.acts.Send(txn, a) // a co-founder on this node: storeProject told them
	})
	if err != nil {
		return nil, err
	}
	return proj, nil
}

// projectViewer is a principal as Project.Permissions needs it (nil: a
// visitor).
func (s *Service) projectViewer(p *twinfed.Principal) twinfed.ProjectViewer {
	v := twinfed.ProjectViewer{Local: s.isLocal}
	if p != nil {
		v.Role, v.Status = p.Role, p.Status
		if p.Role == twinfed.RoleMember {
			v.Actor = twinfed.ActorURL(s.cfg.BaseURL, p.Username)
		}
	}
	return v
}

// viewerProject loads a project for a member who takes part in it.
func viewerProject(txn *badger.Txn, actor, id string) (*twinfed.Project, *twinfed.Partner, error) {
	proj, err := getProject(txn, id)
	if err != nil {
		return nil, nil, err
	}
	pt := proj.Partner(actor)
	if pt == nil {
		return nil, nil, twinfed.Errorf(twinfed.EFORBIDDEN, "You are not a partner of this project.")
	}
	return proj, pt, nil
}

// founderRequest is how a founder changes a project: on the home node the
// change is made and published at once; from another node it goes to the
// project's Group as a request (Update or Delete), and this node's copy
// shows it until the home node's answer arrives.
func (s *Service) founderRequest(ctx context.Context, txn *badger.Txn, p *twinfed.Principal, old, proj *twinfed.Project, del bool) error {
	if s.isHome(old) {
		if del {
			if err := s.storeProject(txn, old, nil); err != nil {
				return err
			}
			return s.publishProject(ctx, txn, old, true)
		}
		return s.changeProject(ctx, txn, old, proj)
	}
	typ := twinfed.ActivityUpdate
	if del {
		typ = twinfed.ActivityDelete
	}
	a := s.acts.New(typ, p.Username)
	a.To, a.Object, a.Project = []string{old.ID}, old.ID, cloneProject(proj)
	if err := s.acts.Send(txn, a); err != nil {
		return err
	}
	if del {
		return s.storeProject(txn, old, nil)
	}
	return s.storeProject(txn, old, proj)
}

// founderAction runs one founder's change of a project (edit, delete,
// close) in a transaction: the viewer's permission (allowed, asked of
// twinfed.(*Project).Permissions) is checked first, and a refusal says
// whether the member is not a founder (EFORBIDDEN, notFounder) or the
// project's state forbids it (ECONFLICT, wrongState). change returns the
// project as it becomes (nil: deleted), which founderRequest stores or
// sends to the project's home node.
func (s *Service) founderAction(ctx context.Context, p *twinfed.Principal, id string, allowed func(twinfed.ProjectPermissions) bool,
	notFounder, wrongState string, change func(old *twinfed.Project) (*twinfed.Project, error)) (*twinfed.Project, error) {
	if err := RequireFounder(p); err != nil {
		return nil, err
	}
	var proj *twinfed.Project
	err := s.update(func(txn *badger.Txn) error {
		old, pt, err := viewerProject(txn, twinfed.ActorURL(s.cfg.BaseURL, p.Username), id)
		if err != nil {
			return err
		}
		if !allowed(old.Permissions(s.projectViewer(p))) {
			if !pt.IsFounder() {
				return twinfed.Errorf(twinfed.EFORBIDDEN, "%s", notFounder)
			}
			return twinfed.Errorf(twinfed.ECONFLICT, "%s", wrongState)
		}
		if proj, err = change(old); err != nil {
			return err
		}
		if proj == nil {
			return s.founderRequest(ctx, txn, p, old, old, true)
		}
		return s.founderRequest(ctx, txn, p, old, proj, false)
	})
	return proj, err
}

// EditProject changes a pending project's description. Either founder may.
func (s *Service) EditProject(ctx context.Context, p *twinfed.Principal, id string, d ProjectDraft) (*twinfed.Project, error) {
	return s.founderAction(ctx, p, id, func(pp twinfed.ProjectPermissions) bool { return pp.CanEdit },
		"Only the founders can edit the project.", "The project can be edited only until it is approved.",
		func(old *twinfed.Project) (*twinfed.Project, error) {
			proj := cloneProject(old)
			return proj, s.describe(proj, d, true)
		})
}

// DeleteProject deletes a pending project. Either founder may.
func (s *Service) DeleteProject(ctx context.Context, p *twinfed.Principal, id string) error {
	_, err := s.founderAction(ctx, p, id, func(pp twinfed.ProjectPermissions) bool { return pp.CanDelete },
		"Only the founders can delete the project.", "An approved project cannot be deleted; close it instead.",
		func(*twinfed.Project) (*twinfed.Project, error) { return nil, nil })
	return err
}

// CloseProject closes an approved project: its TwinSpace becomes read-only
// and the project stays visible. Either founder may.
func (s *Service) CloseProject(ctx context.Context, p *twinfed.Principal, id string) (*twinfed.Project, error) {
	return s.founderAction(ctx, p, id, func(pp twinfed.ProjectPermissions) bool { return pp.CanClose },
		"Only the founders can close the project.", "Only an approved project can be closed.",
		func(old *twinfed.Project) (*twinfed.Project, error) {
			proj := cloneProject(old)
			proj.State, proj.Closed = twinfed.ProjectClosed, s.now().UTC()
			return proj, nil
		})
}

// AnswerInvitation accepts or declines an invitation into a project. On
// accepting, the member chooses the school they take part with (empty: their
// main school); it cannot change afterwards.
func (s *Service) AnswerInvitation(ctx context.Context, p *twinfed.Principal, id string, accept bool, schoolID string) (*twinfed.Project, error) {
	if err := RequireFounder(p); err != nil {
		return nil, err
	}
	var proj *twinfed.Project
	err := s.update(func(txn *badger.Txn) error {
		me := twinfed.ActorURL(s.cfg.BaseURL, p.Username)
		old, pt, err := viewerProject(txn, me, id)
		if err != nil {
			return err
		}
		if !old.Permissions(s.projectViewer(p)).CanAnswerInvitation {
			if pt.Status != twinfed.PartnerInvited {
				return twinfed.Errorf(twinfed.ECONFLICT, "You have already answered this invitation.")
			}
			return twinfed.Errorf(twinfed.ECONFLICT, "This project no longer takes new partners.")
		}
		proj = cloneProject(old)
		pt = proj.Partner(me)
		typ := twinfed.ActivityReject
		if accept {
			m, err := s.members.MemberIn(txn, p.Username)
			if err != nil {
				return err
			}
			var school *twinfed.MemberSchool
			for i := range m.Schools {
				if sc := &m.Schools[i]; sc.SchoolID != "" && (sc.SchoolID == schoolID || schoolID == "" && school == nil) {
					school = sc
				}
			}
			if school == nil {
				return &twinfed.Error{Code: twinfed.EINVALID, Message: "Choose one of your schools (a school the agency has validated).", Fields: map[string]string{"school_id": "Choose one of your schools."}}
			}
			if pt.Role == twinfed.RoleCofounder {
				if f := proj.Partner(proj.Founder); f != nil && !twinfed.FoundersFromDifferentSchools(f.SchoolID, school.SchoolID) {
					return &twinfed.Error{Code: twinfed.EINVALID, Message: twinfed.MsgFoundersSameSchool, Fields: map[string]string{"school_id": "The founder works in this school too."}}
				}
			}
			typ = twinfed.ActivityAccept
			pt.SchoolID, pt.SchoolName, pt.Country, pt.Name = school.SchoolID, school.Name, s.cfg.Country, m.Name()
		}
		a := s.acts.New(typ, p.Username)
		a.To, a.Object, a.Target, a.Project = []string{proj.ID}, pt.Invitation, proj.ID, cloneProject(proj)
		// On the home node the answer is applied at once; elsewhere this
		// node's copy changes when the home node's Update comes back, so
		// that the agency's queue never shows a participation the home
		// node has not recorded yet.
		if s.isHome(old) {
			answerPartner(proj, pt, accept, a.Published)
			return s.changeProject(ctx, txn, old, proj)
		}
		return s.acts.Send(txn, a)
	})
	if err != nil {
		return nil, err
	}
	_ = s.store.View(func(txn *badger.Txn) error {
		if cur, err := getProject(txn, id); err == nil {
			proj = cur
		}
		return nil
	})
	return proj, nil
}

// answerPartner records an invitee's answer in p.
func answerPartner(p *twinfed.Project, pt *twinfed.Partner, accept bool, now time.Time) {
	if !accept {
		pt.Status = twinfed.PartnerDeclined
		if pt.Role == twinfed.RoleCofounder {
			p.State = twinfed.ProjectDeclined
		}
		return
	}
	pt.Status, pt.Joined = twinfed.PartnerPending, now
	if pt.Role == twinfed.RoleCofounder {
		p.State = twinfed.ProjectAwaitingApproval
	}
}

// InvitePartner invites one of the member's contacts into an approved
// project the member takes part in.
func (s *Service) InvitePartner(ctx context.Context, p *twinfed.Principal, id, peer string) (*twinfed.Project, error) {
	if err := RequireFounder(p); err != nil {
		return nil, err
	}
	var proj *twinfed.Project
	err := s.update(func(txn *badger.Txn) error {
		me := twinfed.ActorURL(s.cfg.BaseURL, p.Username)
		old, pt, err := viewerProject(txn, me, id)
		if err != nil {
			return err
		}
		if !old.Permissions(s.projectViewer(p)).CanInvite {
			if pt.Status != twinfed.PartnerApproved {
				return twinfed.Errorf(twinfed.EFORBIDDEN, "Only partners whose participation is approved can invite others.")
			}
			return twinfed.Errorf(twinfed.ECONFLICT, "Only approved projects take new partners.")
		}
		if !s.contacts.AcceptedContact(txn, p.Username, peer) {
			return &twinfed.Error{Code: twinfed.EINVALID, Message: "You can invite only your contacts.", Fields: map[string]string{"peer": "Choose one of your contacts."}}
		}
		if cur := old.Partner(peer); cur != nil && cur.Status != twinfed.PartnerDeclined {
			return twinfed.Errorf(twinfed.ECONFLICT, "This member is already in the project.")
		}
		prof := s.dir.Get(txn, peer)
		if prof == nil {
			return twinfed.Errorf(twinfed.ENOTFOUND, "This contact is not in the directory any more.")
		}
		a := s.acts.New(twinfed.ActivityInvite, p.Username)
		proj = cloneProject(old)
		proj.Partners = slices.DeleteFunc(proj.Partners, func(x twinfed.Partner) bool { return x.Actor == peer })
		proj.Partners = append(proj.Partners, twinfed.Partner{Actor: peer, Name: prof.Name, Country: prof.Country, SchoolID: prof.SchoolID, SchoolName: prof.SchoolName,
			Role: twinfed.RolePartner, Status: twinfed.PartnerInvited, InvitedBy: me, Invitation: a.ID})
		// From another node the invitation goes to the home node only: the
		// invitee hears of it from the home node's Update, so that their
		// answer can never reach the home node before the invitation.
		to := []string{peer}
		if !s.isHome(old) {
			to = []string{old.ID}
		}
		a.To, a.Object, a.Target, a.Project = to, peer, old.ID, cloneProject(proj)
		if s.isHome(old) {
			if err := s.changeProject(ctx, txn, old, proj); err != nil {
				return err
			}
			if !s.isLocal(peer) {
				return s.acts.Send(txn, a)
			}
			return nil // the invitee is here: changeProject told them
		}
		return s.acts.Send(txn, a)
	})
	return proj, err
}

// DecideParticipation is the agency's approval or rejection of one of its
// members' participation in a project. The agency's Service actor sends it
// to the project's home node, which keeps it with its signature.
func (s *Service) DecideParticipation(ctx context.Context, p *twinfed.Principal, id, partner string, approve bool, reason string) (*twinfed.Project, error) {
	if err := agency.Require(p); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Say why the participation is rejected: the members see the reason.", Fields: map[string]string{"reason": "Give a reason."}}
	}
	if len(reason) > 2000 {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Keep the reason under 2,000 characters.", Fields: map[string]string{"reason": "Too long."}}
	}
	var proj *twinfed.Project
	err := s.update(func(txn *badger.Txn) error {
		old, err := getProject(txn, id)
		if err != nil {
			return err
		}
		pt := old.Partner(partner)
		if pt == nil {
			return twinfed.Errorf(twinfed.ENOTFOUND, "This member is not a partner of the project.")
		}
		if !s.isLocal(pt.Actor) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "Your agency decides only on the participation of its own country's members; %s belongs to another country's agency.", pt.Name)
		}
		if !old.AwaitsAgency(pt) {
			return twinfed.Errorf(twinfed.ECONFLICT, "This participation is not waiting for a decision.")
		}
		typ := twinfed.ActivityReject
		if approve {
			typ = twinfed.ActivityAccept
		}
		a := s.acts.New(typ, "")
		a.To, a.Object, a.Target, a.Summary = []string{old.ID}, pt.Actor, old.ID, reason
		if s.isHome(old) {
			pr := s.proofs
			if pr == nil {
				return twinfed.Errorf(twinfed.EUNAVAILABLE, "This node cannot sign decisions right now; try again later.")
			}
			if a.Proof, err = pr.Prove(a); err != nil {
				return err
			}
			return s.recordDecision(ctx, txn, old, pt.Actor, a)
		}
		if err := s.acts.Send(txn, a); err != nil {
			return err
		}
		proj = cloneProject(old)
		decide(proj, proj.Partner(pt.Actor), a, s.now().UTC())
		return s.storeProject(txn, old, proj)
	})
	if err != nil {
		return nil, err
	}
	_ = s.store.View(func(txn *badger.Txn) error {
		proj, _ = getProject(txn, id)
		return nil
	})
	return proj, nil
}

// decide records an agency's decision a on pt, and what it means for p.
// It reports whether the project became approved.
func decide(p *twinfed.Project, pt *twinfed.Partner, a *twinfed.Activity, now time.Time) bool {
	d := twinfed.Decision{Agency: a.Actor, Approved: a.Type == twinfed.ActivityAccept, Reason: a.Summary, Decided: a.Published, Activity: a.ID, Proof: a.Proof}
	return p.ApplyDecision(pt, d, now)
}

// LocalProject returns a public project this node is home to: what its
// Group actor document shows (federation.ProjectSource).
func (s *Service) LocalProject(ctx context.Context, id string) (*twinfed.Project, error) {
	var p *twinfed.Project
	err := s.store.View(func(txn *badger.Txn) (err error) { p, err = getProject(txn, id); return err })
	if err != nil || !s.isHome(p) || !p.Public() {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such project on this node.")
	}
	return p, nil
}

// ViewProject returns a project card. Approved and closed projects are
// public (viewer may be nil); the others are shown only to their partners
// and to the agencies involved.
func (s *Service) ViewProject(ctx context.Context, viewer *twinfed.Principal, id string) (*ProjectView, error) {
	var v *ProjectView
	err := s.store.View(func(txn *badger.Txn) error {
		proj, err := getProject(txn, id)
		if err != nil {
			return err
		}
		perm := proj.Permissions(s.projectViewer(viewer))
		if !perm.CanSee {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such project on this node.")
		}
		v = &ProjectView{Project: proj, Home: s.isHome(proj), Perm: perm, Me: perm.Me, CanEdit: perm.CanEdit, CanDelete: perm.CanDelete,
			CanAnswer: perm.CanAnswerInvitation, CanInvite: perm.CanInvite, CanClose: perm.CanClose}
		for _, actor := range perm.CanDecide {
			v.CanDecide = append(v.CanDecide, proj.Partner(actor))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if pr := s.proofs; pr != nil {
		for _, pt := range v.Partners {
			if pt.Decision == nil {
				continue
			}
			if v.Proofs == nil {
				v.Proofs = map[string]string{}
			}
			v.Proofs[pt.Actor] = s.checkProof(ctx, pr, v.Project, &pt)
		}
	}
	return v, nil
}

// checkProof verifies the stored signature of a partner's decision and
// that it says what the record says: "" when it does, else what is wrong.
func (s *Service) checkProof(ctx context.Context, pr outbox.Prover, p *twinfed.Project, pt *twinfed.Partner) string {
	d := pt.Decision
	if d.Proof == "" {
		return "not yet confirmed by the project's home node"
	}
	a, _, err := pr.VerifyProof(ctx, d.Proof)
	if err != nil {
		return twinfed.ErrorMessage(err)
	}
	if a.ID != d.Activity || a.Actor != d.Agency || a.Object != pt.Actor || a.Target != p.ID || (a.Type == twinfed.ActivityAccept) != d.Approved {
		return "the signed decision does not match the record"
	}
	if AgencyOf(pt.Actor) != a.Actor {
		return "the decision was not made by the partner's agency"
	}
	return ""
}

// MyProjects returns a member's projects grouped by state.
func (s *Service) MyProjects(ctx context.Context, p *twinfed.Principal) (*MyProjects, error) {
	if p == nil || p.Role != twinfed.RoleMember {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "Projects are for members.")
	}
	out := &MyProjects{Invitations: []*twinfed.Project{}, Pending: []*twinfed.Project{}, Approved: []*twinfed.Project{}, Closed: []*twinfed.Project{}, Other: []*twinfed.Project{}}
	me := twinfed.ActorURL(s.cfg.BaseURL, p.Username)
	err := s.store.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		prefix := store.PrefixMyProject + p.Username + "/"
		opts.Prefix = []byte(prefix)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			proj, err := getProject(txn, strings.TrimPrefix(string(it.Item().Key()), prefix))
			if err != nil {
				continue
			}
			pt := proj.Partner(me)
			switch {
			case pt != nil && pt.Status == twinfed.PartnerInvited:
				out.Invitations = append(out.Invitations, proj)
			case proj.Pending():
				out.Pending = append(out.Pending, proj)
			case proj.State == twinfed.ProjectApproved:
				out.Approved = append(out.Approved, proj)
			case proj.State == twinfed.ProjectClosed:
				out.Closed = append(out.Closed, proj)
			default:
				out.Other = append(out.Other, proj)
			}
		}
		return nil
	})
	return out, err
}

// ApprovalQueue returns the participations of this node's members that wait
// for the agency's decision, oldest project first.
func (s *Service) ApprovalQueue(ctx context.Context, p *twinfed.Principal) ([]*ApprovalItem, error) {
	if err := agency.Require(p); err != nil {
		return nil, err
	}
	out := []*ApprovalItem{}
	err := s.store.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = []byte(store.PrefixApproval)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			id, actor, ok := strings.Cut(strings.TrimPrefix(string(it.Item().Key()), store.PrefixApproval), " ")
			if !ok {
				continue
			}
			proj, err := getProject(txn, id)
			if err != nil {
				continue
			}
			if pt := proj.Partner(actor); pt != nil && proj.AwaitsAgency(pt) {
				out = append(out, &ApprovalItem{Project: proj, Partner: pt})
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b *ApprovalItem) int { return a.Project.Created.Compare(b.Project.Created) })
	return out, err
}
