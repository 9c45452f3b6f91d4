package node

import (
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the directory (node/directory) and the accounts
// (node/account): their services, their accessors and their routes. The
// other features register their hooks on them where they are assembled
// (the social feature gives the directory its view, SetSocial).

// HashParams are the argon2id parameters of new password hashes (the
// account's).
type HashParams = account.HashParams

// DefaultHashParams is the production setting (the account's).
var DefaultHashParams = account.DefaultHashParams

// Fetcher makes a signed GET to another node: what the federation offers
// for the directory's backfill.
type Fetcher = directory.Fetcher

var (
	_ directory.Members = (*account.Service)(nil)
	_ directory.Social  = social.DirectoryView{}
	_ web.Authenticator = (*account.Service)(nil)
)

// Accounts returns the members' accounts.
func (n *Node) Accounts() *account.Service { return n.svc.accounts }

// Directory returns the federated directory.
func (n *Node) Directory() *directory.Service { return n.svc.dir }

// assembleAccount builds the directory and the accounts on the service's
// store and kits.
func (s *Service) assembleAccount(d Deps) error {
	var err error
	if s.dir, err = directory.New(directory.Config{BaseURL: s.cfg.BaseURL}, directory.Deps{Store: s.store, Registry: s.registry,
		Logger: s.log, Metrics: d.Metrics, Now: s.now}); err != nil {
		return err
	}
	c := s.cfg
	if s.accounts, err = account.New(account.Config{Country: c.Country, BaseURL: c.BaseURL, Hash: c.Hash, SessionLifetime: c.SessionLifetime,
		ConfirmLinkTTL: c.ConfirmLinkTTL, ResetLinkTTL: c.ResetLinkTTL, LoginAttempts: c.LoginAttempts, LoginWindow: c.LoginWindow,
		HashConcurrency: c.HashConcurrency, HashQueue: c.HashQueue, HashWait: c.HashWait, MailsPerAddress: c.MailsPerAddress,
		Subjects: twinfed.Subjects, Languages: twinfed.Languages},
		account.Deps{Store: s.store, Mailer: s.mailer, Catalog: s.cat, Directory: s.dir, Activities: s.acts, Notices: s.notices, Logger: s.log, Metrics: d.Metrics, Now: s.now}); err != nil {
		return err
	}
	s.dir.SetMembers(s.accounts)
	return nil
}

// accountWeb builds the directory's and the accounts' pages, with their
// routes to register on the kit.
func (s *Server) accountWeb() ([]func(*web.Kit) error, error) {
	dw, err := directory.NewWeb(s.svc.dir, directory.WebConfig{Federation: s.cfg.Federation, Signed: s.cfg.Signed,
		PageCacheBytes: s.cfg.PageCacheBytes, Metrics: s.cfg.Metrics})
	if err != nil {
		return nil, err
	}
	aw := account.NewWeb(s.svc.accounts, s.svc.reg)
	return []func(*web.Kit) error{dw.Routes, aw.Routes}, nil
}
