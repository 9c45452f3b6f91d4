// Package outbox is the national node's side of deliveries to other nodes:
// the Outbox where a feature puts the activities that must leave (the
// federation's transactional outbox), the Prover that signs and checks the
// proofs kept with agency decisions, and Activities, the helper every
// feature shares to make activities as this node's actors and hand them to
// the Outbox in the transaction of the change they announce.
//
// cmd/twinfed wires *federation.Outbox as both Outbox and Prover (through
// node.Options); a node without them runs alone. The features of package
// node (social, project, twinspace, the directory's profile updates) use
// Activities.
package outbox

import (
	"context"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// Outbox is where the node's features put the activities that must reach
// other nodes: the federation's transactional outbox. Enqueue runs inside
// the same Badger transaction as the state change, so both commit or
// neither does; Notify after the commit starts delivery at once.
type Outbox interface {
	// Enqueue records a for delivery to each of its recipients, within txn.
	Enqueue(txn *badger.Txn, a *twinfed.Activity) error
	// Notify tells the delivery workers that a transaction committed work
	// for them.
	Notify()
}

// Prover makes and checks the signed proof kept with an agency's decision.
// Prove signs a as the node would deliver it; VerifyProof checks a stored
// proof against the keys the registry lists and returns the activity it
// carried and the keyId that signed it.
type Prover interface {
	Prove(a *twinfed.Activity) (string, error)
	VerifyProof(ctx context.Context, proof string) (*twinfed.Activity, string, error)
}

// msgAlone is the error of an action that needs another node while this
// one runs without an outbox.
const msgAlone = "This node is not connected to the other nodes right now; try again later."

// Activities makes this node's activities and sends them through its
// Outbox. It is safe for concurrent use.
type Activities struct {
	base string
	out  Outbox
	now  func() time.Time
}

// NewActivities returns the helper of the node at baseURL. out may be nil:
// the node then works alone, members of this node can still act towards
// each other, and anything addressed to another node is refused with
// EUNAVAILABLE. now nil means time.Now.
func NewActivities(baseURL string, out Outbox, now func() time.Time) *Activities {
	if now == nil {
		now = time.Now
	}
	return &Activities{base: strings.TrimRight(baseURL, "/"), out: out, now: now}
}

// New starts an activity by a local member (or the agency when username
// is empty), with a fresh id and the current time.
func (x *Activities) New(t twinfed.ActivityType, username string) *twinfed.Activity {
	actor := twinfed.AgencyURL(x.base)
	if username != "" {
		actor = twinfed.ActorURL(x.base, username)
	}
	return x.NewBy(t, actor)
}

// NewBy starts an activity by actor, one of this node's actors (a
// project's Group), with a fresh id and the current time.
func (x *Activities) NewBy(t twinfed.ActivityType, actor string) *twinfed.Activity {
	return &twinfed.Activity{ID: twinfed.ActivityURL(x.base, store.NewID()), Type: t, Actor: actor, Published: x.now().UTC()}
}

// IsLocal reports whether an actor URL lives on this node.
func (x *Activities) IsLocal(actor string) bool {
	return twinfed.URLHost(actor) == twinfed.URLHost(x.base)
}

// Outbox returns the outbox, nil when the node runs alone.
func (x *Activities) Outbox() Outbox { return x.out }

// Connected returns the outbox, or EUNAVAILABLE when the node runs alone:
// for an action that must reach another node.
func (x *Activities) Connected() (Outbox, error) {
	if x.out == nil {
		return nil, twinfed.Errorf(twinfed.EUNAVAILABLE, msgAlone)
	}
	return x.out, nil
}

// Send delivers a within txn to its recipients on other nodes, through the
// outbox; EUNAVAILABLE when it has some and the node runs alone.
// Recipients on this node are sent nothing: the action that made a makes
// its effect on them itself, in the same transaction, with the feature's
// own functions (the inbox takes only activities from other nodes). Call
// Notify after the commit.
func (x *Activities) Send(txn *badger.Txn, a *twinfed.Activity) error {
	for _, to := range a.To {
		if !x.IsLocal(to) {
			o, err := x.Connected()
			if err != nil {
				return err
			}
			return o.Enqueue(txn, a)
		}
	}
	return nil
}

// Notify tells the outbox (if any) that a transaction committed work for it.
func (x *Activities) Notify() {
	if x.out != nil {
		x.out.Notify()
	}
}
