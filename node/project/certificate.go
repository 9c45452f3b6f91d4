package project

import (
	"context"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/project/certificate"
	"github.com/twinfed/twinfed/node/web"
)

// Certificate writes the project start certificate of one partner of an
// approved project as PDF, in the holder's language: the language the
// partner chose, when they are a member of this node and cat offers it;
// else lang (the page's, for a partner of another node). The partners of
// the project and the partner's agency may download it.
func (s *Service) Certificate(ctx context.Context, p *twinfed.Principal, id, partner, lang string, cat *web.Catalog, w io.Writer) error {
	if p == nil {
		return twinfed.Errorf(twinfed.EUNAUTHORIZED, "Log in first.")
	}
	var proj *twinfed.Project
	if err := s.store.View(func(txn *badger.Txn) (err error) { proj, err = getProject(txn, id); return err }); err != nil {
		return err
	}
	if !proj.Public() {
		return twinfed.Errorf(twinfed.ECONFLICT, "The certificate is issued once the project is approved.")
	}
	pt := proj.Partner(partner)
	if pt == nil || pt.Status != twinfed.PartnerApproved {
		return twinfed.Errorf(twinfed.ENOTFOUND, "This member is not an approved partner of the project.")
	}
	if !slices.Contains(proj.Permissions(s.projectViewer(p)).Certificates, pt.Actor) {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "Only the project's partners and their agencies can download its certificates.")
	}
	_ = s.store.View(func(txn *badger.Txn) error {
		if username, err := s.contacts.LocalTarget(txn, pt.Actor); err == nil {
			if m, err := s.members.MemberIn(txn, username); err == nil && cat.Offered(m.Locale) {
				lang = m.Locale
			}
		}
		return nil
	})
	return certificate.Write(w, certificate.Certificate{Lang: lang, Catalog: cat, Project: proj, Partner: pt, Issued: s.now().UTC(), Issuer: s.cfg.AgencyName,
		URL: strings.TrimRight(s.cfg.BaseURL, "/") + "/projects/view?id=" + url.QueryEscape(proj.ID)})
}
