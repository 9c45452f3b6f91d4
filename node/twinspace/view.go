package twinspace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// View is a TwinSpace as one person sees it: their role, what they may
// do, and whether they see only what the public sees. Every tool asks it,
// never anything else, what its reader may do.
type View struct {
	Project  *twinfed.Project     `json:"project"`
	Actor    string               `json:"actor,omitempty"` // the reader's actor URL; "" for the public
	Name     string               `json:"-"`               // the reader's display name in this TwinSpace
	Role     twinfed.SpaceRole    `json:"role,omitempty"`  // "" for the public (anonymous, the agency, anyone not a member)
	Context  twinfed.SpaceContext `json:"context"`
	Public   bool                 `json:"public"`   // the reader sees what the public sees
	Browsing bool                 `json:"browsing"` // a member browsing in public mode
	Home     bool                 `json:"home"`     // this node is the project's home node
	Settings *twinfed.SpaceObject `json:"-"`
	ReadOnly bool                 `json:"read_only"` // the project is closed: an archive
}

// Can reports whether the reader may do a (twinfed.SpaceCan); nothing but
// reading what is public in public mode.
func (v *View) Can(a twinfed.SpaceAction) bool {
	if v.Public {
		return false
	}
	return twinfed.SpaceCan(v.Role, a, v.Context)
}

// Member reports whether the reader is a member of the TwinSpace (and not
// browsing in public mode).
func (v *View) Member() bool { return !v.Public && v.Role != "" }

// Sees reports whether the reader may see o: in public mode only what is
// published; the teachers' kinds only for teachers.
func (s *Service) Sees(v *View, o *twinfed.SpaceObject) bool {
	if o == nil || o.Deleted {
		return false
	}
	if v.Public {
		return o.Public
	}
	if k, ok := s.kind(o.Kind); ok && k.Teachers {
		return v.Can(twinfed.SpaceReadBulletin)
	}
	return v.Can(twinfed.SpaceRead)
}

// Require returns EFORBIDDEN, with a message that says why, unless the
// reader may do a.
func (v *View) Require(a twinfed.SpaceAction) error {
	if v.Can(a) {
		return nil
	}
	switch {
	case v.Role == "" || v.Public:
		return twinfed.Errorf(twinfed.EFORBIDDEN, "This part of the TwinSpace is open only to its members.")
	case v.ReadOnly:
		return twinfed.Errorf(twinfed.EFORBIDDEN, "The project is closed: its TwinSpace is read-only.")
	case a == twinfed.SpaceChat && v.Role.IsPupil():
		return twinfed.Errorf(twinfed.EFORBIDDEN, "The teachers have not opened the chat to pupils.")
	}
	return twinfed.Errorf(twinfed.EFORBIDDEN, "Your role in this TwinSpace does not allow this.")
}

// RequireMember returns EFORBIDDEN unless the reader is a member (not the
// public): for the private tools' pages.
func (v *View) RequireMember() error { return v.Require(twinfed.SpaceRead) }

// OpenView returns the TwinSpace of project as p sees it (p nil: the
// public). public asks for public mode: what the public sees, for a member
// who may browse so. A TwinSpace not open yet is ENOTFOUND.
func (s *Service) OpenView(ctx context.Context, p *twinfed.Principal, project string, public bool) (*View, error) {
	var v *View
	err := s.store.View(func(txn *badger.Txn) error {
		var err error
		v, err = s.view(txn, p, project, public)
		return err
	})
	return v, err
}

func (s *Service) view(txn *badger.Txn, p *twinfed.Principal, project string, public bool) (*View, error) {
	proj, err := s.projects.Project(txn, project)
	if err != nil || proj.TwinSpace == "" {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "This TwinSpace does not exist, or is not open yet: it opens when every agency has approved the project.")
	}
	v := &View{Project: proj, Actor: s.ActorOf(p), Home: s.projects.IsHome(proj), ReadOnly: proj.State != twinfed.ProjectApproved}
	v.Context.State = proj.State
	v.Settings, _ = Object(txn, proj.ID, SettingsID(proj.ID))
	if v.Settings != nil && v.Settings.Fields["pupils_chat"] == "1" {
		v.Context.PupilsChat = true
	}
	if p != nil && v.Actor != "" {
		v.Role, v.Name = s.roleOf(txn, proj, v.Actor, p.Role)
	}
	if v.Role == "" {
		v.Actor, v.Public = "", true
		return v, nil
	}
	if public && v.Can(twinfed.SpaceBrowsePublic) {
		v.Public, v.Browsing = true, true
	}
	return v, nil
}

// MemberID is the id of the record of actor's membership of project's
// TwinSpace (kind member): one per member, whoever writes it.
func MemberID(project, actor string) string {
	h := sha256.Sum256([]byte(actor))
	return project + "/twinspace/members/" + hex.EncodeToString(h[:12])
}

// SettingsID is the id of a TwinSpace's settings (kind settings).
func SettingsID(project string) string { return project + "/twinspace/settings" }

// roleOf is the roster's answer: the role actor holds in p's TwinSpace,
// and their name there. A teacher whose participation is approved is an
// administrator unless an administrator gave them another teacher's role;
// a pupil or visitor holds the role their member record gives, a visitor
// until the invitation expires; the agency holds none (InTwinSpace).
func (s *Service) roleOf(txn *badger.Txn, p *twinfed.Project, actor string, account twinfed.Role) (twinfed.SpaceRole, string) {
	if account.IsAgency() {
		return "", ""
	}
	rec, _ := Object(txn, p.ID, MemberID(p.ID, actor))
	if rec != nil && rec.Deleted {
		rec = nil
	}
	if account == twinfed.RoleMember && !twinfed.IsPupilURL(actor) {
		if !p.InTwinSpace(actor, twinfed.RoleMember) {
			return "", ""
		}
		name := ""
		if pt := p.Partner(actor); pt != nil {
			name = pt.Name
		}
		if rec != nil {
			if r := twinfed.SpaceRole(rec.Fields["role"]); r.IsTeacher() {
				return r, name
			}
		}
		return twinfed.SpaceAdmin, name
	}
	if !account.IsScoped() || rec == nil {
		return "", ""
	}
	r := twinfed.SpaceRole(rec.Fields["role"])
	if !r.IsPupil() && r != twinfed.SpaceVisitor {
		return "", ""
	}
	if r == twinfed.SpaceVisitor {
		exp, err := time.Parse(time.RFC3339, rec.Fields["expires"])
		if err != nil || !s.now().Before(exp) {
			return "", ""
		}
	}
	return r, rec.Title
}

// accountRole is the account role behind a remote actor: pupils and
// visitors live under /pupils/, members under /users/.
func accountRole(actor string) twinfed.Role {
	if twinfed.IsPupilURL(actor) {
		return twinfed.RolePupil
	}
	return twinfed.RoleMember
}
