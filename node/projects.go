package node

import (
	"context"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/search"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
)

// Projects. A project lives on its founder's node (the home node), whose
// record is authoritative; the project's id is the URL of its Group actor
// there. Every other node involved (partners', their agencies') keeps a
// copy, and every node keeps a copy of approved and closed projects for the
// federated project search. Only the home node changes a project: the
// others send it requests (Invite, Accept or Reject of an invitation, an
// agency's decision, a founder's Update or Delete) and it answers every
// change with Update{Group} carrying the whole project and a higher
// Version, which every copy takes when it is newer than what it holds.
// Keys: store.PrefixProject, store.PrefixMyProject, store.PrefixApproval;
// the TwinSpace's store.PrefixTwinSpace and store.PrefixPost.

// Limits on a project's description.
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

// TwinSpace is a project's workspace, created on the home node when the
// project is approved.
type TwinSpace struct {
	Project string    `json:"project"`
	URL     string    `json:"url"`
	Admins  []string  `json:"admins"` // the founders: teacher administrators
	Opened  time.Time `json:"opened"`
}

// TwinSpacePost is a message on a TwinSpace's board.
type TwinSpacePost struct {
	ID        string    `json:"id"`
	Project   string    `json:"project"`
	Author    string    `json:"author"` // actor URL
	Name      string    `json:"name"`
	Content   string    `json:"content"` // sanitised HTML
	Published time.Time `json:"published"`
}

// TwinSpaceView is a TwinSpace as a member sees it.
type TwinSpaceView struct {
	Project  *twinfed.Project `json:"project"`
	Posts    []*TwinSpacePost `json:"posts"`
	ReadOnly bool             `json:"read_only"` // the project is closed
	CanPost  bool             `json:"can_post"`
}

// prover returns what signs and checks the proofs kept with agency
// decisions (Options.Prover); nil: none kept.
func (s *Service) prover() outbox.Prover { return s.proofs }

func projectKey(id string) string { return store.PrefixProject + id }

func getProject(txn *badger.Txn, id string) (*twinfed.Project, error) {
	var p twinfed.Project
	if err := store.GetJSON(txn, projectKey(id), &p); err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such project on this node.")
		}
		return nil, err
	}
	return &p, nil
}

// isHome reports whether this node is the project's home node.
func (s *Service) isHome(p *twinfed.Project) bool { return s.isLocal(p.ID) }

