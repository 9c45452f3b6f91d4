package project

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/web"
)

// The projects' web pages: the member's projects, the four-step form to
// found one, the project card with what the viewer may do, the public
// search, the certificate, the agency's approval queue, and the page of
// public projects other nodes backfill from.

//go:embed templates/*.html
var templates embed.FS

// WebConfig is what the project pages need beyond the service.
type WebConfig struct {
	// Signed wraps the routes only other nodes may read (the backfill
	// page) with an HTTP-signature check; nil: not served.
	Signed func(http.Handler) http.Handler
	// Federation serves a project's Group actor to other nodes (GET
	// /projects/{rid} asking for ActivityStreams); nil: browsers only.
	Federation http.Handler
	// Labels reads the quality labels a public European project's card
	// shows; nil: none shown.
	Labels Labels
}

// Labels is what the project card asks of the label feature.
type Labels interface {
	// PublicProjectLabels returns the labels of a public project without
	// the scores, for its card (the template reads its National,
	// European and EQL); an error means the registry could not be read.
	PublicProjectLabels(ctx context.Context, id string) (any, error)
}

// Web is the project feature's web pages and JSON API.
type Web struct {
	svc *Service
	cfg WebConfig
	kit *web.Kit
}

// NewWeb returns the pages and API of svc; Routes registers them.
func NewWeb(svc *Service, cfg WebConfig) *Web { return &Web{svc: svc, cfg: cfg} }

// Routes registers the projects' templates, pages and JSON API on k.
func (h *Web) Routes(k *web.Kit) error {
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	h.kit = k
	k.HandleFunc("GET /projects", k.Member(h.myProjects))
	k.HandleFunc("GET /projects/new", k.Member(h.newProjectForm))
	k.HandleFunc("POST /projects/new", k.Member(h.newProject))
	k.HandleFunc("GET /projects/view", k.Web(h.projectCard))
	k.HandleFunc("GET /projects/edit", k.Member(h.editProjectForm))
	k.HandleFunc("POST /projects/edit", k.Member(h.editProject))
	k.HandleFunc("POST /projects/delete", k.Member(h.deleteProject))
	k.HandleFunc("POST /projects/answer", k.Member(h.answerInvitation))
	k.HandleFunc("POST /projects/invite", k.Member(h.invitePartner))
	k.HandleFunc("POST /projects/close", k.Member(h.closeProject))
	k.HandleFunc("GET /projects/certificate", k.Member(h.certificate))
	k.HandleFunc("GET /projects/search", k.Web(h.searchProjects))
	k.HandleFunc("GET /projects/{rid}", k.Web(h.projectActor))
	k.HandleFunc("GET /backoffice/projects", k.Agency(h.boProjects))
	k.HandleFunc("POST /backoffice/projects/decide", k.Agency(h.boDecide))
	if h.cfg.Signed != nil {
		k.Handle("GET "+ProjectsBackfillPath, h.cfg.Signed(http.HandlerFunc(h.projectsBackfillPage)))
	}
	h.apiRoutes(k)
	return nil
}

// projectsBackfillPage serves the public projects this node is home to,
// to other nodes (signed GETs only).
func (h *Web) projectsBackfillPage(w http.ResponseWriter, r *http.Request) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	page, err := h.svc.LocalPublicProjects(r.Context(), r.URL.Query().Get("after"), limit)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

// projectLink is where a project's card is on this node.
func projectLink(id string) string { return "/projects/view?id=" + url.QueryEscape(id) }

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

// subjectsFromForm reads the subjects of the form: the ticked boxes, each a
// subject id (an API client or an older form may send one comma-separated
// list of names: describe maps them to ids).
func subjectsFromForm(values []string) []string {
	var out []string
	for _, v := range values {
		out = append(out, splitList(v)...)
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
		Subjects: subjectsFromForm(f["subjects"]), Languages: splitList(f.Get("languages")), Tools: splitList(f.Get("tools")),
		Aims: f.Get("aims"), WorkProcess: f.Get("work_process"), ExpectedResults: f.Get("expected_results")}
	ages, err := parseAges(f.Get("pupil_ages"))
	d.PupilAges = ages
	return d, err
}

