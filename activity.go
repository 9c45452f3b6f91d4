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
