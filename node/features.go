package node

import (
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/agency"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventcert"
	"github.com/twinfed/twinfed/node/event/eventfiles"
	"github.com/twinfed/twinfed/node/event/eventforum"
	"github.com/twinfed/twinfed/node/event/eventroom"
	"github.com/twinfed/twinfed/node/feed"
	"github.com/twinfed/twinfed/node/forum"
	"github.com/twinfed/twinfed/node/label"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/pupil"
	"github.com/twinfed/twinfed/node/registration"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/training"
	"github.com/twinfed/twinfed/node/twinspace/workspace"
)

// The node's features, for its owner (cmd/twinfed, the demo) and tests.

// Accounts returns the members' accounts.
func (n *Node) Accounts() *account.Service { return n.svc.accounts }

// Directory returns the federated directory.
func (n *Node) Directory() *directory.Service { return n.svc.dir }

// Registration returns the registration's service: the four steps and the
// choice (or proposal) of a school.
func (n *Node) Registration() *registration.Service { return n.svc.reg }

// Agency returns the agency's back office: the validation queues, staff,
// statistics, the members' export and import.
func (n *Node) Agency() *agency.Service { return n.svc.agency }

// Pupils returns the pupils' and visitors' accounts.
func (n *Node) Pupils() *pupil.Service { return n.svc.pupils }

// Social returns the contacts, follows, messages and notifications.
func (n *Node) Social() *social.Service { return n.svc.social }

// Projects returns the node's projects.
func (n *Node) Projects() *project.Service { return n.svc.projects }

// Labels returns the quality labels.
func (n *Node) Labels() *label.Service { return n.svc.labels }

// TwinSpaces returns the TwinSpaces and their tools.
func (n *Node) TwinSpaces() *workspace.Tools { return n.svc.twinspaces }

// Forum returns the partner-finding forum.
func (n *Node) Forum() *forum.Service { return n.svc.forum }

// Feed returns the wall posts and feeds.
func (n *Node) Feed() *feed.Service { return n.svc.feed }

// Events returns the events.
func (n *Node) Events() *event.Service { return n.svc.ev.Events }

// EventForum returns the events' forums.
func (n *Node) EventForum() *eventforum.Service { return n.svc.ev.Forum }

// EventFiles returns the events' file archives.
func (n *Node) EventFiles() *eventfiles.Service { return n.svc.ev.Files }

// EventRoom returns the events' meeting room.
func (n *Node) EventRoom() *eventroom.Service { return n.svc.ev.Room }

// EventCertificates returns the events' certificates of participation.
func (n *Node) EventCertificates() *eventcert.Service { return n.svc.certs }

// Training returns professional development.
func (n *Node) Training() *training.Service { return n.svc.training }
