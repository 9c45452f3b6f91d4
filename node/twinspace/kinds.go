package twinspace

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/social"
)

// The core's kinds: the member list (member), the settings (settings), the
// Twinboard's updates (update) and the teachers' bulletin (bulletin).

// maxPostRunes is the longest update or bulletin note.
const maxPostRunes = 5000

func (s *Service) registerCore() {
	s.Register(twinfed.SpaceKindMember, Kind{Needs: memberNeeds, Check: checkMember, Quiet: true, Applied: s.memberApplied})
	s.Register(twinfed.SpaceKindSettings, Kind{Create: twinfed.SpaceSettings, Needs: func(_, _ *twinfed.SpaceObject) []twinfed.SpaceAction {
		return []twinfed.SpaceAction{twinfed.SpaceSettings}
	}, Check: s.checkText(false), Quiet: true})
	s.Register(twinfed.SpaceKindUpdate, Kind{Create: twinfed.SpacePostUpdate, Check: s.checkText(true)})
	s.Register(twinfed.SpaceKindBulletin, Kind{Create: twinfed.SpacePostBulletin, Check: s.checkText(true), Teachers: true})
}

// checkText sanitises an object's text (members' formatting only) and,
// when required, refuses an empty or overlong one.
func (s *Service) checkText(required bool) func(o *twinfed.SpaceObject) error {
	return func(o *twinfed.SpaceObject) error {
		o.Content = strings.TrimSpace(s.html.Sanitize(o.Content))
		if required && (o.Content == "" || utf8.RuneCountInString(o.Content) > 2*maxPostRunes) {
			return &twinfed.Error{Code: twinfed.EINVALID, Message: "Write a message of at most 5,000 characters.", Fields: map[string]string{"content": "Write a message of at most 5,000 characters."}}
		}
		return nil
	}
}

// memberNeeds: adding a pupil or a visitor needs SpaceInvite, changing a
// role or removing a member SpaceRemoveMember; a member recording their
// own visit needs only to be one.
func memberNeeds(old, o *twinfed.SpaceObject) []twinfed.SpaceAction {
	if o.Fields["actor"] == o.Writer() && (old == nil || old.Fields["role"] == o.Fields["role"] && !o.Deleted) {
		return []twinfed.SpaceAction{twinfed.SpaceRead}
	}
	if old == nil {
		return []twinfed.SpaceAction{twinfed.SpaceInvite}
	}
	return []twinfed.SpaceAction{twinfed.SpaceRemoveMember}
}

// checkMember: a member record names an actor and a role that fits it
// (pupils and visitors live under /pupils/, teachers do not), its id is
// the actor's (MemberID), a visitor's has an expiry; pupils and visitors
// are added by a teacher of their own node.
func checkMember(o *twinfed.SpaceObject) error {
	actor, role := o.Fields["actor"], twinfed.SpaceRole(o.Fields["role"])
	if actor == "" || o.ID != MemberID(o.Project, actor) || !role.Valid() {
		return twinfed.Errorf(twinfed.EINVALID, "a member record needs its actor, its id and a known role")
	}
	if twinfed.IsPupilURL(actor) != (role.IsPupil() || role == twinfed.SpaceVisitor) {
		return twinfed.Errorf(twinfed.EINVALID, "the role %s does not fit %s", role, actor)
	}
	if role == twinfed.SpaceVisitor {
		if _, err := time.Parse(time.RFC3339, o.Fields["expires"]); err != nil {
			return twinfed.Errorf(twinfed.EINVALID, "a visitor's record needs an expiry date")
		}
	}
	if twinfed.IsPupilURL(actor) && o.Version == 1 && twinfed.URLHost(actor) != twinfed.URLHost(o.Writer()) {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "a pupil or visitor is added by a teacher of their own node")
	}
	return nil
}

// memberApplied keeps a local pupil's account's list of TwinSpaces in
// step with the member records, on the pupil's own node.
func (s *Service) memberApplied(txn *badger.Txn, old, o *twinfed.SpaceObject) error {
	actor := o.Fields["actor"]
	if s.pupils == nil || !twinfed.IsPupilURL(actor) || !s.isLocal(actor) {
		return nil
	}
	username := actor[strings.LastIndexByte(actor, '/')+1:]
	if o.Deleted {
		return s.pupils.RemoveSpace(txn, username, o.Project)
	}
	if old != nil && !old.Deleted {
		return nil
	}
	p, err := s.projects.Project(txn, o.Project)
	if err != nil {
		return err
	}
	teacher := ""
	if u, ok := twinfed.UsernameFromActor(s.cfg.BaseURL, o.Writer()); ok {
		teacher = u
	}
	return s.pupils.AddSpace(txn, teacher, username, o.Project, p.Title)
}

// PostUpdate posts an update on the Twinboard (kind update) or, with
// bulletin, a note on the teachers' bulletin.
func (s *Service) PostUpdate(ctx context.Context, p *twinfed.Principal, project, content string, bulletin bool) (*twinfed.SpaceObject, error) {
	kind := twinfed.SpaceKindUpdate
	if bulletin {
		kind = twinfed.SpaceKindBulletin
	}
	content = strings.TrimSpace(content)
	if content == "" || utf8.RuneCountInString(content) > maxPostRunes {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Write a message of at most 5,000 characters.", Fields: map[string]string{"content": "Write a message of at most 5,000 characters."}}
	}
	return s.Edit(ctx, p, project, kind, "", func(v *View, o *twinfed.SpaceObject) error {
		o.Content = social.TextToHTML(content)
		return nil
	})
}

