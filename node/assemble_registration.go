package node

import (
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/agency"
	"github.com/twinfed/twinfed/node/registration"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the registration (node/registration) and the agency's
// back office (node/agency): their services, built by NewService on the
// node's store and kits and on the accounts, the registration's hooks on
// the accounts, their accessors and routes.

var (
	_ registration.Members  = (*account.Service)(nil)
	_ registration.Accounts = (*account.Service)(nil)
	_ agency.Accounts       = (*account.Service)(nil)
	_ agency.Proposals      = (*registration.Service)(nil)
	_ account.Proposals     = (*registration.Service)(nil)
	_ account.Registration  = (*registration.Service)(nil)
)

// assembleRegistration builds the registration's and the agency's
// services, and gives the accounts the registration's proposals: for the
// export, and unlinked from a deleted member.
func (s *Service) assembleRegistration() error {
	var err error
	if s.reg, err = registration.New(registration.Config{Country: s.cfg.Country, Policy: s.cfg.Policy}, registration.Deps{
		Store: s.store, Registry: s.registry, Members: s.accounts, Registrations: s.registrations, Logger: s.log, Now: s.now}); err != nil {
		return err
	}
	s.accounts.SetProposals(s.reg)
	s.accounts.OnDelete(s.reg.UnlinkProposals)
	s.agency, err = agency.New(agency.Config{Country: s.cfg.Country, BaseURL: s.cfg.BaseURL}, agency.Deps{
		Store: s.store, Registry: s.registry, Mailer: s.mailer, Catalog: s.cat, Accounts: s.accounts, Proposals: s.reg,
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
	return registration.NewWeb(s.svc.reg, s.svc.accounts).Routes(k)
}

// agencyRoutes registers the back office and the agency's JSON API.
func (s *Server) agencyRoutes(k *web.Kit) error { return agency.NewWeb(s.svc.agency, s.log).Routes(k) }
