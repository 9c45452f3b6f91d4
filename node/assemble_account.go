package node

import (
	"context"
	"net/http"
	"net/url"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the directory (node/directory) and the accounts
// (node/account): their services, the adapters that give them what they
// ask of features still in node, the hooks other features register on
// them, and what node's remaining code asks of them.

// HashParams are the argon2id parameters of new password hashes (the
// account's).
type HashParams = account.HashParams

// DefaultHashParams is the production setting (the account's).
var DefaultHashParams = account.DefaultHashParams

// Fetcher makes a signed GET to another node: what the federation offers
// for the directory's backfill.
type Fetcher = directory.Fetcher

var (
	_ directory.Members    = (*account.Service)(nil)
	_ directory.Social     = socialOfDirectory{}
	_ account.Proposals    = proposalsOfAccount{}
	_ account.Registration = registrationOfAccount{}
	_ web.Authenticator    = (*account.Service)(nil)
)

// Accounts returns the members' accounts.
func (n *Node) Accounts() *account.Service { return n.svc.accounts }

// Directory returns the federated directory.
func (n *Node) Directory() *directory.Service { return n.svc.dir }

// assembleAccount builds the directory and the accounts on the service's
// store and kits, and registers the other features' hooks on them.
func (s *Service) assembleAccount(d Deps) error {
	var err error
	if s.dir, err = directory.New(directory.Config{BaseURL: s.cfg.BaseURL}, directory.Deps{Store: s.store, Registry: s.registry,
		Social: socialOfDirectory{s}, Logger: s.log, Metrics: d.Metrics, Now: s.now}); err != nil {
		return err
	}
	c := s.cfg
	if s.accounts, err = account.New(account.Config{Country: c.Country, BaseURL: c.BaseURL, Hash: c.Hash, SessionLifetime: c.SessionLifetime,
		ConfirmLinkTTL: c.ConfirmLinkTTL, ResetLinkTTL: c.ResetLinkTTL, LoginAttempts: c.LoginAttempts, LoginWindow: c.LoginWindow,
		Subjects: twinfed.Subjects, Languages: twinfed.Languages},
		account.Deps{Store: s.store, Mailer: s.mailer, Directory: s.dir, Activities: s.acts, Proposals: proposalsOfAccount{},
			Logger: s.log, Metrics: d.Metrics, Now: s.now}); err != nil {
		return err
	}
	s.dir.SetMembers(s.accounts)
	s.dir.OnBackfill(func(ctx context.Context, fetch directory.Fetcher, base string) error {
		_, err := s.backfillProjects(ctx, fetch, base)
		return err
	})
	s.dir.OnActorDeleted(s.forgetPeer)
	s.accounts.OnDelete(unlinkProposals)
	s.accounts.OnDelete(func(txn *badger.Txn, username string) error {
		if err := s.eraseSocial(txn, username); err != nil {
			return err
		}
		return s.forgetPeer(txn, twinfed.ActorURL(s.cfg.BaseURL, username))
	})
	return nil
}

// openDirectory starts the directory's index.
func (s *Service) openDirectory(legacyDir string) error { return s.dir.Open(legacyDir) }

// closeDirectory stops the directory's index.
func (s *Service) closeDirectory() error { return s.dir.Close() }

// accountWeb builds the directory's and the accounts' pages, with their
// routes to register on the kit.
func (s *Server) accountWeb() ([]func(*web.Kit) error, error) {
	dw, err := directory.NewWeb(s.svc.dir, directory.WebConfig{Federation: s.cfg.Federation, Signed: s.cfg.Signed,
		PageCacheBytes: s.cfg.PageCacheBytes, Metrics: s.cfg.Metrics})
	if err != nil {
		return nil, err
	}
	aw := account.NewWeb(s.svc.accounts, registrationOfAccount{})
	return []func(*web.Kit) error{dw.Routes, aw.Routes}, nil
}

// inDirectory is an inbound route to a handler of the directory.
func inDirectory(f func(*directory.Service, *badger.Txn, *twinfed.Activity) error) inboxHandler {
	return func(s *Service, _ context.Context, txn *badger.Txn, a *twinfed.Activity) error {
		return f(s.dir, txn, a)
	}
}

// socialOfDirectory is what the directory asks of the social feature.
type socialOfDirectory struct{ s *Service }

// RelationTo asks the social feature.
func (a socialOfDirectory) RelationTo(ctx context.Context, p *twinfed.Principal, peer string) any {
	if r := a.s.social.RelationTo(ctx, p, peer); r != nil {
		return r
	}
	return nil
}

// ContactPeers asks the social feature.
func (a socialOfDirectory) ContactPeers(ctx context.Context, p *twinfed.Principal) ([]string, error) {
	if err := social.Require(p); err != nil {
		return nil, err
	}
	var peers []string
	err := a.s.store.View(func(txn *badger.Txn) (err error) {
		peers, err = a.s.social.ContactPeers(txn, p.Username)
		return err
	})
	return peers, err
}

// proposalsOfAccount is what the accounts ask of the registration.
type proposalsOfAccount struct{}

// ProposedBy adapter: registration until it moves.
func (proposalsOfAccount) ProposedBy(txn *badger.Txn, username string) (any, error) {
	var out []*SchoolProposal
	err := store.EachJSON(txn, store.PrefixProposal, func(sp *SchoolProposal) error {
		if sp.ProposedBy == username {
			out = append(out, sp)
		}
		return nil
	})
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return out, nil
}

// unlinkProposals adapter: registration until it moves. Proposals still
// pending carry the proposer's name only; a deleted member's are unlinked.
func unlinkProposals(txn *badger.Txn, username string) error {
	var props []*SchoolProposal
	if err := store.EachJSON(txn, store.PrefixProposal, func(sp *SchoolProposal) error {
		if sp.ProposedBy == username {
			props = append(props, sp)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, sp := range props {
		sp.ProposedBy = ""
		if err := store.SetJSON(txn, store.PrefixProposal+sp.ID, sp); err != nil {
			return err
		}
	}
	return nil
}

// registrationOfAccount is what the account's pages ask of the
// registration.
type registrationOfAccount struct{}

// RegistrationStep is the root rule, twinfed.RegistrationStep.
func (registrationOfAccount) RegistrationStep(m *twinfed.Member) int {
	return twinfed.RegistrationStep(m)
}

// What node's remaining features ask of the accounts and the directory,
// until they move and ask through their own interfaces.

func getMember(txn *badger.Txn, username string) (*twinfed.Member, error) {
	return account.LoadMember(txn, username)
}

func ptrCopy(m *twinfed.Member) *twinfed.Member { c := *m; return &c }

// Member returns a member's whole record (the account's Member).
func (s *Service) Member(ctx context.Context, username string) (*twinfed.Member, error) {
	return s.accounts.Member(ctx, username)
}

func (s *Service) saveMember(ctx context.Context, txn *badger.Txn, old, m *twinfed.Member) error {
	return s.accounts.SaveMember(ctx, txn, old, m)
}

func (s *Service) publicOf(m *twinfed.Member) *twinfed.Profile { return s.accounts.PublicOf(m) }

func (s *Service) otherNodes(ctx context.Context) []string { return s.dir.OtherNodes(ctx) }

func (s *Service) dirGet(txn *badger.Txn, id string) *twinfed.Profile { return s.dir.Get(txn, id) }

func (s *Service) sendMail(ctx context.Context, m mail.Message) {
	if err := s.mailer.Send(ctx, m); err != nil {
		s.log.Error("send mail", "to", m.To, "subject", m.Subject, "err", err)
	}
}

func prefsFromForm(f url.Values, withPublic bool) (Preferences, error) {
	return account.PrefsFromForm(f, withPublic)
}

// sessionBody answers a confirmation: the session cookie is set, and the
// CSRF token is returned for the X-CSRF-Token header (the account's).
type sessionBody struct {
	Member    *twinfed.Member `json:"member"`
	CSRFToken string          `json:"csrf_token"`
	Next      string          `json:"next,omitempty"`
}

func (s *Server) apiMember(w http.ResponseWriter, m *twinfed.Member, err error) {
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"member": m, "registration_step": twinfed.RegistrationStep(m)})
}
