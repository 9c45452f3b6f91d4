package node

import (
	"context"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/agency"
	"github.com/twinfed/twinfed/node/registration"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the registration (node/registration) and the agency's
// back office (node/agency): their services, built by NewService on the
// node's store and kits; the adapters through which they ask the accounts,
// still the node's Service; their accessors and routes.

// assembleRegistration builds the registration's and the agency's
// services.
func (s *Service) assembleRegistration() error {
	var err error
	if s.reg, err = registration.New(registration.Config{Country: s.cfg.Country, Policy: s.cfg.Policy}, registration.Deps{
		Store: s.store, Registry: s.registry, Members: regAccounts{s}, Registrations: s.registrations, Logger: s.log, Now: s.now}); err != nil {
		return err
	}
	s.agency, err = agency.New(agency.Config{Country: s.cfg.Country, BaseURL: s.cfg.BaseURL}, agency.Deps{
		Store: s.store, Registry: s.registry, Mailer: s.mailer, Accounts: regAccounts{s}, Proposals: s.reg,
		Validations: s.validations, Logger: s.log, Now: s.now})
	return err
}

// Registration returns the registration's service: the four steps and the
// choice (or proposal) of a school.
func (n *Node) Registration() *registration.Service { return n.svc.reg }

// Agency returns the agency's back office: the validation queues, staff,
// statistics, the members' export and import.
func (n *Node) Agency() *agency.Service { return n.svc.agency }

// registrationRoutes registers the registration's pages and JSON API.
func (s *Server) registrationRoutes(k *web.Kit) error {
	return registration.NewWeb(s.svc.reg, regAccounts{s.svc}).Routes(k)
}

// agencyRoutes registers the back office and the agency's JSON API.
func (s *Server) agencyRoutes(k *web.Kit) error { return agency.NewWeb(s.svc.agency, s.log).Routes(k) }

var (
	_ registration.Members  = regAccounts{}
	_ registration.Accounts = regAccounts{}
	_ agency.Accounts       = regAccounts{}
	_ agency.Proposals      = (*registration.Service)(nil)
)

// regAccounts is what the registration and the agency ask of the accounts.
type regAccounts struct{ s *Service }

// adapter: account until it moves
func (a regAccounts) MemberIn(txn *badger.Txn, username string) (*twinfed.Member, error) {
	return getMember(txn, username)
}

// adapter: account until it moves. The outbox and the directory's indexer
// are woken once txn has committed (what Service.update does).
func (a regAccounts) SaveMember(ctx context.Context, txn *badger.Txn, old, m *twinfed.Member) error {
	if err := a.s.saveMember(ctx, txn, old, m); err != nil {
		return err
	}
	a.s.store.AfterCommit(txn, a.s.kick)
	return nil
}

// adapter: account until it moves
func (a regAccounts) Member(ctx context.Context, username string) (*twinfed.Member, error) {
	return a.s.Member(ctx, username)
}

// adapter: account until it moves
func (a regAccounts) PreRegister(ctx context.Context, r registration.PreRegistration) (*twinfed.Member, error) {
	return a.s.accounts.PreRegister(ctx, account.PreRegistration(r))
}

// adapter: account until it moves
func (a regAccounts) ConfirmEmail(ctx context.Context, token string) (*twinfed.Member, *registration.Session, error) {
	m, tok, sess, err := a.s.accounts.ConfirmEmail(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	return m, &registration.Session{Token: tok, CSRF: sess.CSRF, Expires: sess.Expires}, nil
}

// adapter: account until it moves
func (a regAccounts) ResendConfirmation(ctx context.Context, email string) error {
	return a.s.accounts.ResendConfirmation(ctx, email)
}

// adapter: account until it moves
func (a regAccounts) MembersByStatus(txn *badger.Txn, status twinfed.MemberStatus, offset, limit int) ([]*twinfed.Member, int, error) {
	names := store.KeysUnder(txn, store.PrefixStatus+string(status)+"/", 0)
	var out []*twinfed.Member
	for i := offset; i < len(names) && len(out) < limit; i++ {
		m, err := getMember(txn, names[i])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, len(names), nil
}

// adapter: account until it moves
func (a regAccounts) CountStatus(txn *badger.Txn, status twinfed.MemberStatus) int {
	return store.CountPrefix(txn, store.PrefixStatus+string(status)+"/")
}

// adapter: account until it moves
func (a regAccounts) EachMember(txn *badger.Txn, fn func(*twinfed.Member) error) error {
	return store.EachJSON(txn, store.PrefixMember, fn)
}

// adapter: account until it moves
func (a regAccounts) CreateStaff(ctx context.Context, p *twinfed.Principal, username, email, firstName, lastName, password string, role twinfed.Role) (*twinfed.Member, error) {
	return a.s.accounts.CreateStaff(ctx, p, username, email, firstName, lastName, password, role)
}

// The names node's remaining code (the account's profile and forms, the
// social feature, the labels, the projects) still uses of what moved.

// Preferences is twinfed.Preferences (adapter: account until it moves).
type Preferences = twinfed.Preferences

// SchoolChoice is twinfed.SchoolChoice (adapter: account until it moves).
type SchoolChoice = twinfed.SchoolChoice

// SchoolProposal is twinfed.SchoolProposal (adapter: account until it moves).
type SchoolProposal = twinfed.SchoolProposal

// adapter: account until it moves (AddSchool)
func (s *Service) resolveSchool(ctx context.Context, username string, c SchoolChoice) (twinfed.MemberSchool, *SchoolProposal, error) {
	return s.reg.ResolveSchool(ctx, username, c)
}

// adapter: account until it moves (UpdateProfile)
func (s *Service) checkPreferences(pr *Preferences) error { return s.reg.CheckPreferences(pr) }

// adapter: account until it moves (UpdateProfile)
func applyPreferences(m *twinfed.Member, pr Preferences) { pr.ApplyTo(m) }

// requireAgency is agency.Require (adapter: labels, projects and the
// federation's operator API until they move).
func requireAgency(p *twinfed.Principal) error { return agency.Require(p) }

// registryErr logs an unexpected registry error and shows it as the
// registry being unavailable (adapter: social until it moves).
func (s *Service) registryErr(op string, err error) error {
	switch twinfed.ErrorCode(err) {
	case twinfed.EINTERNAL:
		s.log.Error("registry "+op, "err", err)
		return twinfed.Errorf(twinfed.EUNAVAILABLE, "The school registry is not reachable right now; try again in a few minutes.")
	default:
		return err
	}
}

// ImportMembers is the account's.
func (a regAccounts) ImportMembers(ctx context.Context, members []*twinfed.Member) error {
	return a.s.accounts.ImportMembers(ctx, members)
}
