package twinfed

import (
	"slices"
	"time"
)

// InTwinSpace is the one TwinSpace membership rule: actor is a member of
// the project's TwinSpace when they are a partner whose participation
// their agency approved, once the TwinSpace is open (the project was
// approved). An agency never enters a private TwinSpace (DOMAIN.md): a role
// of agency staff is never a member, whatever the actor. role is the
// viewer's account role; for a remote partner's activity it is RoleMember,
// since partners are members.
//
// The service's TwinSpace page and post (node/projects.go), the home
// node's check of an incoming post (node/projects_incoming.go) and the
// project card (through ProjectPermissions) ask it.
func (p *Project) InTwinSpace(actor string, role Role) bool {
	if role.IsAgency() || actor == "" {
		return false
	}
	pt := p.Partner(actor)
	return pt != nil && p.twinSpaceMember(pt)
}

func (p *Project) twinSpaceMember(pt *Partner) bool {
	return p.TwinSpace != "" && pt.Status == PartnerApproved
}

// TwinSpaceMembers returns the members of the project's TwinSpace, in the
// partners' order: the partners InTwinSpace admits (none before the
// TwinSpace opens).
func (p *Project) TwinSpaceMembers() []Partner {
	var out []Partner
	for i := range p.Partners {
		if p.twinSpaceMember(&p.Partners[i]) {
			out = append(out, p.Partners[i])
		}
	}
	return out
}

// CanPostInTwinSpace reports whether actor may write in the project's
// TwinSpace: a member (InTwinSpace) while the project is approved; once it
// is closed the TwinSpace is a read-only archive.
func (p *Project) CanPostInTwinSpace(actor string, role Role) bool {
	return p.InTwinSpace(actor, role) && p.State == ProjectApproved
}

// SpaceRole is a person's role in one TwinSpace (DOMAIN.md, "TwinSpace
// roles"). Teachers who are the project's approved partners are teacher
// administrators unless an administrator gave them another role; pupils
// and visitors are added by the project's teachers.
type SpaceRole string

// TwinSpace roles.
const (
	SpaceAdmin      SpaceRole = "admin"       // teacher administrator: founders and partner teachers by default; everything
	SpaceTeacher    SpaceRole = "teacher"     // teacher: no managing others' content, no removing members, no reordering pages
	SpaceObserver   SpaceRole = "observer"    // reads, uploads materials, replies in forums
	SpacePupil      SpaceRole = "pupil"       // replies, chats when enabled, uploads materials
	SpacePupilAdmin SpaceRole = "pupil_admin" // a pupil who also adds and edits pages and opens forum threads
	SpaceVisitor    SpaceRole = "visitor"     // reads only, until the invitation expires
)

// SpaceRoles lists the roles, most powerful first.
var SpaceRoles = []SpaceRole{SpaceAdmin, SpaceTeacher, SpaceObserver, SpacePupilAdmin, SpacePupil, SpaceVisitor}

// Valid reports whether r is a known role.
func (r SpaceRole) Valid() bool {
	for _, x := range SpaceRoles {
		if x == r {
			return true
		}
	}
	return false
}

// IsTeacher reports whether r is a teacher's role (administrator, teacher
// or observer): teachers read the teachers' bulletin.
func (r SpaceRole) IsTeacher() bool {
	return r == SpaceAdmin || r == SpaceTeacher || r == SpaceObserver
}

// IsPupil reports whether r is a pupil's role.
func (r SpaceRole) IsPupil() bool { return r == SpacePupil || r == SpacePupilAdmin }

// SpaceAction is something a person does in a TwinSpace. SpaceCan decides
// each one.
type SpaceAction string