// storeProject writes p (old is what was there, nil for none), keeps the
// member and approval indexes, and notifies this node's members of what
// changed for them. Every write of a project goes through it, on the home
// node and on the others.
func (s *Service) storeProject(txn *badger.Txn, old, p *twinfed.Project) error {
	index := func(pr *twinfed.Project, set bool) error {
		if pr == nil {
			return nil
		}
		for i := range pr.Partners {
			pt := &pr.Partners[i]
			if !s.isLocal(pt.Actor) {
				continue
			}
			keys := []string{}
			if u, ok := twinfed.UsernameFromActor(s.cfg.BaseURL, pt.Actor); ok && pt.Status != twinfed.PartnerDeclined {
				keys = append(keys, store.PrefixMyProject+u+"/"+pr.ID)
			}
			if pr.AwaitsAgency(pt) {
				keys = append(keys, store.PrefixApproval+pr.ID+" "+pt.Actor)
			}
			for _, k := range keys {
				var err error
				if set {
					err = txn.Set([]byte(k), nil)
				} else {
					err = txn.Delete([]byte(k))
				}
				if err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := index(old, false); err != nil {
		return err
	}
	if p == nil {
		for _, pt := range old.Partners {
			if u, ok := twinfed.UsernameFromActor(s.cfg.BaseURL, pt.Actor); ok && s.isLocal(pt.Actor) && pt.Status != twinfed.PartnerDeclined {
				if err := s.notices.NotifyProject(txn, u, notice.ProjectDeleted, old.ID, old); err != nil {
					return err
				}
			}
		}
		s.store.AfterCommit(txn, func() { s.projectChanged(old.ID) })
		return txn.Delete([]byte(projectKey(old.ID)))
	}
	if err := index(p, true); err != nil {
		return err
	}
	s.store.AfterCommit(txn, func() { s.projectChanged(p.ID) })
	if err := store.SetJSON(txn, projectKey(p.ID), p); err != nil {
		return err
	}
	return s.projectNotices(txn, old, p)
}

// projectNotices tells this node's members what changed in a project.
func (s *Service) projectNotices(txn *badger.Txn, old, p *twinfed.Project) error {
	tell := func(pt *twinfed.Partner, kind notice.Kind, actor string) error {
		u, ok := twinfed.UsernameFromActor(s.cfg.BaseURL, pt.Actor)
		if !ok || !s.isLocal(pt.Actor) {
			return nil
		}
		return s.notices.NotifyProject(txn, u, kind, actor, p)
	}
	stateNotice := map[twinfed.ProjectState]notice.Kind{
		twinfed.ProjectAwaitingApproval: notice.ProjectAccepted, twinfed.ProjectDeclined: notice.ProjectDeclined,
		twinfed.ProjectApproved: notice.ProjectApproved, twinfed.ProjectRejected: notice.ProjectRejected, twinfed.ProjectClosed: notice.ProjectClosed,
	}
	for i := range p.Partners {
		pt := &p.Partners[i]
		var before *twinfed.Partner
		if old != nil {
			before = old.Partner(pt.Actor)
		}
		switch {
		case pt.Status == twinfed.PartnerInvited && (before == nil || before.Status != twinfed.PartnerInvited):
			if err := tell(pt, notice.ProjectInvited, pt.InvitedBy); err != nil {
				return err
			}
			continue
		case pt.Status == twinfed.PartnerDeclined:
			continue
		}
		// (The co-founder is not told of their own answer.)
		if kind, ok := stateNotice[p.State]; ok && (old == nil || old.State != p.State) && pt.Status != twinfed.PartnerInvited &&
			!(pt.Role == twinfed.RoleCofounder && (p.State == twinfed.ProjectAwaitingApproval || p.State == twinfed.ProjectDeclined)) {
			if err := tell(pt, kind, p.ID); err != nil {
				return err
			}
		}
		if pt.Role == twinfed.RolePartner && before != nil && before.Status != pt.Status {
			switch pt.Status {
			case twinfed.PartnerApproved:
				if err := tell(pt, notice.ParticipationOK, agencyOf(pt.Actor)); err != nil {
					return err
				}
			case twinfed.PartnerRejected:
				if err := tell(pt, notice.ParticipationRefuse, agencyOf(pt.Actor)); err != nil {
					return err
				}
			case twinfed.PartnerPending:
				for j := range p.Partners {
					if p.Partners[j].Role != twinfed.RolePartner {
						if err := tell(&p.Partners[j], notice.PartnerJoined, pt.Actor); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}

// agencyOf returns the agency actor of the node an actor lives on.
func agencyOf(actor string) string {
	u, err := url.Parse(actor)
	if err != nil {
		return ""
	}
	return twinfed.AgencyURL(u.Scheme + "://" + u.Host)
}

// publishProject sends the home node's new version of p to every other
// node that must hold it: the partners', their agencies', and, once the
// project is public, every node of the federation.
func (s *Service) publishProject(ctx context.Context, txn *badger.Txn, p *twinfed.Project, deleted bool) error {
	var to []string
	seen := map[string]bool{}
	add := func(actor string) {
		if actor == "" || s.isLocal(actor) || seen[actor] {
			return
		}
		seen[actor] = true
		to = append(to, actor)
	}
	for _, pt := range p.Partners {
		add(pt.Actor)
		add(agencyOf(pt.Actor))
	}
	if p.Public() {
		for _, a := range s.otherNodes(ctx) {
			add(a)
		}
	}
	if len(to) == 0 {
		return nil
	}
	o, err := s.acts.Connected()
	if err != nil {
		return err
	}
	typ := twinfed.ActivityUpdate
	if deleted {
		typ = twinfed.ActivityDelete
	}
	cp := *p
	a := s.acts.NewBy(typ, p.ID)
	a.To, a.Object, a.Project = to, p.ID, &cp
	return o.Enqueue(txn, a)
}

// changeProject stores the home node's new version of p and publishes it.
func (s *Service) changeProject(ctx context.Context, txn *badger.Txn, old, p *twinfed.Project) error {
	p.Version++
	p.Updated = s.now().UTC()
	if err := s.storeProject(txn, old, p); err != nil {
		return err
	}
	return s.publishProject(ctx, txn, p, false)
}

func cloneProject(p *twinfed.Project) *twinfed.Project {
	c := *p
	c.Partners = slices.Clone(p.Partners)
	for i := range c.Partners {
		if d := c.Partners[i].Decision; d != nil {
			dd := *d
			c.Partners[i].Decision = &dd
		}
	}
	return &c
}

// ProjectChoices returns the schools and contacts a member may found a
// project with.
func (s *Service) ProjectChoices(ctx context.Context, p *twinfed.Principal) (*ProjectChoices, error) {
	if err := requireFounder(p); err != nil {
		return nil, err
	}
	c := &ProjectChoices{Schools: []twinfed.MemberSchool{}, Contacts: []*social.Contact{}}
	err := s.store.View(func(txn *badger.Txn) error {
		m, err := getMember(txn, p.Username)
		if err != nil {
			return err
		}
		for _, sc := range m.Schools {
			if sc.SchoolID != "" {
				c.Schools = append(c.Schools, sc)
			}
		}
		return store.EachJSON(txn, store.PrefixContact+p.Username+"/", func(ct *social.Contact) error {
			if ct.State == social.ContactAccepted {
				ct.Profile = s.dirGet(txn, ct.Peer)
				c.Contacts = append(c.Contacts, ct)
			}
			return nil
		})
	})
	return c, err
}

func requireFounder(p *twinfed.Principal) error {
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

// describe checks a draft's description and copies it into p.
func (s *Service) describe(p *twinfed.Project, d ProjectDraft) error {
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
	p.Subjects, p.Languages, p.Tools = cleanList(d.Subjects), cleanList(d.Languages), cleanList(d.Tools)
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
	m, err := getMember(txn, p.Username)
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
	} else if c, err := s.social.Contact(txn, p.Username, d.Partner); err != nil || c.State != social.ContactAccepted {
		bad["partner"] = "The partner must be one of your contacts: send them a contact request first."
	} else if partner = s.dirGet(txn, d.Partner); partner == nil {
		bad["partner"] = "This contact is not in the directory any more."
	}
	if school != nil && partner != nil && !twinfed.FoundersFromDifferentSchools(school.SchoolID, partner.SchoolID) {
		bad["partner"] = twinfed.MsgFoundersSameSchool
	}
	now := s.now().UTC()
	me := twinfed.ActorURL(s.cfg.BaseURL, p.Username)
	proj := &twinfed.Project{ID: twinfed.ProjectURL(s.cfg.BaseURL, store.NewID()), State: twinfed.ProjectAwaitingCofounder, Founder: me, Created: now, Updated: now}
	if err := s.describe(proj, d); err != nil {
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
	if err := requireFounder(p); err != nil {
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
	if err := requireFounder(p); err != nil {
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

// EditProject changes a pending project's description. Either founder may.
func (s *Service) EditProject(ctx context.Context, p *twinfed.Principal, id string, d ProjectDraft) (*twinfed.Project, error) {
	if err := requireFounder(p); err != nil {
		return nil, err
	}
	var proj *twinfed.Project
	err := s.update(func(txn *badger.Txn) error {
		old, pt, err := viewerProject(txn, twinfed.ActorURL(s.cfg.BaseURL, p.Username), id)
		if err != nil {
			return err
		}
		if !old.Permissions(s.projectViewer(p)).CanEdit {
			if !pt.IsFounder() {
				return twinfed.Errorf(twinfed.EFORBIDDEN, "Only the founders can edit the project.")
			}
			return twinfed.Errorf(twinfed.ECONFLICT, "The project can be edited only until it is approved.")
		}
		proj = cloneProject(old)
		if err := s.describe(proj, d); err != nil {
			return err
		}
		return s.founderRequest(ctx, txn, p, old, proj, false)
	})
	return proj, err
}

// DeleteProject deletes a pending project. Either founder may.
func (s *Service) DeleteProject(ctx context.Context, p *twinfed.Principal, id string) error {
	if err := requireFounder(p); err != nil {
		return err
	}
	return s.update(func(txn *badger.Txn) error {
		old, pt, err := viewerProject(txn, twinfed.ActorURL(s.cfg.BaseURL, p.Username), id)
		if err != nil {
			return err
		}
		if !old.Permissions(s.projectViewer(p)).CanDelete {
			if !pt.IsFounder() {
				return twinfed.Errorf(twinfed.EFORBIDDEN, "Only the founders can delete the project.")
			}
			return twinfed.Errorf(twinfed.ECONFLICT, "An approved project cannot be deleted; close it instead.")
		}
		return s.founderRequest(ctx, txn, p, old, old, true)
	})
}

// CloseProject closes an approved project: its TwinSpace becomes read-only
// and the project stays visible. Either founder may.
func (s *Service) CloseProject(ctx context.Context, p *twinfed.Principal, id string) (*twinfed.Project, error) {
	if err := requireFounder(p); err != nil {
		return nil, err
	}
	var proj *twinfed.Project
	err := s.update(func(txn *badger.Txn) error {
		old, pt, err := viewerProject(txn, twinfed.ActorURL(s.cfg.BaseURL, p.Username), id)
		if err != nil {
			return err
		}
		if !old.Permissions(s.projectViewer(p)).CanClose {
			if !pt.IsFounder() {
				return twinfed.Errorf(twinfed.EFORBIDDEN, "Only the founders can close the project.")
			}
			return twinfed.Errorf(twinfed.ECONFLICT, "Only an approved project can be closed.")
		}
		proj = cloneProject(old)
		proj.State, proj.Closed = twinfed.ProjectClosed, s.now().UTC()
		return s.founderRequest(ctx, txn, p, old, proj, false)
	})
	return proj, err
}

// AnswerInvitation accepts or declines an invitation into a project. On
// accepting, the member chooses the school they take part with (empty: their
// main school); it cannot change afterwards.
func (s *Service) AnswerInvitation(ctx context.Context, p *twinfed.Principal, id string, accept bool, schoolID string) (*twinfed.Project, error) {
	if err := requireFounder(p); err != nil {
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
			m, err := getMember(txn, p.Username)
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
	if err := requireFounder(p); err != nil {
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
		if c, err := s.social.Contact(txn, p.Username, peer); err != nil || c.State != social.ContactAccepted {
			return &twinfed.Error{Code: twinfed.EINVALID, Message: "You can invite only your contacts.", Fields: map[string]string{"peer": "Choose one of your contacts."}}
		}
		if cur := old.Partner(peer); cur != nil && cur.Status != twinfed.PartnerDeclined {
			return twinfed.Errorf(twinfed.ECONFLICT, "This member is already in the project.")
		}
		prof := s.dirGet(txn, peer)
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
	if err := requireAgency(p); err != nil {
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
			return twinfed.Errorf(twinfed.EFORBIDDEN, "Your agency decides only on the participation of members of %s; %s belongs to another country's agency.", s.cfg.Country, pt.Name)
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
			pr := s.prover()
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

// openTwinSpace creates the project's TwinSpace on its home node. There is
// exactly one per project: a second call is refused.
func (s *Service) openTwinSpace(txn *badger.Txn, p *twinfed.Project) error {
	key := []byte(store.PrefixTwinSpace + p.ID)
	if _, err := txn.Get(key); err == nil {
		return twinfed.Errorf(twinfed.ECONFLICT, "This project already has its TwinSpace; there is exactly one per project.")
	} else if !errors.Is(err, badger.ErrKeyNotFound) {
		return err
	}
	ts := TwinSpace{Project: p.ID, URL: twinfed.TwinSpaceURL(p.ID), Opened: s.now().UTC()}
	for _, pt := range p.Partners {
		if pt.Role != twinfed.RolePartner {
			ts.Admins = append(ts.Admins, pt.Actor)
		}
	}
	p.TwinSpace = ts.URL
	return store.SetJSON(txn, string(key), ts)
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
	if pr := s.prover(); pr != nil {
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
	if agencyOf(pt.Actor) != a.Actor {
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

// SearchProjects searches the public projects of the whole federation that
// this node holds (every node receives every approved project), by keyword
// and filters. It asks the project index (projects_index.go) for the page:
// each word of the text must be a word of the title, a partner's school,
// the description, aims or subjects, or start one (from three letters);
// text searches rank the title above the schools above the rest, and
// otherwise (and on ties) the most recently changed come first. While the
// index's start-up build runs it waits for it, up to buildWait; then it
// scans the store instead, where words match anywhere in the title,
// description, subjects and aims, most recently changed first.
func (s *Service) SearchProjects(ctx context.Context, viewer *twinfed.Principal, q ProjectQuery) (*ProjectPage, error) {
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 20
	}
	if q.State != "" && q.State != twinfed.ProjectApproved && q.State != twinfed.ProjectClosed {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Search approved or closed projects.", Fields: map[string]string{"state": "Choose approved or closed."}}
	}
	q.Offset = max(q.Offset, 0)
	ix := s.proj.index(ctx)
	if ix == nil {
		return s.scanProjects(q)
	}
	dq := search.Query{Text: q.Text, Country: q.Country, Subject: q.Subject, Language: q.Language, State: q.State, Offset: q.Offset, Limit: q.Limit}
	if q.Age > 0 {
		dq.AgeMin, dq.AgeMax = q.Age, q.Age
	}
	res, err := ix.Search(dq)
	if err != nil {
		return nil, s.internal("project search", err)
	}
	page := &ProjectPage{Total: res.Total, Projects: make([]*twinfed.Project, 0, len(res.IDs))}
	err = s.store.View(func(txn *badger.Txn) error {
		for _, id := range res.IDs {
			p, err := getProject(txn, id)
			if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
				continue // deleted since the search
			}
			if err != nil {
				return err
			}
			if p.Public() {
				page.Projects = append(page.Projects, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("project search", err)
	}
	if end := q.Offset + len(res.IDs); end < res.Total {
		page.Next = end
	}
	return page, nil
}

// scanProjects is SearchProjects without the index: every pj/ record read
// and filtered.
func (s *Service) scanProjects(q ProjectQuery) (*ProjectPage, error) {
	words := strings.Fields(strings.ToLower(q.Text))
	var found []*twinfed.Project
	err := s.store.View(func(txn *badger.Txn) error {
		return store.EachJSON(txn, store.PrefixProject, func(p *twinfed.Project) error {
			if !p.Public() || (q.State != "" && p.State != q.State) {
				return nil
			}
			if q.Country != "" && !slices.Contains(p.Countries(), strings.ToUpper(q.Country)) {
				return nil
			}
			if q.Subject != "" && !containsFold(p.Subjects, q.Subject) || q.Language != "" && !containsFold(p.Languages, q.Language) {
				return nil
			}
			if q.Age > 0 && !slices.Contains(p.PupilAges, q.Age) {
				return nil
			}
			if len(words) > 0 {
				text := strings.ToLower(p.Title + " " + search.StripTags(p.Description) + " " + strings.Join(p.Subjects, " ") + " " + search.StripTags(p.Aims))
				for _, w := range words {
					if !strings.Contains(text, w) {
						return nil
					}
				}
			}
			found = append(found, p)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(found, func(a, b *twinfed.Project) int { return b.Updated.Compare(a.Updated) })
	page := &ProjectPage{Total: len(found), Projects: []*twinfed.Project{}}
	if q.Offset < len(found) {
		end := min(q.Offset+q.Limit, len(found))
		page.Projects = found[q.Offset:end]
		if end < len(found) {
			page.Next = end
		}
	}
	return page, nil
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// ApprovalQueue returns the participations of this node's members that wait
// for the agency's decision, oldest project first.
func (s *Service) ApprovalQueue(ctx context.Context, p *twinfed.Principal) ([]*ApprovalItem, error) {
	if err := requireAgency(p); err != nil {
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

// TwinSpace returns a project's TwinSpace for one of its approved partners.
// The agency has no access: a TwinSpace is private to its members.
func (s *Service) TwinSpace(ctx context.Context, p *twinfed.Principal, id string) (*TwinSpaceView, error) {
	if p == nil || p.Role != twinfed.RoleMember {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "A TwinSpace is open only to the project's members.")
	}
	v := &TwinSpaceView{Posts: []*TwinSpacePost{}}
	err := s.store.View(func(txn *badger.Txn) error {
		me := twinfed.ActorURL(s.cfg.BaseURL, p.Username)
		proj, _, err := viewerProject(txn, me, id)
		if err != nil {
			return err
		}
		if !proj.InTwinSpace(me, p.Role) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "The TwinSpace opens to you once the project and your participation are approved.")
		}
		v.Project, v.ReadOnly = proj, proj.State == twinfed.ProjectClosed
		v.CanPost = proj.CanPostInTwinSpace(me, p.Role)
		return store.EachJSON(txn, store.PrefixPost+proj.ID+" ", func(tp *TwinSpacePost) error {
			v.Posts = append(v.Posts, tp)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// PostToTwinSpace writes a message on a TwinSpace's board. It goes to the
// project's Group on its home node, which shares it with every partner node.
func (s *Service) PostToTwinSpace(ctx context.Context, p *twinfed.Principal, id, content string) (*TwinSpacePost, error) {
	if err := requireFounder(p); err != nil {
		return nil, err
	}
	content = strings.TrimSpace(content)
	if content == "" || utf8.RuneCountInString(content) > social.MaxMessageRunes {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Write a message of at most 5,000 characters.", Fields: map[string]string{"content": "Write a message."}}
	}
	var post *TwinSpacePost
	err := s.update(func(txn *badger.Txn) error {
		me := twinfed.ActorURL(s.cfg.BaseURL, p.Username)
		proj, pt, err := viewerProject(txn, me, id)
		if err != nil {
			return err
		}
		if !proj.InTwinSpace(me, p.Role) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "The TwinSpace opens to you once the project and your participation are approved.")
		}
		if !proj.CanPostInTwinSpace(me, p.Role) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "The project is closed: its TwinSpace is read-only.")
		}
		a := s.acts.New(twinfed.ActivityCreate, p.Username)
		n := &twinfed.Note{ID: a.ID + "/note", From: me, To: proj.ID, Content: social.TextToHTML(content), Published: a.Published}
		a.To, a.Object, a.Note = []string{proj.ID}, n.ID, n
		post = &TwinSpacePost{ID: n.ID, Project: proj.ID, Author: me, Name: pt.Name, Content: n.Content, Published: n.Published}
		if s.isHome(proj) {
			return s.publishPost(txn, proj, n)
		}
		return s.acts.Send(txn, a)
	})
	return post, err
}

func postKey(project string, at time.Time, id string) string {
	return store.PrefixPost + project + " " + at.UTC().Format(time.RFC3339Nano) + "/" + id
}

// Certificate writes the project start certificate of one partner of an
// approved project as PDF. The partners of the project and the partner's
// agency may download it.
func (s *Service) Certificate(ctx context.Context, p *twinfed.Principal, id, partner, lang string, w io.Writer) error {
	if p == nil {
		return twinfed.Errorf(twinfed.EUNAUTHORIZED, "Log in first.")
	}
	var proj *twinfed.Project
	if err := s.store.View(func(txn *badger.Txn) (err error) { proj, err = getProject(txn, id); return err }); err != nil {
		return err
	}
	if !proj.Public() {
		return twinfed.Errorf(twinfed.ECONFLICT, "The certificate is issued once the project is approved.")
	}
	pt := proj.Partner(partner)
	if pt == nil || pt.Status != twinfed.PartnerApproved {
		return twinfed.Errorf(twinfed.ENOTFOUND, "This member is not an approved partner of the project.")
	}
	if !slices.Contains(proj.Permissions(s.projectViewer(p)).Certificates, pt.Actor) {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "Only the project's partners and their agencies can download its certificates.")
	}
	return writeCertificate(w, certificate{Lang: lang, Project: proj, Partner: pt, Issued: s.now().UTC(), Issuer: s.cfg.AgencyName,
		URL: strings.TrimRight(s.cfg.BaseURL, "/") + "/projects/view?id=" + url.QueryEscape(proj.ID)})
}
