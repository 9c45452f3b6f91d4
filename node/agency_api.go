package node

import (
	"net/http"
	"strconv"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The agency's JSON API (its labels are the label feature's).

func (s *Server) agencyAPIRoutes(k *web.Kit) {
	k.HandleFunc("GET /api/v1/agency/members", k.API(true, s.apiAgencyMembers))
	k.HandleFunc("GET /api/v1/agency/members/{username}", k.API(true, s.apiAgencyMember))
	k.HandleFunc("POST /api/v1/agency/members/{username}/validate", k.API(true, s.apiValidateMember))
	k.HandleFunc("POST /api/v1/agency/members/{username}/reject", k.API(true, s.apiRejectMember))
	k.HandleFunc("GET /api/v1/agency/schools", k.API(true, s.apiProposals))
	k.HandleFunc("POST /api/v1/agency/schools/{id}/validate", k.API(true, s.apiValidateSchool))
	k.HandleFunc("POST /api/v1/agency/schools/{id}/reject", k.API(true, s.apiRejectSchool))
	k.HandleFunc("GET /api/v1/agency/stats", k.API(true, s.apiStats))
	k.HandleFunc("GET /api/v1/agency/members.csv", k.API(true, s.apiCSV))
	k.HandleFunc("POST /api/v1/agency/staff", k.API(true, s.apiStaff))
}

func (s *Server) apiAgencyMembers(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = string(twinfed.StatusPending)
	}
	off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	lim, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	list, total, err := s.svc.ListMembers(r.Context(), st.Principal, twinfed.MemberStatus(status), max(off, 0), lim)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	if list == nil {
		list = []*twinfed.Member{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"members": list, "total": total})
}

func (s *Server) apiAgencyMember(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	m, err := s.svc.AgencyMember(r.Context(), st.Principal, r.PathValue("username"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, m)
}

func (s *Server) apiValidateMember(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	m, err := s.svc.ValidateMember(r.Context(), st.Principal, r.PathValue("username"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, m)
}

type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) apiRejectMember(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in reasonBody
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, err := s.svc.RejectMember(r.Context(), st.Principal, r.PathValue("username"), in.Reason)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, m)
}

func (s *Server) apiProposals(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = string(twinfed.SchoolProposed)
	}
	list, err := s.svc.ListProposals(r.Context(), st.Principal, twinfed.SchoolStatus(status))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	if list == nil {
		list = []*SchoolProposal{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"proposals": list})
}

func (s *Server) apiValidateSchool(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	sc, err := s.svc.ValidateSchool(r.Context(), st.Principal, r.PathValue("id"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, sc)
}

func (s *Server) apiRejectSchool(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in reasonBody
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	sp, err := s.svc.RejectSchool(r.Context(), st.Principal, r.PathValue("id"), in.Reason)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, sp)
}

func (s *Server) apiStats(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	stats, err := s.svc.Stats(r.Context(), st.Principal)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, stats)
}

func (s *Server) apiCSV(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	if !st.Principal.IsAgency() {
		web.APIFail(w, twinfed.Errorf(twinfed.EFORBIDDEN, "This page is for the national agency's staff."))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	if err := s.svc.ExportCSV(r.Context(), st.Principal, w); err != nil {
		s.log.Error("export csv", "err", err)
	}
}

func (s *Server) apiStaff(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		Username  string       `json:"username"`
		Email     string       `json:"email"`
		FirstName string       `json:"first_name"`
		LastName  string       `json:"last_name"`
		Password  string       `json:"password"`
		Role      twinfed.Role `json:"role"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, err := s.svc.accounts.CreateStaff(r.Context(), st.Principal, in.Username, in.Email, in.FirstName, in.LastName, in.Password, in.Role)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, m)
}