// TwinSpace actions. "Own" and "others'" distinguish content the person
// wrote from content someone else wrote.
const (
	SpaceRead           SpaceAction = "read"            // see the TwinSpace's private tools
	SpaceReadBulletin   SpaceAction = "read_bulletin"   // see the teachers' bulletin
	SpacePostUpdate     SpaceAction = "post_update"     // post an update on the Twinboard
	SpacePostBulletin   SpaceAction = "post_bulletin"   // write on the teachers' bulletin
	SpaceCreatePage     SpaceAction = "create_page"     // add a page or a sub-page
	SpaceEditPage       SpaceAction = "edit_page"       // edit a page's text (any page: pages are written together)
	SpacePublishPage    SpaceAction = "publish_page"    // publish a page (or take it back to draft)
	SpaceReorderPages   SpaceAction = "reorder_pages"   // move pages in the tree
	SpaceUpload         SpaceAction = "upload"          // upload materials
	SpaceCreateFolder   SpaceAction = "create_folder"   // add a folder of materials
	SpaceOpenDiscussion SpaceAction = "open_discussion" // open a forum discussion
	SpaceOpenThread     SpaceAction = "open_thread"     // open a thread in a discussion
	SpaceReply          SpaceAction = "reply"           // reply in a forum thread
	SpaceChat           SpaceAction = "chat"            // write in the chat
	SpaceWriteDiary     SpaceAction = "write_diary"     // post on the public project diary
	SpaceEditOwn        SpaceAction = "edit_own"        // edit or delete what one wrote
	SpaceManageOthers   SpaceAction = "manage_others"   // edit, remove or move what others wrote (pages excepted: SpaceEditPage)
	SpaceRemoveChat     SpaceAction = "remove_chat"     // remove anyone's chat message
	SpaceInvite         SpaceAction = "invite"          // add pupils and visitors
	SpaceRemoveMember   SpaceAction = "remove_member"   // remove a member, or change a member's role
	SpaceSettings       SpaceAction = "settings"        // the cover, and whether pupils may chat
	SpaceBrowsePublic   SpaceAction = "browse_public"   // see the TwinSpace as the public does
)

// SpaceActions lists every action, for the permission matrix's tests and
// pages.
var SpaceActions = []SpaceAction{
	SpaceRead, SpaceReadBulletin, SpacePostUpdate, SpacePostBulletin, SpaceCreatePage, SpaceEditPage,
	SpacePublishPage, SpaceReorderPages, SpaceUpload, SpaceCreateFolder, SpaceOpenDiscussion, SpaceOpenThread,
	SpaceReply, SpaceChat, SpaceWriteDiary, SpaceEditOwn, SpaceManageOthers, SpaceRemoveChat, SpaceInvite,
	SpaceRemoveMember, SpaceSettings, SpaceBrowsePublic,
}

// SpaceContext is what a permission depends on besides the role: the
// project's state (a closed project's TwinSpace is a read-only archive) and
// whether the teachers let pupils chat.
type SpaceContext struct {
	State      ProjectState
	PupilsChat bool
}

// spaceGrants is the permission matrix of an open TwinSpace.
var spaceGrants = map[SpaceRole][]SpaceAction{
	SpaceAdmin: SpaceActions,
	SpaceTeacher: {SpaceRead, SpaceReadBulletin, SpacePostUpdate, SpacePostBulletin, SpaceCreatePage, SpaceEditPage,
		SpacePublishPage, SpaceUpload, SpaceCreateFolder, SpaceOpenDiscussion, SpaceOpenThread, SpaceReply, SpaceChat,
		SpaceWriteDiary, SpaceEditOwn, SpaceRemoveChat, SpaceInvite, SpaceBrowsePublic},
	SpaceObserver:   {SpaceRead, SpaceReadBulletin, SpaceUpload, SpaceReply, SpaceChat, SpaceEditOwn},
	SpacePupilAdmin: {SpaceRead, SpacePostUpdate, SpaceCreatePage, SpaceEditPage, SpaceUpload, SpaceOpenThread, SpaceReply, SpaceChat, SpaceEditOwn},
	SpacePupil:      {SpaceRead, SpaceUpload, SpaceReply, SpaceChat, SpaceEditOwn},
	SpaceVisitor:    {SpaceRead},
}

// SpaceCan is the one TwinSpace permission rule: whether someone holding
// role may do a in a TwinSpace in context c. The pages, the JSON API and
// the home node's check of a partner node's write all ask it. Once the
// project is closed only reading remains; pupils chat only when the
// teachers enabled it; an unknown role may do nothing. (Who holds which
// role is the TwinSpace's member list; the agency holds none: InTwinSpace.)
func SpaceCan(role SpaceRole, a SpaceAction, c SpaceContext) bool {
	if !slices.Contains(spaceGrants[role], a) {
		return false
	}
	if c.State != ProjectApproved && a != SpaceRead && a != SpaceReadBulletin && a != SpaceBrowsePublic {
		return false
	}
	if a == SpaceChat && role.IsPupil() && !c.PupilsChat {
		return false
	}
	return true
}

