package twinfed

import (
	"context"
	"time"
)

// ActivityType names what an activity does, in ActivityStreams terms.
type ActivityType string

// Activity types the federation exchanges (see ARCHITECTURE.md, ActivityPub mapping).
const (
	ActivityFollow   ActivityType = "Follow"
	ActivityAccept   ActivityType = "Accept"
	ActivityReject   ActivityType = "Reject"
	ActivityUndo     ActivityType = "Undo"
	ActivityCreate   ActivityType = "Create"
	ActivityUpdate   ActivityType = "Update"
	ActivityDelete   ActivityType = "Delete"
	ActivityInvite   ActivityType = "Invite"
	ActivityJoin     ActivityType = "Join"
	ActivityLeave    ActivityType = "Leave"
	ActivityAnnounce ActivityType = "Announce"
	ActivityFlag     ActivityType = "Flag" // a report of an object to the agency of its node
	ActivityLike     ActivityType = "Like" // a member likes a wall post (object: the post's id)
)

// Activity is a federation message in domain terms. A node's services build
// it and put it in the outbox in the same transaction as the state change; the
// federation package turns it into ActivityStreams 2.0, signs it as Actor and
// delivers it to the node of every recipient. Incoming activities arrive the
// other way, already verified (signature, registry key, same origin).
type Activity struct {
	ID        string       `json:"id"` // URL under the sending node's base URL; idempotency key
	Type      ActivityType `json:"type"`
	Actor     string       `json:"actor"`            // actor URL
	To        []string     `json:"to"`               // recipient actor URLs
	Object    string       `json:"object,omitempty"` // id of the object acted on (the followed actor, the answered activity, the deleted actor…)
	Target    string       `json:"target,omitempty"` // e.g. the project an Invite is for
	Summary   string       `json:"summary,omitempty"`
	Published time.Time    `json:"published"`

	// Contact marks a Follow as a contact request (needs Accept) rather than a
	// one-way follow (auto-accepted).
	Contact bool `json:"contact,omitempty"`
	// At most one embedded object, by kind.
	Profile *Profile `json:"profile,omitempty"` // Create/Update of a Person
	Note    *Note    `json:"note,omitempty"`    // Create of a direct message
	// Project is the project (a Group) the activity is about, embedded as
	// its object (Update, Delete) or its target (Invite, Accept, Reject).
	Project *Project `json:"project,omitempty"`
	// Forum is a partner-forum post or reply (Create, Update), carried as
	// a Note with the forum thread as its context.
	Forum *ForumPost `json:"forum,omitempty"`
	// Event is the event a Create, Update or Delete is about, embedded
	// as its object.
	Event *Event `json:"event,omitempty"`
	// Training is the training offer an agency's Create or Update carries
	// (node/training), embedded as its object.
	Training *Training `json:"training,omitempty"`
	// Space is a TwinSpace object (a page, a file's record, a forum
	// reply, a chat message…) that a Create, Update or Delete to the
	// project's Group, or the Group's Announce, carries.
	Space *SpaceObject `json:"space,omitempty"`
	// Likes is a wall post's like count that an Update of the post (its
	// object) carries from the author's node to the post's replicas.
	Likes *PostLikes `json:"likes,omitempty"`

	// Proof is the signed request that carried the activity, as received
	// (see federation.Proof); set by the federation on incoming activities
	// and never sent.
	Proof string `json:"-"`
}

// Host returns the host of the activity's actor, the node that sent it.
func (a *Activity) Host() string { return URLHost(a.Actor) }

// InboxHandler is what the federation's inbox calls, asynchronously and at
// most once per activity id, once an activity has been verified and stored.
// Implementations apply it to the node's state. They return EINVALID (or
// EFORBIDDEN) for an activity that can never apply, which is then dropped
// with a log line; other errors are retried.
type InboxHandler interface {
	HandleActivity(ctx context.Context, a *Activity) error
}

// CheckSameOrigin is the same-origin rule on inbound activities: the
// activity's id and actor, and the id of an object it creates, updates,
// deletes or undoes (a note, a profile), must live under the signing node
// (signer, the host of the signature's keyId). A node speaks only for its
// own members and objects. The federation's inbox asks it of every
// verified activity, and the check of an agency decision's proof asks it
// again. EFORBIDDEN names what is not under the signer.
func CheckSameOrigin(signer string, a *Activity) error {
	check := func(what, raw string) error {
		if raw == "" {
			return nil
		}
		if h := URLHost(raw); h != signer {
			return Errorf(EFORBIDDEN, "the activity's %s %s is not under the signing node %s", what, raw, signer)
		}
		return nil
	}
	if err := check("actor", a.Actor); err != nil {
		return err
	}
	if err := check("id", a.ID); err != nil {
		return err
	}
	// A founder on another node asks a project's home node to change or
	// delete it: the object is the project's Group there, and the home node
	// checks that the actor is a founder. Everywhere else, only the Group
	// itself (same origin) may change a project.
	// A TwinSpace object is changed by any member allowed to, wherever it
	// was created: the project's home node checks the role. What the
	// signer vouches for is who wrote the change, and that what it
	// creates lives under it.
	spaceChange := a.Space != nil && a.Type != ActivityCreate
	if createsObject(a.Type) && (a.Project == nil || a.Object != a.Project.ID) && !spaceChange {
		if err := check("object", a.Object); err != nil {
			return err
		}
	}
	if a.Note != nil && a.Type != ActivityAnnounce {
		if err := check("note", a.Note.ID); err != nil {
			return err
		}
		if err := check("note author", a.Note.From); err != nil {
			return err
		}
	}
	if a.Event != nil {
		if err := check("event", a.Event.ID); err != nil {
			return err
		}
		if err := check("event organiser", a.Event.Organiser); err != nil {
			return err
		}
	}
	if a.Training != nil {
		if err := check("training", a.Training.ID); err != nil {
			return err
		}
		if err := check("training publisher", a.Training.Publisher); err != nil {
			return err
		}
	}
	if a.Profile != nil && a.Type != ActivityAnnounce {
		if err := check("profile", a.Profile.ID); err != nil {
			return err
		}
	}
	if a.Space != nil && a.Type != ActivityAnnounce {
		if a.Type == ActivityCreate {
			if err := check("TwinSpace object", a.Space.ID); err != nil {
				return err
			}
		}
		if err := check("TwinSpace object's writer", a.Space.Writer()); err != nil {
			return err
		}
	}
	if a.Likes != nil {
		if err := check("liked post", a.Likes.Post); err != nil {
			return err
		}
	}
	if a.Forum != nil {
		if err := check("forum post", a.Forum.ID); err != nil {
			return err
		}
		if err := check("forum post author", a.Forum.Author); err != nil {
			return err
		}
	}
	return nil
}

// createsObject reports whether the activity's object is something its
// actor's node owns, so that the same-origin rule applies to it as well.
func createsObject(t ActivityType) bool {
	switch t {
	case ActivityCreate, ActivityUpdate, ActivityDelete, ActivityUndo:
		return true
	}
	return false
}

// HeaderNotFound is set, to "record", on a 404 that a node answers from a
// route it serves to other nodes when the record asked for does not exist
// (an event unknown to a catch-up): the asking node learns that the record
// is missing, not that the node does not serve that part of its URL space,
// and keeps asking there for other records.
const HeaderNotFound = "Twinfed-Not-Found"
