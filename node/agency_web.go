package node

import (
	"embed"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The agency's back office: the queues of members and schools, the
// statistics, the members' export and the staff accounts.

//go:embed templates/agency/*.html
var agencyTemplates embed.FS

// agencyRoutes registers the back office's templates, pages and JSON API.
func (s *Server) agencyRoutes(k *web.Kit) error {
	if err := k.AddTemplates(agencyTemplates, "templates/agency/*.html"); err != nil {
		return err
	}
	k.HandleFunc("GET /backoffice", k.Agency(s.boHome))
	k.HandleFunc("GET /backoffice/members", k.Agency(s.boMembers))
	k.HandleFunc("GET /backoffice/members/{username}", k.Agency(s.boMember))
	k.HandleFunc("POST /backoffice/members/{username}/validate", k.Agency(s.boValidateMember))
	k.HandleFunc("POST /backoffice/members/{username}/reject", k.Agency(s.boRejectMember))
	k.HandleFunc("GET /backoffice/schools", k.Agency(s.boSchools))
	k.HandleFunc("POST /backoffice/schools/{id}/validate", k.Agency(s.boValidateSchool))
	k.HandleFunc("POST /backoffice/schools/{id}/reject", k.Agency(s.boRejectSchool))
	k.HandleFunc("GET /backoffice/stats", k.Agency(s.boStats))
	k.HandleFunc("GET /backoffice/members.csv", k.Agency(s.boExport))
	k.HandleFunc("GET /backoffice/staff", k.Agency(k.Simple("bo_staff", "title.staff")))
	k.HandleFunc("POST /backoffice/staff", k.Agency(s.boStaff))
	s.agencyAPIRoutes(k)
	return nil
}

type boHomeData struct {
	Pending, Proposals int
}

func (s *Server) boHome(w http.ResponseWriter, r *http.Request) {
	p := s.kit.NewPage(w, r, "title.backoffice")
	_, total, err := s.svc.ListMembers(r.Context(), web.State(r).Principal, twinfed.StatusPending, 0, 1)
	if err != nil {
		s.kit.ErrorPage(w, r, err)
		return
	}
	props, err := s.svc.ListProposals(r.Context(), web.State(r).Principal, twinfed.SchoolProposed)
	if err != nil {
		s.kit.ErrorPage(w, r, err)
		return
	}
	p.Data = boHomeData{Pending: total, Proposals: len(props)}
	s.kit.Render(w, http.StatusOK, "bo_home", p)
}

type boMembersData struct {
	Status  string
	Members []*twinfed.Member
	Total   int
	Offset  int
	Next    int
}

func (s *Server) boMembers(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = string(twinfed.StatusPending)
	}
	off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	list, total, err := s.svc.ListMembers(r.Context(), web.State(r).Principal, twinfed.MemberStatus(status), max(off, 0), 50)
	if err != nil {
		s.kit.ErrorPage(w, r, err)
		return
	}
	p := s.kit.NewPage(w, r, "title.bo_members")
	d := boMembersData{Status: status, Members: list, Total: total, Offset: off}
	if off+len(list) < total {
		d.Next = off + len(list)
	}
	p.Data = d
	s.kit.Render(w, http.StatusOK, "bo_members", p)
}

type boMemberData struct {
	M        *twinfed.Member
	Proposal *SchoolProposal
}

func (s *Server) boMemberPage(w http.ResponseWriter, r *http.Request, err error) {
	m, gerr := s.svc.AgencyMember(r.Context(), web.State(r).Principal, r.PathValue("username"))
	if gerr != nil {
		s.kit.ErrorPage(w, r, gerr)
		return
	}
	p := s.kit.NewPage(w, r, "title.bo_member")
	d := boMemberData{M: m}
	if ms := m.MainSchool(); ms != nil && ms.ProposalID != "" {
		d.Proposal, _ = s.svc.Proposal(r.Context(), web.State(r).Principal, ms.ProposalID)
	}
	p.Data = d
	if err != nil {
		s.kit.Fail(w, r, "bo_member", p, err)
		return
	}
	s.kit.Render(w, http.StatusOK, "bo_member", p)
}

func (s *Server) boMember(w http.ResponseWriter, r *http.Request) { s.boMemberPage(w, r, nil) }

func (s *Server) boValidateMember(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.ValidateMember(r.Context(), web.State(r).Principal, r.PathValue("username")); err != nil {
		s.boMemberPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/backoffice/members?done=validated", http.StatusSeeOther)
}

func (s *Server) boRejectMember(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.RejectMember(r.Context(), web.State(r).Principal, r.PathValue("username"), r.PostForm.Get("reason")); err != nil {
		s.boMemberPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/backoffice/members?done=rejected", http.StatusSeeOther)
}

func (s *Server) boSchoolsPage(w http.ResponseWriter, r *http.Request, err error) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = string(twinfed.SchoolProposed)
	}
	list, lerr := s.svc.ListProposals(r.Context(), web.State(r).Principal, twinfed.SchoolStatus(status))
	if lerr != nil {
		s.kit.ErrorPage(w, r, lerr)
		return
	}
	p := s.kit.NewPage(w, r, "title.bo_schools")
	p.Data = list
	p.Form = url.Values{"status": {status}}
	if err != nil {
		s.kit.Fail(w, r, "bo_schools", p, err)
		return
	}
	s.kit.Render(w, http.StatusOK, "bo_schools", p)
}

func (s *Server) boSchools(w http.ResponseWriter, r *http.Request) { s.boSchoolsPage(w, r, nil) }

func (s *Server) boValidateSchool(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.ValidateSchool(r.Context(), web.State(r).Principal, r.PathValue("id")); err != nil {
		s.boSchoolsPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/backoffice/schools?done=validated", http.StatusSeeOther)
}

func (s *Server) boRejectSchool(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.RejectSchool(r.Context(), web.State(r).Principal, r.PathValue("id"), r.PostForm.Get("reason")); err != nil {
		s.boSchoolsPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/backoffice/schools?done=rejected", http.StatusSeeOther)
}

func (s *Server) boStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.Stats(r.Context(), web.State(r).Principal)
	if err != nil {
		s.kit.ErrorPage(w, r, err)
		return
	}
	p := s.kit.NewPage(w, r, "title.stats")
	p.Data = st
	s.kit.Render(w, http.StatusOK, "bo_stats", p)
}

func (s *Server) boExport(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="members-`+s.svc.Country()+`-`+time.Now().UTC().Format("20060102")+`.csv"`)
	if err := s.svc.ExportCSV(r.Context(), web.State(r).Principal, w); err != nil {
		s.log.Error("export csv", "err", err)
	}
}

func (s *Server) boStaff(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	_, err := s.svc.accounts.CreateStaff(r.Context(), web.State(r).Principal, f.Get("username"), f.Get("email"), f.Get("first_name"), f.Get("last_name"), f.Get("password"), twinfed.Role(f.Get("role")))
	if err != nil {
		p := s.kit.NewPage(w, r, "title.staff")
		p.Form = url.Values{"username": {f.Get("username")}, "email": {f.Get("email")}, "first_name": {f.Get("first_name")}, "last_name": {f.Get("last_name")}, "role": {f.Get("role")}}
		s.kit.Fail(w, r, "bo_staff", p, err)
		return
	}
	http.Redirect(w, r, "/backoffice/staff?done=saved", http.StatusSeeOther)
}