// SpaceKind is the kind of a TwinSpace object: every tool's content is a
// SpaceObject of one kind, replicated the same way.
type SpaceKind string

// TwinSpace object kinds.
const (
	SpaceKindMember     SpaceKind = "member"     // a member added (pupil, visitor) or given a role; ID derived from the actor
	SpaceKindSettings   SpaceKind = "settings"   // the cover and the TwinSpace's switches (one per TwinSpace)
	SpaceKindUpdate     SpaceKind = "update"     // an update on the Twinboard
	SpaceKindBulletin   SpaceKind = "bulletin"   // a note on the teachers' bulletin
	SpaceKindPage       SpaceKind = "page"       // a page (Parent: the parent page, "" at the top)
	SpaceKindRevision   SpaceKind = "revision"   // a saved revision of a page (Parent: the page); never changes
	SpaceKindFolder     SpaceKind = "folder"     // a folder of materials
	SpaceKindMaterial   SpaceKind = "material"   // a file's record (Parent: its folder); the file stays on Origin
	SpaceKindDiscussion SpaceKind = "discussion" // a forum discussion
	SpaceKindThread     SpaceKind = "thread"     // a thread in a discussion (Parent)
	SpaceKindReply      SpaceKind = "reply"      // a reply in a thread (Parent)
	SpaceKindChat       SpaceKind = "chat"       // a chat message
	SpaceKindDiary      SpaceKind = "diary"      // a post on the public project diary
)

// SpaceObject is one piece of a TwinSpace's content, as every node that
// holds the TwinSpace stores it and as Create/Update/Delete to the
// project's Group (and its Announce) carry it. Its ID is a URL under the
// node where it was created; Version orders its states (Supersedes).
type SpaceObject struct {
	ID       string    `json:"id"`
	Project  string    `json:"project"`
	Kind     SpaceKind `json:"kind"`
	Parent   string    `json:"parent,omitempty"`
	Author   string    `json:"author"`           // actor URL of who created it
	Name     string    `json:"name,omitempty"`   // the author's display name
	Editor   string    `json:"editor,omitempty"` // actor URL of who wrote this version
	EditName string    `json:"edit_name,omitempty"`
	Title    string    `json:"title,omitempty"`
	Content  string    `json:"content,omitempty"` // sanitised HTML (or plain text for chat)
	Order    int       `json:"order,omitempty"`   // place among its siblings (pages, folders)
	Public   bool      `json:"public,omitempty"`  // a published page, a public material (shown by a public page or the diary)
	// Fields are the kind's own values (a member's role, a file's hash and
	// type, the settings' switches).
	Fields  map[string]string `json:"fields,omitempty"`
	Version int64             `json:"version"`        // 1 when created, one more at each change
	Base    int64             `json:"base,omitempty"` // the version this change was made on (pages: conflict detection)
	Created time.Time         `json:"created"`
	Updated time.Time         `json:"updated"`
	Deleted bool              `json:"deleted,omitempty"` // a tombstone: deletions replicate like changes
}

// Supersedes is the ordering rule every node applies to two states of one
// object, so that replicas converge whatever the order activities arrive
// in: the higher Version wins; at equal versions (two edits made at once on
// different nodes), the later Updated, then the greater Editor, then the
// deletion. A state never supersedes itself, so a replay changes nothing.
func (o *SpaceObject) Supersedes(old *SpaceObject) bool {
	if old == nil {
		return true
	}
	if o.Version != old.Version {
		return o.Version > old.Version
	}
	if !o.Updated.Equal(old.Updated) {
		return o.Updated.After(old.Updated)
	}
	if o.Editor != old.Editor {
		return o.Editor > old.Editor
	}
	return o.Deleted && !old.Deleted
}

// Writer returns who wrote this state of the object: the editor, or the
// author when it was never edited.
func (o *SpaceObject) Writer() string {
	if o.Editor != "" {
		return o.Editor
	}
	return o.Author
}
