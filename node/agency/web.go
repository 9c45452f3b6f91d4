package agency

import (
	"embed"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The agency's back office: the queues of members and schools, the
// statistics, the members' export and the staff accounts.

//go:embed templates/*.html
var templates embed.FS

// Web is the back office's pages and the agency's JSON API.
type Web struct {
	svc *Service
	kit *web.Kit
	log *slog.Logger
}

// NewWeb returns the back office's handlers over svc; log gets the errors
// of exports already under way.
func NewWeb(svc *Service, log *slog.Logger) *Web { return &Web{svc: svc, log: log} }

// Routes registers the back office's templates, pages and JSON API on k
// (the agency's labels are the label feature's; the federation's operator
// API is mounted by the node).
func (h *Web) Routes(k *web.Kit) error {
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	h.kit = k
	k.HandleFunc("GET /backoffice", k.Agency(h.boHome))
	k.HandleFunc("GET /backoffice/members", k.Agency(h.boMembers))
	k.HandleFunc("GET /backoffice/members/{username}", k.Agency(h.boMember))
	k.HandleFunc("POST /backoffice/members/{username}/validate", k.Agency(h.boValidateMember))
	k.HandleFunc("POST /backoffice/members/{username}/reject", k.Agency(h.boRejectMember))
	k.HandleFunc("GET /backoffice/schools", k.Agency(h.boSchools))
	k.HandleFunc("POST /backoffice/schools/{id}/validate", k.Agency(h.boValidateSchool))
	k.HandleFunc("POST /backoffice/schools/{id}/reject", k.Agency(h.boRejectSchool))
	k.HandleFunc("GET /backoffice/stats", k.Agency(h.boStats))
	k.HandleFunc("GET /backoffice/mail", k.Agency(h.boMail))
	k.HandleFunc("GET /backoffice/members.csv", k.Agency(h.boExport))
	k.HandleFunc("GET /backoffice/staff", k.Agency(k.Simple("bo_staff", "title.staff")))
	k.HandleFunc("POST /backoffice/staff", k.Agency(h.boStaff))
	h.apiRoutes(k)
	return nil
}

type boHomeData struct {
	Pending, Proposals int
}

func (h *Web) boHome(w http.ResponseWriter, r *http.Request) {
	p := h.kit.NewPage(w, r, "title.backoffice")
	_, total, err := h.svc.ListMembers(r.Context(), web.State(r).Principal, twinfed.StatusPending, 0, 1)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	props, err := h.svc.ListProposals(r.Context(), web.State(r).Principal, twinfed.SchoolProposed)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p.Data = boHomeData{Pending: total, Proposals: len(props)}
	h.kit.Render(w, http.StatusOK, "bo_home", p)
}

type boMembersData struct {
	Status  string
	Members []*twinfed.Member
	Total   int
	Offset  int
	Next    int
}

func (h *Web) boMembers(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = string(twinfed.StatusPending)
	}
	off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	list, total, err := h.svc.ListMembers(r.Context(), web.State(r).Principal, twinfed.MemberStatus(status), max(off, 0), 50)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.bo_members")
	d := boMembersData{Status: status, Members: list, Total: total, Offset: off}
	if off+len(list) < total {
		d.Next = off + len(list)
	}
	p.Data = d
	h.kit.Render(w, http.StatusOK, "bo_members", p)
}

type boMemberData struct {
	M        *twinfed.Member
	Proposal *twinfed.SchoolProposal
}

func (h *Web) boMemberPage(w http.ResponseWriter, r *http.Request, err error) {
	m, gerr := h.svc.AgencyMember(r.Context(), web.State(r).Principal, r.PathValue("username"))
	if gerr != nil {
		h.kit.ErrorPage(w, r, gerr)
		return
	}
	p := h.kit.NewPage(w, r, "title.bo_member")
	d := boMemberData{M: m}
	if ms := m.MainSchool(); ms != nil && ms.ProposalID != "" {
		d.Proposal, _ = h.svc.Proposal(r.Context(), web.State(r).Principal, ms.ProposalID)
	}
	p.Data = d
	if err != nil {
		h.kit.Fail(w, r, "bo_member", p, err)
		return
	}
	h.kit.Render(w, http.StatusOK, "bo_member", p)
}

