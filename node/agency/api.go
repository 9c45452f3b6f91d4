package agency

import (
	"net/http"
	"strconv"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The agency's JSON API (its labels are the label feature's).

func (h *Web) apiRoutes(k *web.Kit) {
	k.HandleFunc("GET /api/v1/agency/members", k.API(true, h.apiAgencyMembers))
	k.HandleFunc("GET /api/v1/agency/members/{username}", k.API(true, h.apiAgencyMember))
	k.HandleFunc("POST /api/v1/agency/members/{username}/validate", k.API(true, h.apiValidateMember))
	k.HandleFunc("POST /api/v1/agency/members/{username}/reject", k.API(true, h.apiRejectMember))
	k.HandleFunc("GET /api/v1/agency/schools", k.API(true, h.apiProposals))
	k.HandleFunc("POST /api/v1/agency/schools/{id}/validate", k.API(true, h.apiValidateSchool))
	k.HandleFunc("POST /api/v1/agency/schools/{id}/reject", k.API(true, h.apiRejectSchool))
	k.HandleFunc("GET /api/v1/agency/stats", k.API(true, h.apiStats))
	k.HandleFunc("GET /api/v1/agency/members.csv", k.API(true, h.apiCSV))
	k.HandleFunc("POST /api/v1/agency/staff", k.API(true, h.apiStaff))
}

// FederationAdminRoutes mounts the federation's operator API (queue
// status, parked deliveries, requeue) for the agency's staff: each of its
// routes by method and path, as openapi.json lists them.
func FederationAdminRoutes(k *web.Kit, admin http.Handler) {
	h := k.API(true, func(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
		if err := Require(st.Principal); err != nil {
			web.APIFail(w, err)
			return
		}
		admin.ServeHTTP(w, r)
	})
	for _, p := range []string{"GET /api/v1/agency/federation/status", "GET /api/v1/agency/federation/parked", "POST /api/v1/agency/federation/requeue"} {
		k.HandleFunc(p, h)
	}
}

func (h *Web) apiAgencyMembers(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = string(twinfed.StatusPending)
	}
	off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	lim, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	list, total, err := h.svc.ListMembers(r.Context(), st.Principal, twinfed.MemberStatus(status), max(off, 0), lim)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	if list == nil {
		list = []*twinfed.Member{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"members": list, "total": total})
}

func (h *Web) apiAgencyMember(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	m, err := h.svc.AgencyMember(r.Context(), st.Principal, r.PathValue("username"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, m)
}

func (h *Web) apiValidateMember(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	m, err := h.svc.ValidateMember(r.Context(), st.Principal, r.PathValue("username"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, m)
}

type reasonBody struct {
	Reason string `json:"reason"`
}

func (h *Web) apiRejectMember(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in reasonBody
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, err := h.svc.RejectMember(r.Context(), st.Principal, r.PathValue("username"), in.Reason)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, m)
}

func (h *Web) apiProposals(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = string(twinfed.SchoolProposed)
	}
	list, err := h.svc.ListProposals(r.Context(), st.Principal, twinfed.SchoolStatus(status))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	if list == nil {
		list = []*twinfed.SchoolProposal{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"proposals": list})
}

func (h *Web) apiValidateSchool(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	sc, err := h.svc.ValidateSchool(r.Context(), st.Principal, r.PathValue("id"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, sc)
}

func (h *Web) apiRejectSchool(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in reasonBody
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	sp, err := h.svc.RejectSchool(r.Context(), st.Principal, r.PathValue("id"), in.Reason)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, sp)
}

func (h *Web) apiStats(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	stats, err := h.svc.Stats(r.Context(), st.Principal)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, stats)
}

func (h *Web) apiCSV(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	if !st.Principal.IsAgency() {
		web.APIFail(w, twinfed.Errorf(twinfed.EFORBIDDEN, "This page is for the national agency's staff."))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	if err := h.svc.ExportCSV(r.Context(), st.Principal, w); err != nil {
		h.log.Error("export csv", "err", err)
	}
}

func (h *Web) apiStaff(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
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
	m, err := h.svc.CreateStaff(r.Context(), st.Principal, in.Username, in.Email, in.FirstName, in.LastName, in.Password, in.Role)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, m)
}
