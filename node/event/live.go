package event

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/web"
)

// A TwinSpace's Live tab: a teacher of an approved project schedules an
// online meeting of the project (at most twinfed.TwinSpaceMeetingCap
// participants) in one of the node's meeting rooms; the partners, on
// their own nodes, see it in their local time and in CET, "Live" during
// its time, and book and enter it as any event (its audience is the
// project's members, twinfed.AudienceProject).

// Projects is what the Live tab asks of the project feature.
type Projects interface {
	// Project returns a project this node holds, within txn; ENOTFOUND
	// when it holds none.
	Project(txn *badger.Txn, id string) (*twinfed.Project, error)
}

var _ Projects = (*project.Service)(nil)

// SetProjects gives the events the project feature, for the Live tab.
func (s *Service) SetProjects(p Projects) { s.projects = p }

// CreateMeeting schedules a meeting of project id's TwinSpace, organised
// by p, who must be one of its members.
func (s *Service) CreateMeeting(ctx context.Context, p *twinfed.Principal, id string, in Input) (*twinfed.Event, error) {
	if s.projects == nil {
		return nil, twinfed.Errorf(twinfed.EUNAVAILABLE, "Project meetings are not available on this node.")
	}
	var members []string
	err := s.store.View(func(txn *badger.Txn) error {
		proj, err := s.projects.Project(txn, id)
		if err != nil {
			return err
		}
		me := twinfed.ActorURL(s.cfg.BaseURL, p.Username)
		if p.Role != twinfed.RoleMember || !proj.InTwinSpace(me, p.Role) || !proj.CanPostInTwinSpace(me, p.Role) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "Only the members of an open TwinSpace schedule its meetings.")
		}
		for _, m := range proj.TwinSpaceMembers() {
			members = append(members, m.Actor)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	in.Kind, in.Audience, in.Countries = twinfed.EventOnline, twinfed.AudienceProject, nil
	return s.create(ctx, p, in, func(e *twinfed.Event) {
		e.Project, e.Contacts, e.Capacity = id, members, min(s.cfg.Capacity, twinfed.TwinSpaceMeetingCap)
	})
}

// liveData is a TwinSpace's Live tab.
type liveData struct {
	Project string
	Items   []Item
	Slots   []int // durations offered
}

func (h *Web) live(w http.ResponseWriter, r *http.Request, id string, ferr error) {
	pr := web.State(r).Principal
	evs, err := h.svc.List(r.Context(), pr, Filter{Project: id, From: h.svc.now().Add(-3 * time.Hour)})
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.event_live")
	p.Nav = "projects"
	d := liveData{Project: id, Slots: []int{30, 45, 60, 75, 90}}
	for _, e := range evs {
		d.Items = append(d.Items, h.item(p, e, h.svc.now()))
	}
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, "event_live", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "event_live", p)
}

func (h *Web) liveTab(w http.ResponseWriter, r *http.Request) {
	h.live(w, r, r.URL.Query().Get("id"), nil)
}

func (h *Web) scheduleMeeting(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	in := input(r.PostForm)
	if _, err := h.svc.CreateMeeting(r.Context(), web.State(r).Principal, id, in); err != nil {
		if len(twinfed.ErrorFields(err)) > 0 {
			h.live(w, r, id, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, "/projects/live?id="+url.QueryEscape(id), "event_created")
}