// projectValues fills the description fields of the form from a project.
func projectValues(p *twinfed.Project) url.Values {
	return url.Values{"title": {p.Title}, "description": {p.Description}, "subjects": p.Subjects,
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

func (h *Web) myProjects(w http.ResponseWriter, r *http.Request) {
	st := web.State(r)
	mine, err := h.svc.MyProjects(r.Context(), st.Principal)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.projects")
	p.Nav = "projects"
	d := myProjectsData{MyProjects: mine, Groups: []projectGroup{{"pending", mine.Pending}, {"approved", mine.Approved}, {"closed", mine.Closed}}}
	if len(mine.Other) > 0 {
		d.Groups = append(d.Groups, projectGroup{"other", mine.Other})
	}
	if len(mine.Invitations) > 0 {
		if c, err := h.svc.ProjectChoices(r.Context(), st.Principal); err == nil {
			d.Schools = c.Schools
		}
	}
	p.Data = d
	h.kit.Render(w, http.StatusOK, "projects", p)
}

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

func (h *Web) projectFormPage(w http.ResponseWriter, r *http.Request, step int, f url.Values, preview *twinfed.Project, ferr error) {
	st := web.State(r)
	choices, err := h.svc.ProjectChoices(r.Context(), st.Principal)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.project_new")
	p.Nav = "projects"
	p.Form = f
	d := &projectFormData{Step: step, Choices: choices, Preview: preview}
	for _, k := range projectFormFields {
		if step == 4 || projectFieldStep(k) != step {
			for _, v := range f[k] {
				d.Hidden = append(d.Hidden, [2]string{k, v})
			}
		}
	}
	if preview != nil {
		d.Description, d.Aims = template.HTML(preview.Description), template.HTML(preview.Aims)
		d.WorkProcess, d.ExpectedResults = template.HTML(preview.WorkProcess), template.HTML(preview.ExpectedResults)
	}
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, "project_new", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "project_new", p)
}

func (h *Web) newProjectForm(w http.ResponseWriter, r *http.Request) {
	f := url.Values{}
	if peer := r.URL.Query().Get("partner"); peer != "" {
		f.Set("partner", peer)
	}
	h.projectFormPage(w, r, 1, f, nil, nil)
}

// newProject moves through the form: "back" goes to the previous step as
// it is; "next" (also what Enter in a field sends) checks the draft and goes on unless a field of this step or
// an earlier one is wrong; "create" founds the project. Errors send the
// member to the first step with a wrong field, showing that step's errors.
func (h *Web) newProject(w http.ResponseWriter, r *http.Request) {
	st := web.State(r)
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
		h.projectFormPage(w, r, max(step-1, 1), f, nil, nil)
		return
	}
	d, agesErr := draftFromForm(f)
	var proj *twinfed.Project
	var err error
	if action == "create" && step == 4 && agesErr == nil {
		proj, err = h.svc.CreateProject(r.Context(), st.Principal, d)
		if err == nil {
			web.RedirectDone(w, r, projectLink(proj.ID), "project_created")
			return
		}
	} else {
		proj, err = h.svc.PreviewProject(r.Context(), st.Principal, d)
	}
	if err != nil && len(twinfed.ErrorFields(err)) == 0 {
		h.kit.ErrorPage(w, r, err)
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
		h.projectFormPage(w, r, first, f, nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Some fields need your attention.", Fields: only})
		return
	}
	if action == "create" {
		h.kit.ErrorPage(w, r, err) // every field belongs to steps 1 to 3: not reached
		return
	}
	next := min(step+1, 4)
	if next < 4 {
		proj = nil
	}
	h.projectFormPage(w, r, next, f, proj, nil)
}

// projectCardData is a project card as the viewer sees it.
type projectCardData struct {
	V           *ProjectView
	Description template.HTML
	Aims        template.HTML
	WorkProcess template.HTML
	Expected    template.HTML
	Schools     []twinfed.MemberSchool // to answer an invitation
	Contacts    []*social.Contact      // to invite
	HasContacts bool                   // the viewer has contacts, even if none can be invited
	TwinSpace   bool                   // the viewer may open the TwinSpace
	CanEdit     bool                   // ProjectPermissions.CanEdit
	CanDelete   bool                   // ProjectPermissions.CanDelete
	Certs       map[string]bool        // partners whose certificate the viewer may download
	Decide      map[string]bool        // partners the viewing agency decides on
	Labels      any                    // the quality labels of a public European project (Labels)
	LabelsNote  bool                   // the registry could not be read: the labels are not shown
}

func (h *Web) projectCardPage(w http.ResponseWriter, r *http.Request, id string, ferr error) {
	st := web.State(r)
	v, err := h.svc.ViewProject(r.Context(), st.Principal, id)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.project")
	p.Nav = "projects"
	d := &projectCardData{V: v, Description: template.HTML(v.Description), Aims: template.HTML(v.Aims), WorkProcess: template.HTML(v.WorkProcess),
		Expected: template.HTML(v.ExpectedResults), Certs: map[string]bool{}, Decide: map[string]bool{}}
	if v.CanAnswer || v.CanInvite {
		if c, err := h.svc.ProjectChoices(r.Context(), st.Principal); err == nil {
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
	if v.Public() && v.European() && h.cfg.Labels != nil {
		// The label feature logs a registry it cannot read; the card shows a note.
		if d.Labels, err = h.cfg.Labels.PublicProjectLabels(r.Context(), v.ID); err != nil {
			d.LabelsNote = true
		}
	}
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, "project", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "project", p)
}

func (h *Web) projectCard(w http.ResponseWriter, r *http.Request) {
	h.projectCardPage(w, r, r.URL.Query().Get("id"), nil)
}

// projectActor serves a project's Group actor to other nodes, and sends
// browsers to its card.
func (h *Web) projectActor(w http.ResponseWriter, r *http.Request) {
	if web.WantsActivity(r) && h.cfg.Federation != nil {
		h.cfg.Federation.ServeHTTP(w, r)
		return
	}
	http.Redirect(w, r, projectLink(twinfed.ProjectURL(h.svc.BaseURL(), r.PathValue("rid"))), http.StatusSeeOther)
}

// cardAction wraps a form post about one project (field "id"): on success
// it goes back to the project's card (or where the action says) with a
// flash message; a wrong field shows the card again with the error.
func (h *Web) cardAction(do func(r *http.Request, p *twinfed.Principal, id string) (next, flash string, err error)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PostForm.Get("id")
		next, flash, err := do(r, web.State(r).Principal, id)
		if err != nil {
			if len(twinfed.ErrorFields(err)) > 0 {
				h.projectCardPage(w, r, id, err)
				return
			}
			h.kit.ErrorPage(w, r, err)
			return
		}
		if next == "" {
			next = projectLink(id)
		}
		web.RedirectDone(w, r, next, flash)
	}
}

func (h *Web) answerInvitation(w http.ResponseWriter, r *http.Request) {
	h.cardAction(func(r *http.Request, p *twinfed.Principal, id string) (string, string, error) {
		accept := r.PostForm.Get("answer") == "accept"
		if _, err := h.svc.AnswerInvitation(r.Context(), p, id, accept, r.PostForm.Get("school_id")); err != nil {
			return "", "", err
		}
		if accept {
			return "", "project_accepted", nil
		}
		return "/projects", "project_declined", nil
	})(w, r)
}

func (h *Web) invitePartner(w http.ResponseWriter, r *http.Request) {
	h.cardAction(func(r *http.Request, p *twinfed.Principal, id string) (string, string, error) {
		peer := r.PostForm.Get("peer")
		if peer == "" {
			return "", "", twinfed.FieldError("peer", "Choose one of your contacts.")
		}
		_, err := h.svc.InvitePartner(r.Context(), p, id, peer)
		return "", "partner_invited", err
	})(w, r)
}

func (h *Web) closeProject(w http.ResponseWriter, r *http.Request) {
	h.cardAction(func(r *http.Request, p *twinfed.Principal, id string) (string, string, error) {
		_, err := h.svc.CloseProject(r.Context(), p, id)
		return "", "project_closed", err
	})(w, r)
}

func (h *Web) deleteProject(w http.ResponseWriter, r *http.Request) {
	h.cardAction(func(r *http.Request, p *twinfed.Principal, id string) (string, string, error) {
		return "/projects", "project_deleted", h.svc.DeleteProject(r.Context(), p, id)
	})(w, r)
}

// editProjectPage shows the description step of the project form to
// change a pending project.
func (h *Web) editProjectPage(w http.ResponseWriter, r *http.Request, id string, f url.Values, ferr error) {
	v, err := h.svc.ViewProject(r.Context(), web.State(r).Principal, id)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	if !v.CanEdit {
		h.kit.ErrorPage(w, r, twinfed.Errorf(twinfed.EFORBIDDEN, "The project can be edited only by its founders, until it is approved."))
		return
	}
	p := h.kit.NewPage(w, r, "title.project_edit")
	p.Nav = "projects"
	p.Data = &projectFormData{Step: 3, Edit: v}
	if f == nil {
		f = projectValues(v.Project)
	}
	p.Form = f
	if ferr != nil {
		h.kit.Fail(w, r, "project_new", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "project_new", p)
}

func (h *Web) editProjectForm(w http.ResponseWriter, r *http.Request) {
	h.editProjectPage(w, r, r.URL.Query().Get("id"), nil, nil)
}

func (h *Web) editProject(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	f := url.Values{}
	for _, k := range projectTextFields {
		f.Set(k, r.PostForm.Get(k))
	}
	d, err := draftFromForm(f)
	if err == nil {
		_, err = h.svc.EditProject(r.Context(), web.State(r).Principal, id, d)
	}
	if err != nil {
		if len(twinfed.ErrorFields(err)) > 0 {
			h.editProjectPage(w, r, id, f, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, projectLink(id), "project_saved")
}

func (h *Web) certificate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var buf bytes.Buffer
	if err := h.svc.Certificate(r.Context(), web.State(r).Principal, q.Get("id"), q.Get("partner"), web.State(r).Lang, h.kit.Catalog(), &buf); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	name := "certificate-" + lastSegment(q.Get("id")) + "-" + lastSegment(q.Get("partner")) + ".pdf"
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFilename(name)+`"`)
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(buf.Bytes())
}

// lastSegment is what follows a URL's last slash.
func lastSegment(u string) string { return u[strings.LastIndexByte(u, '/')+1:] }

// safeFilename keeps letters, digits, dot, dash and underscore.
func safeFilename(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// parseProjectQuery reads a project search from query parameters: q,
// country, subject, language, age, state (approved or closed), offset.
func parseProjectQuery(v url.Values) (ProjectQuery, error) {
	q := ProjectQuery{Text: strings.TrimSpace(v.Get("q")), Country: strings.ToUpper(v.Get("country")), Subject: subjectQuery(v.Get("subject")),
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

// subjectQuery is the id of the subject searched for: the filter's value,
// or a subject's name as an older link wrote it.
func subjectQuery(s string) string {
	id, _ := twinfed.SubjectID(strings.TrimSpace(s))
	return id
}

// projectSearchData is the project search page.
type projectSearchData struct {
	Page      *ProjectPage
	Results   []projectResult
	Searched  bool
	Countries []*twinfed.Country
	NextURL   string
	Subject   string // the subject filter's id
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

func (h *Web) searchProjects(w http.ResponseWriter, r *http.Request) {
	p := h.kit.NewPage(w, r, "title.project_search")
	p.Nav = "projects"
	p.Form = r.URL.Query()
	d := projectSearchData{Searched: len(r.URL.Query()) > 0}
	d.Countries = h.svc.Countries(r.Context())
	q, err := parseProjectQuery(r.URL.Query())
	d.Subject = q.Subject
	if err == nil {
		d.Page, err = h.svc.SearchProjects(r.Context(), web.State(r).Principal, q)
	}
	if err != nil {
		p.Data = d
		h.kit.Fail(w, r, "project_search", p, err)
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
	h.kit.Render(w, http.StatusOK, "project_search", p)
}

func (h *Web) boProjectsPage(w http.ResponseWriter, r *http.Request, ferr error) {
	list, err := h.svc.ApprovalQueue(r.Context(), web.State(r).Principal)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.bo_projects")
	p.Data = list
	if ferr != nil {
		h.kit.Fail(w, r, "bo_projects", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "bo_projects", p)
}

func (h *Web) boProjects(w http.ResponseWriter, r *http.Request) { h.boProjectsPage(w, r, nil) }

// boDecide records the agency's decision on one participation; the form
// says whether it came from the queue or from the project's card, where a
// missing reason is shown.
func (h *Web) boDecide(w http.ResponseWriter, r *http.Request) {
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
		_, err = h.svc.DecideParticipation(r.Context(), web.State(r).Principal, id, partner, approve, f.Get("reason"))
	}
	fromCard := f.Get("from") == "card"
	if err != nil {
		switch {
		case len(twinfed.ErrorFields(err)) == 0:
			h.kit.ErrorPage(w, r, err)
		case fromCard:
			h.projectCardPage(w, r, id, err)
		default:
			h.boProjectsPage(w, r, err)
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
	web.RedirectDone(w, r, next, flash)
}
