package node

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed"
)

// Web pages and JSON API of projects: the member's projects, the four-step
// form to found one, the project card with what the viewer may do, the
// public search, the TwinSpace board, the certificate, and the agency's
// approval queue.

func (s *Server) projectRoutes() {
	m := s.mux
	m.HandleFunc("GET /projects", s.member(s.myProjects))
	m.HandleFunc("GET /projects/new", s.member(s.newProjectForm))
	m.HandleFunc("POST /projects/new", s.member(s.newProject))
	m.HandleFunc("GET /projects/view", s.web(s.projectCard))
	m.HandleFunc("GET /projects/edit", s.member(s.editProjectForm))
	m.HandleFunc("POST /projects/edit", s.member(s.editProject))
	m.HandleFunc("POST /projects/delete", s.member(s.deleteProject))
	m.HandleFunc("POST /projects/answer", s.member(s.answerInvitation))
	m.HandleFunc("POST /projects/invite", s.member(s.invitePartner))
	m.HandleFunc("POST /projects/close", s.member(s.closeProject))
	m.HandleFunc("GET /projects/certificate", s.member(s.certificate))
	m.HandleFunc("GET /projects/search", s.web(s.searchProjects))
	m.HandleFunc("GET /projects/twinspace", s.member(s.twinSpace))
	m.HandleFunc("POST /projects/twinspace/post", s.member(s.postToTwinSpace))
	m.HandleFunc("GET /projects/{rid}", s.web(s.projectActor))
	m.HandleFunc("GET /projects/{rid}/twinspace", s.web(func(w http.ResponseWriter, r *http.Request) {
		id := twinfed.ProjectURL(s.svc.cfg.BaseURL, r.PathValue("rid"))
		http.Redirect(w, r, "/projects/twinspace?id="+url.QueryEscape(id), http.StatusSeeOther)
	}))
	m.HandleFunc("GET /backoffice/projects", s.agency(s.boProjects))
	m.HandleFunc("POST /backoffice/projects/decide", s.agency(s.boDecide))

	m.HandleFunc("GET /api/v1/projects", s.api(true, s.apiMyProjects))
	m.HandleFunc("POST /api/v1/projects", s.api(true, s.apiDraft(true)))
	m.HandleFunc("POST /api/v1/projects/preview", s.api(true, s.apiDraft(false)))
	m.HandleFunc("GET /api/v1/projects/choices", s.api(true, s.apiProjectChoices))
	m.HandleFunc("GET /api/v1/projects/view", s.api(false, s.apiViewProject))
	m.HandleFunc("POST /api/v1/projects/edit", s.api(true, s.apiEditProject))
	m.HandleFunc("POST /api/v1/projects/delete", s.api(true, apiAction(s, func(r *http.Request, p *twinfed.Principal, in projectInput) (any, error) {
		return nil, s.svc.DeleteProject(r.Context(), p, in.ID)
	})))
	m.HandleFunc("POST /api/v1/projects/answer", s.api(true, apiAction(s, func(r *http.Request, p *twinfed.Principal, in projectInput) (any, error) {
		return s.svc.AnswerInvitation(r.Context(), p, in.ID, in.Accept, in.SchoolID)
	})))
	m.HandleFunc("POST /api/v1/projects/invite", s.api(true, apiAction(s, func(r *http.Request, p *twinfed.Principal, in projectInput) (any, error) {
		return s.svc.InvitePartner(r.Context(), p, in.ID, in.Peer)
	})))
	m.HandleFunc("POST /api/v1/projects/close", s.api(true, apiAction(s, func(r *http.Request, p *twinfed.Principal, in projectInput) (any, error) {
		return s.svc.CloseProject(r.Context(), p, in.ID)
	})))
	m.HandleFunc("GET /api/v1/projects/search", s.api(false, s.apiSearchProjects))
	m.HandleFunc("GET /api/v1/projects/twinspace", s.api(true, s.apiTwinSpace))
	m.HandleFunc("POST /api/v1/projects/twinspace/posts", s.api(true, s.apiPostToTwinSpace))
	m.HandleFunc("GET /api/v1/agency/projects", s.api(true, s.apiApprovalQueue))
	m.HandleFunc("POST /api/v1/agency/projects/decide", s.api(true, apiAction(s, func(r *http.Request, p *twinfed.Principal, in projectInput) (any, error) {
		return s.svc.DecideParticipation(r.Context(), p, in.ID, in.Partner, in.Approve, in.Reason)
	})))
}

