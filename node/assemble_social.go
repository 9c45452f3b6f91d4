package node

import (
	"context"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/web"
)

// The social feature's assembly (node/social): its service, built with the
// node's store, Activities and Notices, the adapters that give it what it
// asks of the accounts, the directory and the registry, its routes, its
// inbound handlers (the rows of inbox.go point at them through toSocial),
// and what node's remaining code still asks of it.

// assembleSocial builds the social feature on s (NewService calls it).
func (s *Service) assembleSocial() (*social.Service, error) {
	return social.New(social.Config{BaseURL: s.cfg.BaseURL}, social.Deps{Store: s.store, Activities: s.acts, Notices: s.notices,
		Nodes: s.registry, Members: socialMembers{s}, Directory: socialDirectory{s}, Logger: s.log, Now: s.now})
}

// Social returns the node's social feature: contacts, follows, messages,
// notifications.
func (n *Node) Social() *social.Service { return n.svc.social }

// socialRoutes registers the social feature's pages and JSON API.
func (s *Server) socialRoutes(k *web.Kit) error { return s.svc.social.Routes(k) }

// toSocial makes an inbound handler of the inbox's table from one of the
// social feature's.
func toSocial(f func(*social.Service, *badger.Txn, *twinfed.Activity) error) inboxHandler {
	return func(s *Service, _ context.Context, txn *badger.Txn, a *twinfed.Activity) error {
		return f(s.social, txn, a)
	}
}

var (
	_ social.Members   = socialMembers{}
	_ social.Directory = socialDirectory{}
	_ social.Nodes     = twinfed.Registry(nil)
)

// socialMembers is what social asks of the accounts.
type socialMembers struct{ svc *Service }

// Public returns a local member's public profile, nil when none is shown.
// adapter: account until it moves
func (a socialMembers) Public(txn *badger.Txn, username string) *twinfed.Profile {
	m, err := getMember(txn, username)
	if err != nil {
		return nil
	}
	return a.svc.publicOf(m)
}

// socialDirectory is what social asks of the directory.
type socialDirectory struct{ svc *Service }

// Lookup returns the profile the directory holds for an actor URL.
// adapter: directory until it moves
func (a socialDirectory) Lookup(txn *badger.Txn, actor string) *twinfed.Profile {
	return a.svc.dirGet(txn, actor)
}

// socialHooks are social's reactions to what node's remaining code does:
// EraseSocial when an account is deleted (profile.go's DeleteAccount),
// ForgetPeer when a member is deleted, here or on another node
// (DeleteAccount, incoming.go's applyActorDelete). When the account
// feature moves, the assembly registers them with its OnDelete (and the
// directory's actor deletion) and the two adapters below go.
type socialHooks interface {
	EraseSocial(txn *badger.Txn, username string) error
	ForgetPeer(txn *badger.Txn, peer string) error
}

var _ socialHooks = (*social.Service)(nil)

// hooks returns social's hooks.
func (s *Service) hooks() socialHooks { return s.social }

// eraseSocial deletes a member's social records.
// adapter: account until it moves
func (s *Service) eraseSocial(txn *badger.Txn, username string) error {
	return s.hooks().EraseSocial(txn, username)
}

// forgetPeer removes what local members hold about a deleted member.
// adapter: account until it moves
func (s *Service) forgetPeer(txn *badger.Txn, peer string) error {
	return s.hooks().ForgetPeer(txn, peer)
}

// lastSegment is the last path segment of a URL: what project_web.go's
// certificate file names use (it was social's).
// adapter: project until it moves
func lastSegment(u string) string { return u[strings.LastIndexByte(u, '/')+1:] }
