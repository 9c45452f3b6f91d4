package feed

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/search"
	"github.com/twinfed/twinfed/node/web"
)

// Schools as results of "people and schools", a school's page (its
// members on this node and its public projects) and the "new members"
// list. The schools come from the registry, the members from the
// directory's index, the projects from the project search.

// Schools is what the school pages ask of the registry (twinfed.Registry).
type Schools interface {
	// School returns one school; ENOTFOUND for an unknown id.
	School(ctx context.Context, id string) (*twinfed.School, error)
	// FindSchools returns a page of schools and the number matching.
	FindSchools(ctx context.Context, f twinfed.SchoolFilter) ([]*twinfed.School, int, error)
}

// People is what the school pages ask of the directory.
type People interface {
	// SearchDirectory searches the public profiles of every node.
	SearchDirectory(ctx context.Context, viewer *twinfed.Principal, q directory.DirectoryQuery) (*directory.DirectoryPage, error)
}

// Projects is what a school's page asks of the projects.
type Projects interface {
	// SearchProjects searches the federation's public projects.
	SearchProjects(ctx context.Context, viewer *twinfed.Principal, q project.ProjectQuery) (*project.ProjectPage, error)
}

// SchoolDeps are the school pages' collaborators; a nil one leaves its
// part of the page empty.
type SchoolDeps struct {
	Schools  Schools
	People   People
	Projects Projects
	Country  string // the node's country: its members are the "new members"
}

// schoolPage is a school's page.
type schoolPage struct {
	School   *twinfed.School
	Members  []*twinfed.Profile
	Projects []*twinfed.Project
}

// SchoolPage returns a school with its members on this node (at most 100)
// and its public projects (at most 50). Only validated members and the
// agency see it.
func (s *Service) SchoolPage(ctx context.Context, p *twinfed.Principal, d SchoolDeps, id string) (*schoolPage, error) {
	if err := canBrowse(p); err != nil {
		return nil, err
	}
	if d.Schools == nil || strings.TrimSpace(id) == "" {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such school.")
	}
	sc, err := d.Schools.School(ctx, id)
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such school.")
		}
		return nil, web.RegistryErr(s.log, "school", err)
	}
	out := &schoolPage{School: sc, Members: []*twinfed.Profile{}, Projects: []*twinfed.Project{}}
	if d.People != nil {
		if page, err := d.People.SearchDirectory(ctx, p, search.Query{Text: sc.Name(), Country: sc.Country, Limit: 100}); err == nil {
			for _, pr := range page.Profiles {
				if pr.SchoolID == sc.ID && s.acts.IsLocal(pr.ID) {
					out.Members = append(out.Members, pr)
				}
			}
		}
	}
	if d.Projects != nil {
		if page, err := d.Projects.SearchProjects(ctx, p, project.ProjectQuery{Text: sc.Name(), Limit: 50}); err == nil {
			for _, pj := range page.Projects {
				for _, pa := range pj.Partners {
					if pa.SchoolID == sc.ID {
						out.Projects = append(out.Projects, pj)
						break
					}
				}
			}
		}
	}
	return out, nil
}

// canBrowse: the school pages and the new members are for validated
// members and the agency, as the directory is.
func canBrowse(p *twinfed.Principal) error {
	if p == nil {
		return twinfed.Errorf(twinfed.EUNAUTHORIZED, "Log in first.")
	}
	if p.Status != twinfed.StatusValidated && !p.IsAgency() {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "The people directory opens once the agency has validated your registration.")
	}
	return nil
}

// schoolsData is the school search page.
type schoolsData struct {
	Schools []*twinfed.School
	Total   int
	Query   string
	NextURL string
}

// schoolRoutes registers the school search, the school page and the new
// members.
func (h *handlers) schoolRoutes(k *web.Kit) {
	k.HandleFunc("GET /people/schools", k.Member(h.schools))
	k.HandleFunc("GET /schools/view", k.Member(h.school))
	k.HandleFunc("GET /people/new", k.Member(h.newMembers))
}

func (h *handlers) schools(w http.ResponseWriter, r *http.Request) {
	p := h.kit.NewPage(w, r, "feed.schools_title")
	p.Nav = "people"
	p.Form = r.URL.Query()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := &schoolsData{Query: q}
	p.Data = d
	if err := canBrowse(p.P); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	if len(q) > 200 {
		h.kit.Fail(w, r, "school_search", p, twinfed.FieldError("q", "Search for at most 200 characters."))
		return
	}
	if q != "" && h.schoolDeps.Schools != nil {
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		offset = max(offset, 0)
		list, total, err := h.schoolDeps.Schools.FindSchools(r.Context(), twinfed.SchoolFilter{Query: q, Country: strings.ToUpper(r.URL.Query().Get("country")), Offset: offset, Limit: 20})
		if err != nil {
			h.kit.ErrorPage(w, r, web.RegistryErr(h.svc.log, "find schools", err))
			return
		}
		d.Total = total
		for _, sc := range list { // a refused or closed school has no page
			if sc.Status != twinfed.SchoolRejected && sc.Status != twinfed.SchoolClosed {
				d.Schools = append(d.Schools, sc)
			}
		}
		if offset+len(list) < total {
			d.NextURL = "/people/schools?q=" + url.QueryEscape(q) + "&offset=" + strconv.Itoa(offset+len(list))
		}
	}
	h.kit.Render(w, http.StatusOK, "school_search", p)
}

func (h *handlers) school(w http.ResponseWriter, r *http.Request) {
	page, err := h.svc.SchoolPage(r.Context(), web.State(r).Principal, h.schoolDeps, r.URL.Query().Get("id"))
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "feed.school_title")
	p.Nav = "people"
	p.Data = page
	h.kit.Render(w, http.StatusOK, "school_page", p)
}

// newMembersData is the new members page.
type newMembersData struct {
	Members []*twinfed.Profile
}

// newMembers lists this node's members, the most recently validated or
// changed first (the directory's order without a search text).
func (h *handlers) newMembers(w http.ResponseWriter, r *http.Request) {
	p := h.kit.NewPage(w, r, "feed.new_members")
	p.Nav = "people"
	d := &newMembersData{Members: []*twinfed.Profile{}}
	if h.schoolDeps.People != nil {
		page, err := h.schoolDeps.People.SearchDirectory(r.Context(), p.P, search.Query{Country: h.schoolDeps.Country, Limit: 30})
		if err != nil {
			h.kit.ErrorPage(w, r, err)
			return
		}
		for _, pr := range page.Profiles {
			if h.svc.acts.IsLocal(pr.ID) {
				d.Members = append(d.Members, pr)
			}
		}
	}
	p.Data = d
	h.kit.Render(w, http.StatusOK, "new_members", p)
}