// projectLink is where a project's card is on this node.
func projectLink(id string) string { return "/projects/view?id=" + url.QueryEscape(id) }

// redirectDone goes to path with a flash message.
func redirectDone(w http.ResponseWriter, r *http.Request, path, flash string) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	http.Redirect(w, r, path+sep+"done="+flash, http.StatusSeeOther)
}

// --- form values ---

// The fields of the project form, by the step that asks for them.
var (
	projectTextFields = []string{"title", "description", "subjects", "pupil_ages", "languages", "tools", "aims", "work_process", "expected_results"}
	projectFormFields = append([]string{"school_id", "partner"}, projectTextFields...)
)

// projectFieldStep is the step of the form that asks for a field.
func projectFieldStep(field string) int {
	switch field {
	case "school_id":
		return 1
	case "partner":
		return 2
	}
	return 3
}

// splitList reads a comma-separated list.
func splitList(v string) []string {
	var out []string
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// parseAges reads pupils' ages written like "10, 11, 12" or "10-12".
func parseAges(v string) ([]int, error) {
	bad := twinfed.FieldError("pupil_ages", "Give pupils' ages from 0 to 99, like 10, 11, 12 or 10-12.")
	var out []int
	for _, part := range splitList(strings.NewReplacer("–", "-", "—", "-", ";", ",").Replace(v)) {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil || a < 0 || a > 99 {
			return nil, bad
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || b < a || b > 99 {
				return nil, bad
			}
		}
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// agesText writes ages back in the form's notation, runs as ranges.
func agesText(ages []int) string {
	var parts []string
	for i := 0; i < len(ages); {
		j := i
		for j+1 < len(ages) && ages[j+1] == ages[j]+1 {
			j++
		}
		if j > i+1 {
			parts = append(parts, strconv.Itoa(ages[i])+"-"+strconv.Itoa(ages[j]))
		} else {
			for k := i; k <= j; k++ {
				parts = append(parts, strconv.Itoa(ages[k]))
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// draftFromForm reads a project draft from the form; the error is a field
// error on pupil_ages when they cannot be read.
func draftFromForm(f url.Values) (ProjectDraft, error) {
	d := ProjectDraft{SchoolID: f.Get("school_id"), Partner: f.Get("partner"), Title: f.Get("title"), Description: f.Get("description"),
		Subjects: splitList(f.Get("subjects")), Languages: splitList(f.Get("languages")), Tools: splitList(f.Get("tools")),
		Aims: f.Get("aims"), WorkProcess: f.Get("work_process"), ExpectedResults: f.Get("expected_results")}
	ages, err := parseAges(f.Get("pupil_ages"))
	d.PupilAges = ages
	return d, err
}

// projectValues fills the description fields of the form from a project.
func projectValues(p *twinfed.Project) url.Values {
	return url.Values{"title": {p.Title}, "description": {p.Description}, "subjects": {strings.Join(p.Subjects, ", ")},
		"pupil_ages": {agesText(p.PupilAges)}, "languages": {strings.Join(p.Languages, ", ")}, "tools": {strings.Join(p.Tools, ", ")},
		"aims": {p.Aims}, "work_process": {p.WorkProcess}, "expected_results": {p.ExpectedResults}}
}

// mergeFieldErrors joins the field errors of two errors into one EINVALID.
func mergeFieldErrors(errs ...error) error {
	fields := map[string]string{}
	for _, err := range errs {
		for k, v := range twinfed.ErrorFields(err) {
			fields[k] = v
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &twinfed.Error{Code: twinfed.EINVALID, Message: "Some fields need your attention.", Fields: fields}
}

// --- my projects ---

// myProjectsData is the "My projects" page.
type myProjectsData struct {
	*MyProjects
	Groups  []projectGroup         // pending, approved, closed, other
	Schools []twinfed.MemberSchool // for answering invitations
}

// projectGroup is one state's list on the "My projects" page.
type projectGroup struct {
	Key      string // message id under "projects."
	Projects []*twinfed.Project
}

func (s *Server) myProjects(w http.ResponseWriter, r *http.Request) {
	st := state(r)
	mine, err := s.svc.MyProjects(r.Context(), st.p)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.newPage(w, r, "title.projects")
	p.Nav = "projects"
	d := myProjectsData{MyProjects: mine, Groups: []projectGroup{{"pending", mine.Pending}, {"approved", mine.Approved}, {"closed", mine.Closed}}}
	if len(mine.Other) > 0 {
		d.Groups = append(d.Groups, projectGroup{"other", mine.Other})
	}
	if len(mine.Invitations) > 0 {
		if c, err := s.svc.ProjectChoices(r.Context(), st.p); err == nil {
			d.Schools = c.Schools
		}
	}
	p.Data = d
	s.render(w, http.StatusOK, "projects", p)
}

// --- the four-step form ---

// projectFormData is one step of the project form.
type projectFormData struct {
	Step    int
	Choices *ProjectChoices
	Hidden  [][2]string      // the other steps' values, carried along
	Preview *twinfed.Project // step 4
	Edit    *ProjectView     // set when editing a project's description (step 3 alone)
	Description,
	Aims, WorkProcess, ExpectedResults template.HTML // the preview's texts, sanitised
}

func (s *Server) projectFormPage(w http.ResponseWriter, r *http.Request, step int, f url.Values, preview *twinfed.Project, ferr error) {
	st := state(r)
	choices, err := s.svc.ProjectChoices(r.Context(), st.p)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.newPage(w, r, "title.project_new")
	p.Nav = "projects"
	p.Form = f
	d := &projectFormData{Step: step, Choices: choices, Preview: preview}
	for _, k := range projectFormFields {
		if step == 4 || projectFieldStep(k) != step {
			d.Hidden = append(d.Hidden, [2]string{k, f.Get(k)})
		}
	}
	if preview != nil {
		d.Description, d.Aims = template.HTML(preview.Description), template.HTML(preview.Aims)
		d.WorkProcess, d.ExpectedResults = template.HTML(preview.WorkProcess), template.HTML(preview.ExpectedResults)
	}
	p.Data = d
	if ferr != nil {
		s.fail(w, r, "project_new", p, ferr)
		return
	}
	s.render(w, http.StatusOK, "project_new", p)
}

func (s *Server) newProjectForm(w http.ResponseWriter, r *http.Request) {
	f := url.Values{}
	if peer := r.URL.Query().Get("partner"); peer != "" {
		f.Set("partner", peer)
	}
	s.projectFormPage(w, r, 1, f, nil, nil)
}

// newProject moves through the form: "back" goes to the previous step as
// it is; "next" (also what Enter in a field sends) checks the draft and goes on unless a field of this step or
// an earlier one is wrong; "create" founds the project. Errors send the
// member to the first step with a wrong field, showing that step's errors.
func (s *Server) newProject(w http.ResponseWriter, r *http.Request) {
	st := state(r)
	f := url.Values{}
	for _, k := range projectFormFields {
		f.Set(k, r.PostForm.Get(k))
	}
	step, _ := strconv.Atoi(r.PostForm.Get("step"))
	step = min(max(step, 1), 4)
	action := r.PostForm.Get("go")
	if action == "create" && step != 4 {
		action = "next"
	}
	if action == "back" {
		s.projectFormPage(w, r, max(step-1, 1), f, nil, nil)
		return
	}
	d, agesErr := draftFromForm(f)
	var proj *twinfed.Project
	var err error
	if action == "create" && step == 4 && agesErr == nil {
		proj, err = s.svc.CreateProject(r.Context(), st.p, d)
		if err == nil {
			redirectDone(w, r, projectLink(proj.ID), "project_created")
			return
		}
	} else {
		proj, err = s.svc.PreviewProject(r.Context(), st.p, d)
	}
	if err != nil && len(twinfed.ErrorFields(err)) == 0 {
		s.errorPage(w, r, err)
		return
	}
	err = mergeFieldErrors(err, agesErr)
	upTo := step
	if action == "create" {
		upTo = 4
	}
	first := 0
	for k := range twinfed.ErrorFields(err) {
		if n := projectFieldStep(k); n <= upTo && (first == 0 || n < first) {
			first = n
		}
	}
	if first > 0 {
		only := map[string]string{}
		for k, v := range twinfed.ErrorFields(err) {
			if projectFieldStep(k) == first {
				only[k] = v
			}
		}
		s.projectFormPage(w, r, first, f, nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Some fields need your attention.", Fields: only})
		return
	}
	if action == "create" {
		s.errorPage(w, r, err) // every field belongs to steps 1 to 3: not reached
		return
	}
	next := min(step+1, 4)
	if next < 4 {
		proj = nil
	}
	s.projectFormPage(w, r, next, f, proj, nil)
}

// --- the project card ---

// projectCardData is a project card as the viewer sees it.
type projectCardData struct {
	V           *ProjectView
	Description template.HTML
	Aims        template.HTML
	WorkProcess template.HTML
	Expected    template.HTML
	Schools     []twinfed.MemberSchool // to answer an invitation
	Contacts    []*Contact             // to invite
	HasContacts bool                   // the viewer has contacts, even if none can be invited
	TwinSpace   bool                   // the viewer may open the TwinSpace
	CanEdit     bool                   // ProjectPermissions.CanEdit
	CanDelete   bool                   // ProjectPermissions.CanDelete
	Certs       map[string]bool        // partners whose certificate the viewer may download
	Decide      map[string]bool        // partners the viewing agency decides on
	Labels      *ProjectLabels         // the quality labels of a public European project
	LabelsNote  bool                   // the registry could not be read: the labels are not shown
}

func (s *Server) projectCardPage(w http.ResponseWriter, r *http.Request, id string, ferr error) {
	st := state(r)
	v, err := s.svc.ViewProject(r.Context(), st.p, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.newPage(w, r, "title.project")
	p.Nav = "projects"
	d := &projectCardData{V: v, Description: template.HTML(v.Description), Aims: template.HTML(v.Aims), WorkProcess: template.HTML(v.WorkProcess),
		Expected: template.HTML(v.ExpectedResults), Certs: map[string]bool{}, Decide: map[string]bool{}}
	if v.CanAnswer || v.CanInvite {
		if c, err := s.svc.ProjectChoices(r.Context(), st.p); err == nil {
			d.Schools, d.HasContacts = c.Schools, len(c.Contacts) > 0
			for _, ct := range c.Contacts {
				if cur := v.Partner(ct.Peer); cur == nil || cur.Status == twinfed.PartnerDeclined {
					d.Contacts = append(d.Contacts, ct)
				}
			}
		}
	}
	// An invitee answers first: editing or deleting comes with accepting
	// (an invitee is not a founder yet, so Permissions never lets them).
	perm := v.Perm
	d.CanDelete, d.CanEdit, d.TwinSpace = perm.CanDelete, perm.CanEdit, perm.CanEnterTwinSpace
	for _, actor := range perm.Certificates {
		d.Certs[actor] = true
	}
	for _, actor := range perm.CanDecide {
		d.Decide[actor] = true
	}
	if v.Public() && v.European() {
		// projectLabels logs a registry it cannot read; the card shows a note.
		if d.Labels, err = s.svc.projectLabels(r.Context(), v.ID, false); err != nil {
			d.LabelsNote = true
		}
	}
	p.Data = d
	if ferr != nil {
		s.fail(w, r, "project", p, ferr)
		return
	}
	s.render(w, http.StatusOK, "project", p)
}

func (s *Server) projectCard(w http.ResponseWriter, r *http.Request) {
	s.projectCardPage(w, r, r.URL.Query().Get("id"), nil)
}

// projectActor serves a project's Group actor to other nodes, and sends
// browsers to its card.
func (s *Server) projectActor(w http.ResponseWriter, r *http.Request) {
	if wantsActivity(r) && s.cfg.Federation != nil {
		s.cfg.Federation.ServeHTTP(w, r)
		return
	}
	http.Redirect(w, r, projectLink(twinfed.ProjectURL(s.svc.cfg.BaseURL, r.PathValue("rid"))), http.StatusSeeOther)
}

// cardAction wraps a form post about one project (field "id"): on success
// it goes back to the project's card (or where the action says) with a
// flash message; a wrong field shows the card again with the error.
func (s *Server) cardAction(do func(r *http.Request, p *twinfed.Principal, id string) (next, flash string, err error)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PostForm.Get("id")
		next, flash, err := do(r, state(r).p, id)
		if err != nil {
			if len(twinfed.ErrorFields(err)) > 0 {
				s.projectCardPage(w, r, id, err)
				return
			}
			s.errorPage(w, r, err)
			return
		}
		if next == "" {
			next = projectLink(id)
		}
		redirectDone(w, r, next, flash)
	}
}

func (s *Server) answerInvitation(w http.ResponseWriter, r *http.Request) {
	s.cardAction(func(r *http.Request, p *twinfed.Principal, id string) (string, string, error) {
		accept := r.PostForm.Get("answer") == "accept"
		if _, err := s.svc.AnswerInvitation(r.Context(), p, id, accept, r.PostForm.Get("school_id")); err != nil {
			return "", "", err
		}
		if accept {
			return "", "project_accepted", nil
		}
		return "/projects", "project_declined", nil
	})(w, r)
}

func (s *Server) invitePartner(w http.ResponseWriter, r *http.Request) {
	s.cardAction(func(r *http.Request, p *twinfed.Principal, id string) (string, string, error) {
		peer := r.PostForm.Get("peer")
		if peer == "" {
			return "", "", twinfed.FieldError("peer", "Choose one of your contacts.")
		}
		_, err := s.svc.InvitePartner(r.Context(), p, id, peer)
		return "", "partner_invited", err
	})(w, r)
}

func (s *Server) closeProject(w http.ResponseWriter, r *http.Request) {
	s.cardAction(func(r *http.Request, p *twinfed.Principal, id string) (string, string, error) {
		_, err := s.svc.CloseProject(r.Context(), p, id)
		return "", "project_closed", err
	})(w, r)
}

func (s *Server) deleteProject(w http.ResponseWriter, r *http.Request) {
	s.cardAction(func(r *http.Request, p *twinfed.Principal, id string) (string, string, error) {
		return "/projects", "project_deleted", s.svc.DeleteProject(r.Context(), p, id)
	})(w, r)
}

// --- edit ---

// editProjectPage shows the description step of the project form to
// change a pending project.
func (s *Server) editProjectPage(w http.ResponseWriter, r *http.Request, id string, f url.Values, ferr error) {
	v, err := s.svc.ViewProject(r.Context(), state(r).p, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	if !v.CanEdit {
		s.errorPage(w, r, twinfed.Errorf(twinfed.EFORBIDDEN, "The project can be edited only by its founders, until it is approved."))
		return
	}
	p := s.newPage(w, r, "title.project_edit")
	p.Nav = "projects"
	p.Data = &projectFormData{Step: 3, Edit: v}
	if f == nil {
		f = projectValues(v.Project)
	}
	p.Form = f
	if ferr != nil {
		s.fail(w, r, "project_new", p, ferr)
		return
	}
	s.render(w, http.StatusOK, "project_new", p)
}

func (s *Server) editProjectForm(w http.ResponseWriter, r *http.Request) {
	s.editProjectPage(w, r, r.URL.Query().Get("id"), nil, nil)
}

func (s *Server) editProject(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	f := url.Values{}
	for _, k := range projectTextFields {
		f.Set(k, r.PostForm.Get(k))
	}
	d, err := draftFromForm(f)
	if err == nil {
		_, err = s.svc.EditProject(r.Context(), state(r).p, id, d)
	}
	if err != nil {
		if len(twinfed.ErrorFields(err)) > 0 {
			s.editProjectPage(w, r, id, f, err)
			return
		}
		s.errorPage(w, r, err)
		return
	}
	redirectDone(w, r, projectLink(id), "project_saved")
}

// --- certificate ---

func (s *Server) certificate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var buf bytes.Buffer
	if err := s.svc.Certificate(r.Context(), state(r).p, q.Get("id"), q.Get("partner"), state(r).lang, &buf); err != nil {
		s.errorPage(w, r, err)
		return
	}
	name := "certificate-" + lastSegment(q.Get("id")) + "-" + lastSegment(q.Get("partner")) + ".pdf"
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFilename(name)+`"`)
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(buf.Bytes())
}

// safeFilename keeps letters, digits, dot, dash and underscore.
func safeFilename(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// --- search ---

// parseProjectQuery reads a project search from query parameters: q,
// country, subject, language, age, state (approved or closed), offset.
func parseProjectQuery(v url.Values) (ProjectQuery, error) {
	q := ProjectQuery{Text: strings.TrimSpace(v.Get("q")), Country: strings.ToUpper(v.Get("country")), Subject: strings.TrimSpace(v.Get("subject")),
		Language: strings.TrimSpace(v.Get("language")), State: twinfed.ProjectState(v.Get("state"))}
	bad := map[string]string{}
	num := func(k, msg string) int {
		if v.Get(k) == "" {
			return 0
		}
		n, err := strconv.Atoi(v.Get(k))
		if err != nil || n < 0 || n > 99 && k == "age" {
			bad[k] = msg
		}
		return n
	}
	q.Age = num("age", "Give a pupil age from 0 to 99.")
	q.Offset = num("offset", "The page number is not valid.")
	if len(q.Text) > 200 {
		bad["q"] = "Search for at most 200 characters."
	}
	if q.State != "" && q.State != twinfed.ProjectApproved && q.State != twinfed.ProjectClosed {
		bad["state"] = "Choose approved or closed."
	}
	if len(bad) > 0 {
		return q, &twinfed.Error{Code: twinfed.EINVALID, Message: "Some fields need your attention.", Fields: bad}
	}
	return q, nil
}

// projectSearchData is the project search page.
type projectSearchData struct {
	Page      *ProjectPage
	Results   []projectResult
	Searched  bool
	Countries []*twinfed.Country
	NextURL   string
}

// projectResult is one project in the search results.
type projectResult struct {
	*twinfed.Project
	Partners int
}

// partnerCount counts a project's partners who take part (not declined or
// rejected).
func partnerCount(p *twinfed.Project) int {
	n := 0
	for _, pt := range p.Partners {
		if pt.Status != twinfed.PartnerDeclined && pt.Status != twinfed.PartnerRejected && pt.Status != twinfed.PartnerInvited {
			n++
		}
	}
	return n
}

func (s *Server) searchProjects(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "title.project_search")
	p.Nav = "projects"
	p.Form = r.URL.Query()
	d := projectSearchData{Searched: len(r.URL.Query()) > 0}
	if s.svc.registry != nil {
		d.Countries, _ = s.svc.registry.Countries(r.Context())
	}
	q, err := parseProjectQuery(r.URL.Query())
	if err == nil {
		d.Page, err = s.svc.SearchProjects(r.Context(), state(r).p, q)
	}
	if err != nil {
		p.Data = d
		s.fail(w, r, "project_search", p, err)
		return
	}
	for _, pr := range d.Page.Projects {
		d.Results = append(d.Results, projectResult{Project: pr, Partners: partnerCount(pr)})
	}
	if d.Page.Next > 0 {
		v := r.URL.Query()
		v.Set("offset", strconv.Itoa(d.Page.Next))
		d.NextURL = "/projects/search?" + v.Encode()
	}
	p.Data = d
	s.render(w, http.StatusOK, "project_search", p)
}

// --- TwinSpace ---

// twinSpaceData is the TwinSpace page.
type twinSpaceData struct {
	TS      *TwinSpaceView
	Members []twinfed.Partner
	Posts   []twinSpacePost
}

type twinSpacePost struct {
	*TwinSpacePost
	HTML template.HTML // the post's content, sanitised on arrival
}

func (s *Server) twinSpacePage(w http.ResponseWriter, r *http.Request, id string, ferr error) {
	ts, err := s.svc.TwinSpace(r.Context(), state(r).p, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.newPage(w, r, "title.twinspace")
	p.Nav = "projects"
	d := twinSpaceData{TS: ts, Members: ts.Project.TwinSpaceMembers()}
	for _, post := range ts.Posts {
		d.Posts = append(d.Posts, twinSpacePost{TwinSpacePost: post, HTML: template.HTML(post.Content)})
	}
	p.Data = d
	if ferr != nil {
		s.fail(w, r, "project_twinspace", p, ferr)
		return
	}
	s.render(w, http.StatusOK, "project_twinspace", p)
}

func (s *Server) twinSpace(w http.ResponseWriter, r *http.Request) {
	s.twinSpacePage(w, r, r.URL.Query().Get("id"), nil)
}

func (s *Server) postToTwinSpace(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	if _, err := s.svc.PostToTwinSpace(r.Context(), state(r).p, id, r.PostForm.Get("content")); err != nil {
		if len(twinfed.ErrorFields(err)) > 0 {
			s.twinSpacePage(w, r, id, err)
			return
		}
		s.errorPage(w, r, err)
		return
	}
	redirectDone(w, r, "/projects/twinspace?id="+url.QueryEscape(id), "posted")
}

// --- back office ---

func (s *Server) boProjectsPage(w http.ResponseWriter, r *http.Request, ferr error) {
	list, err := s.svc.ApprovalQueue(r.Context(), state(r).p)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.newPage(w, r, "title.bo_projects")
	p.Data = list
	if ferr != nil {
		s.fail(w, r, "bo_projects", p, ferr)
		return
	}
	s.render(w, http.StatusOK, "bo_projects", p)
}

func (s *Server) boProjects(w http.ResponseWriter, r *http.Request) { s.boProjectsPage(w, r, nil) }

// boDecide records the agency's decision on one participation; the form
// says whether it came from the queue or from the project's card, where a
// missing reason is shown.
func (s *Server) boDecide(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	id, partner := f.Get("id"), f.Get("partner")
	var err error
	approve := false
	switch f.Get("decision") {
	case "approve":
		approve = true
	case "reject":
	default:
		err = twinfed.FieldError("decision", "Choose approve or reject.")
	}
	if err == nil {
		_, err = s.svc.DecideParticipation(r.Context(), state(r).p, id, partner, approve, f.Get("reason"))
	}
	fromCard := f.Get("from") == "card"
	if err != nil {
		switch {
		case len(twinfed.ErrorFields(err)) == 0:
			s.errorPage(w, r, err)
		case fromCard:
			s.projectCardPage(w, r, id, err)
		default:
			s.boProjectsPage(w, r, err)
		}
		return
	}
	flash := "participation_rejected"
	if approve {
		flash = "participation_approved"
	}
	next := "/backoffice/projects"
	if fromCard {
		next = projectLink(id)
	}
	redirectDone(w, r, next, flash)
}

// --- JSON API ---

// projectInput is the body of the API's project actions.
type projectInput struct {
	ID       string `json:"id"`
	Accept   bool   `json:"accept,omitempty"`
	SchoolID string `json:"school_id,omitempty"`
	Peer     string `json:"peer,omitempty"`
	Partner  string `json:"partner,omitempty"`
	Approve  bool   `json:"approve,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

func (s *Server) apiMyProjects(w http.ResponseWriter, r *http.Request, st *reqState) {
	mine, err := s.svc.MyProjects(r.Context(), st.p)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, mine)
}

func (s *Server) apiProjectChoices(w http.ResponseWriter, r *http.Request, st *reqState) {
	c, err := s.svc.ProjectChoices(r.Context(), st.p)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// apiDraft founds a project (create) or previews it.
func (s *Server) apiDraft(create bool) func(http.ResponseWriter, *http.Request, *reqState) {
	return func(w http.ResponseWriter, r *http.Request, st *reqState) {
		var d ProjectDraft
		if err := decode(r, &d); err != nil {
			s.apiFail(w, err)
			return
		}
		if create {
			proj, err := s.svc.CreateProject(r.Context(), st.p, d)
			if err != nil {
				s.apiFail(w, err)
				return
			}
			writeJSON(w, http.StatusCreated, proj)
			return
		}
		proj, err := s.svc.PreviewProject(r.Context(), st.p, d)
		if err != nil {
			s.apiFail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, proj)
	}
}

func (s *Server) apiViewProject(w http.ResponseWriter, r *http.Request, st *reqState) {
	v, err := s.svc.ViewProject(r.Context(), st.p, r.URL.Query().Get("id"))
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) apiEditProject(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in struct {
		ID string `json:"id"`
		ProjectDraft
	}
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	proj, err := s.svc.EditProject(r.Context(), st.p, in.ID, in.ProjectDraft)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, proj)
}

func (s *Server) apiSearchProjects(w http.ResponseWriter, r *http.Request, st *reqState) {
	q, err := parseProjectQuery(r.URL.Query())
	if err == nil {
		if n, aerr := strconv.Atoi(r.URL.Query().Get("limit")); aerr == nil {
			q.Limit = n
		}
		var page *ProjectPage
		if page, err = s.svc.SearchProjects(r.Context(), st.p, q); err == nil {
			writeJSON(w, http.StatusOK, page)
			return
		}
	}
	s.apiFail(w, err)
}

func (s *Server) apiTwinSpace(w http.ResponseWriter, r *http.Request, st *reqState) {
	ts, err := s.svc.TwinSpace(r.Context(), st.p, r.URL.Query().Get("id"))
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ts)
}

func (s *Server) apiPostToTwinSpace(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in struct {
		ID      string `json:"id"`
		Content string `json:"content"`
	}
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	post, err := s.svc.PostToTwinSpace(r.Context(), st.p, in.ID, in.Content)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, post)
}

func (s *Server) apiApprovalQueue(w http.ResponseWriter, r *http.Request, st *reqState) {
	list, err := s.svc.ApprovalQueue(r.Context(), st.p)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}