func (h *Web) boMember(w http.ResponseWriter, r *http.Request) { h.boMemberPage(w, r, nil) }

func (h *Web) boValidateMember(w http.ResponseWriter, r *http.Request) {
	if _, err := h.svc.ValidateMember(r.Context(), web.State(r).Principal, r.PathValue("username")); err != nil {
		h.boMemberPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/backoffice/members?done=validated", http.StatusSeeOther)
}

func (h *Web) boRejectMember(w http.ResponseWriter, r *http.Request) {
	if _, err := h.svc.RejectMember(r.Context(), web.State(r).Principal, r.PathValue("username"), r.PostForm.Get("reason")); err != nil {
		h.boMemberPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/backoffice/members?done=rejected", http.StatusSeeOther)
}

func (h *Web) boSchoolsPage(w http.ResponseWriter, r *http.Request, err error) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = string(twinfed.SchoolProposed)
	}
	list, lerr := h.svc.ListProposals(r.Context(), web.State(r).Principal, twinfed.SchoolStatus(status))
	if lerr != nil {
		h.kit.ErrorPage(w, r, lerr)
		return
	}
	p := h.kit.NewPage(w, r, "title.bo_schools")
	p.Data = list
	p.Form = url.Values{"status": {status}}
	if err != nil {
		h.kit.Fail(w, r, "bo_schools", p, err)
		return
	}
	h.kit.Render(w, http.StatusOK, "bo_schools", p)
}

func (h *Web) boSchools(w http.ResponseWriter, r *http.Request) { h.boSchoolsPage(w, r, nil) }

func (h *Web) boValidateSchool(w http.ResponseWriter, r *http.Request) {
	if _, err := h.svc.ValidateSchool(r.Context(), web.State(r).Principal, r.PathValue("id")); err != nil {
		h.boSchoolsPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/backoffice/schools?done=validated", http.StatusSeeOther)
}

func (h *Web) boRejectSchool(w http.ResponseWriter, r *http.Request) {
	if _, err := h.svc.RejectSchool(r.Context(), web.State(r).Principal, r.PathValue("id"), r.PostForm.Get("reason")); err != nil {
		h.boSchoolsPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/backoffice/schools?done=rejected", http.StatusSeeOther)
}

func (h *Web) boStats(w http.ResponseWriter, r *http.Request) {
	st, err := h.svc.Stats(r.Context(), web.State(r).Principal)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.stats")
	p.Data = st
	h.kit.Render(w, http.StatusOK, "bo_stats", p)
}

func (h *Web) boExport(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="members-`+h.svc.Country()+`-`+time.Now().UTC().Format("20060102")+`.csv"`)
	if err := h.svc.ExportCSV(r.Context(), web.State(r).Principal, w); err != nil {
		h.log.Error("export csv", "err", err)
	}
}

func (h *Web) boStaff(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	_, err := h.svc.CreateStaff(r.Context(), web.State(r).Principal, f.Get("username"), f.Get("email"), f.Get("first_name"), f.Get("last_name"), f.Get("password"), twinfed.Role(f.Get("role")))
	if err != nil {
		p := h.kit.NewPage(w, r, "title.staff")
		p.Form = url.Values{"username": {f.Get("username")}, "email": {f.Get("email")}, "first_name": {f.Get("first_name")}, "last_name": {f.Get("last_name")}, "role": {f.Get("role")}}
		h.kit.Fail(w, r, "bo_staff", p, err)
		return
	}
	http.Redirect(w, r, "/backoffice/staff?done=saved", http.StatusSeeOther)
}
