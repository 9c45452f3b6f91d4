package node

import (
	"context"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the project and TwinSpace features (node/project,
// node/twinspace): their services, built on the node's store and kits with
// adapters over what the node's Service still holds (accounts, contacts,
// the directory, the list of nodes, the labels), the TwinSpace's hooks on
// the project feature, and their routes on the web kit.

// Dependencies across packages: each interface is declared by the package
// that uses it.
var (
	_ project.Members    = projectAdapter{}
	_ project.Contacts   = projectAdapter{}
	_ project.Directory  = projectAdapter{}
	_ project.Nodes      = projectAdapter{}
	_ project.Labels     = projectAdapter{}
	_ twinspace.Projects = (*project.Service)(nil)
)

// assembleProjects builds the project and TwinSpace services on s and
// registers the TwinSpace's hooks (Node.Open then opens the project
// search's index, and Node.Close closes it).
func assembleProjects(s *Service, metrics *prometheus.Registry) error {
	a := projectAdapter{s}
	ps, err := project.New(project.Config{Country: s.cfg.Country, BaseURL: s.cfg.BaseURL, AgencyName: s.cfg.AgencyName},
		project.Deps{Store: s.store, Registry: s.registry, Acts: s.acts, Prover: s.proofs, Notices: s.notices,
			Members: a, Contacts: a, Directory: a, Nodes: a, Logger: s.log, Metrics: metrics, Now: s.now})
	if err != nil {
		return err
	}
	ts, err := twinspace.New(twinspace.Config{BaseURL: s.cfg.BaseURL},
		twinspace.Deps{Store: s.store, Acts: s.acts, Projects: ps, Logger: s.log, Now: s.now})
	if err != nil {
		return err
	}
	ts.Hooks(ps)
	s.projects, s.twinspaces = ps, ts
	return nil
}

// Projects returns the node's project feature.
func (n *Node) Projects() *project.Service { return n.svc.projects }

// TwinSpaces returns the node's TwinSpace feature.
func (n *Node) TwinSpaces() *twinspace.Service { return n.svc.twinspaces }

// projectRoutes registers the project pages and API.
func (s *Server) projectRoutes(k *web.Kit) error {
	return project.NewWeb(s.svc.projects, project.WebConfig{Signed: s.cfg.Signed, Federation: s.cfg.Federation, Labels: projectAdapter{s.svc}}).Routes(k)
}

// twinspaceRoutes registers the TwinSpace's page and API.
func (s *Server) twinspaceRoutes(k *web.Kit) error {
	return twinspace.NewWeb(s.svc.twinspaces).Routes(k)
}

// backfillProjects takes the public projects of the node at base, for the
// directory's backfill.
func (s *Service) backfillProjects(ctx context.Context, fetch Fetcher, base string) (int, error) {
	return s.projects.Backfill(ctx, project.Fetcher(fetch), base)
}

// projectAdapter is what the project feature asks of the features still
// in the node's Service.
type projectAdapter struct{ svc *Service }

// MemberIn asks the accounts.
func (a projectAdapter) MemberIn(txn *badger.Txn, username string) (*twinfed.Member, error) {
	return a.svc.accounts.MemberIn(txn, username)
}

// LocalTarget asks the social feature (its inbox's check of a local
// recipient).
func (a projectAdapter) LocalTarget(txn *badger.Txn, actor string) (string, error) {
	return a.svc.social.LocalTarget(txn, actor)
}

// AcceptedContact asks the social feature.
func (a projectAdapter) AcceptedContact(txn *badger.Txn, username, peer string) bool {
	c, err := a.svc.social.Contact(txn, username, peer)
	return err == nil && c.State == social.ContactAccepted
}

// AcceptedContacts asks the social feature (a member's contacts, in its
// order).
func (a projectAdapter) AcceptedContacts(txn *badger.Txn, username string) ([]*project.Contact, error) {
	var out []*project.Contact
	err := store.EachJSON(txn, store.PrefixContact+username+"/", func(c *social.Contact) error {
		if c.State == social.ContactAccepted {
			out = append(out, &project.Contact{Peer: c.Peer, State: string(c.State), Request: c.Request, Outgoing: c.Outgoing, Message: c.Message, Since: c.Since})
		}
		return nil
	})
	return out, err
}

// ProfileIn asks the directory.
func (a projectAdapter) ProfileIn(txn *badger.Txn, actor string) *twinfed.Profile {
	return a.svc.dir.Get(txn, actor)
}

// OtherNodes asks the directory (the nodes of the federation).
func (a projectAdapter) OtherNodes(ctx context.Context) []string { return a.svc.dir.OtherNodes(ctx) }

// PublicProjectLabels asks the labels (label sits above project in the
// import order: the card gets them through this interface).
func (a projectAdapter) PublicProjectLabels(ctx context.Context, id string) (any, error) {
	l, err := a.svc.labels.PublicProjectLabels(ctx, id)
	if err != nil {
		return nil, err
	}
	return l, nil
}