// DeletePost removes an update or a bulletin note (the writer's own, or
// anyone's for an administrator).
func (s *Service) DeletePost(ctx context.Context, p *twinfed.Principal, project, id string) error {
	var kind twinfed.SpaceKind
	err := s.store.View(func(txn *badger.Txn) error {
		o, err := Object(txn, project, id)
		if err == nil {
			kind = o.Kind
		}
		return err
	})
	if err != nil {
		return err
	}
	if kind != twinfed.SpaceKindUpdate && kind != twinfed.SpaceKindBulletin {
		return twinfed.Errorf(twinfed.ENOTFOUND, "This item of the TwinSpace does not exist (or no longer does).")
	}
	_, err = s.Edit(ctx, p, project, kind, id, func(v *View, o *twinfed.SpaceObject) error {
		o.Deleted = true
		return nil
	})
	return err
}

// SaveSettings changes the cover's text and whether pupils may chat
// (SpaceSettings: administrators).
func (s *Service) SaveSettings(ctx context.Context, p *twinfed.Principal, project, cover string, pupilsChat bool) error {
	if utf8.RuneCountInString(cover) > maxPostRunes {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: "Write a message of at most 5,000 characters.", Fields: map[string]string{"cover": "Write a message of at most 5,000 characters."}}
	}
	_, err := s.Edit(ctx, p, project, twinfed.SpaceKindSettings, SettingsID(project), func(v *View, o *twinfed.SpaceObject) error {
		o.Content = social.TextToHTML(strings.TrimSpace(cover))
		if o.Fields == nil {
			o.Fields = map[string]string{}
		}
		o.Deleted = false
		o.Fields["cover"], o.Fields["pupils_chat"] = strings.TrimSpace(cover), ""
		if pupilsChat {
			o.Fields["pupils_chat"] = "1"
		}
		return nil
	})
	return err
}

// AddMembers adds pupils and visitors of the teacher p (their usernames on
// this node) to project's TwinSpace, as pupils (or visitors until their
// invitation's end).
func (s *Service) AddMembers(ctx context.Context, p *twinfed.Principal, project string, usernames []string) (int, error) {
	if s.pupils == nil || p == nil || p.Role != twinfed.RoleMember {
		return 0, twinfed.Errorf(twinfed.EFORBIDDEN, "Only a teacher of the project adds their pupils and visitors.")
	}
	mine, err := s.pupils.Mine(ctx, p.Username)
	if err != nil {
		return 0, err
	}
	byName := map[string]PupilRef{}
	for _, r := range mine {
		byName[r.Username] = r
	}
	n := 0
	for _, u := range usernames {
		ref, ok := byName[u]
		if !ok {
			return n, twinfed.Errorf(twinfed.EFORBIDDEN, "%s is not one of your pupils or visitors.", u)
		}
		actor := twinfed.PupilURL(s.cfg.BaseURL, u)
		_, err := s.Edit(ctx, p, project, twinfed.SpaceKindMember, MemberID(project, actor), func(v *View, o *twinfed.SpaceObject) error {
			if o.Version > 0 && !o.Deleted {
				return errSkip
			}
			o.Deleted, o.Title = false, ref.Name
			o.Fields = map[string]string{"actor": actor, "role": string(twinfed.SpacePupil)}
			if ref.Visitor {
				o.Fields["role"], o.Fields["expires"] = string(twinfed.SpaceVisitor), ref.Expires.UTC().Format(time.RFC3339)
			}
			return nil
		})
		if err == errSkip {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

var errSkip = twinfed.Errorf(twinfed.ECONFLICT, "already there")

// SetRole gives a member another role (administrators only): a teacher
// one of the teachers' roles, a pupil pupil or pupil administrator.
func (s *Service) SetRole(ctx context.Context, p *twinfed.Principal, project, actor string, role twinfed.SpaceRole) error {
	if !role.Valid() || role == twinfed.SpaceVisitor || twinfed.IsPupilURL(actor) != role.IsPupil() {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: "Choose a role that fits this member.", Fields: map[string]string{"role": "Choose a role that fits this member."}}
	}
	_, err := s.Edit(ctx, p, project, twinfed.SpaceKindMember, MemberID(project, actor), func(v *View, o *twinfed.SpaceObject) error {
		if !twinfed.IsPupilURL(actor) && v.Project.Partner(actor) == nil {
			return twinfed.Errorf(twinfed.ENOTFOUND, "This person is not a member of the TwinSpace.")
		}
		if twinfed.IsPupilURL(actor) && (o.Version == 0 || o.Deleted) {
			return twinfed.Errorf(twinfed.ENOTFOUND, "This person is not a member of the TwinSpace.")
		}
		if actor == v.Actor {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "You cannot change your own role.")
		}
		if o.Fields == nil {
			o.Fields = map[string]string{"actor": actor}
		}
		if o.Title == "" {
			if pt := v.Project.Partner(actor); pt != nil {
				o.Title = pt.Name
			}
		}
		o.Fields["role"] = string(role)
		return nil
	})
	return err
}

// RemoveMember removes a pupil or a visitor from the TwinSpace
// (administrators only); what they wrote stays.
func (s *Service) RemoveMember(ctx context.Context, p *twinfed.Principal, project, actor string) error {
	if !twinfed.IsPupilURL(actor) {
		return twinfed.Errorf(twinfed.EINVALID, "Teachers leave a TwinSpace by leaving the project.")
	}
	_, err := s.Edit(ctx, p, project, twinfed.SpaceKindMember, MemberID(project, actor), func(v *View, o *twinfed.SpaceObject) error {
		if o.Version == 0 || o.Deleted {
			return twinfed.Errorf(twinfed.ENOTFOUND, "This person is not a member of the TwinSpace.")
		}
		o.Deleted = true
		return nil
	})
	return err
}
