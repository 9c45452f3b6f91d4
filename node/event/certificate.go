package event

import (
	"context"
	"io"
	"slices"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/project/certificate"
)

// Certificate writes p's certificate of participation in a certifying
// event of this node, as PDF in their language: only for those the
// organiser recorded as attending, once the event is over.
func (s *Service) Certificate(ctx context.Context, p *twinfed.Principal, id string, w io.Writer) error {
	var (
		e *twinfed.Event
		m *twinfed.Member
	)
	err := s.store.View(func(txn *badger.Txn) error {
		var err error
		if m, err = s.member(txn, p); err != nil {
			return err
		}
		if e, err = getEvent(txn, id); err != nil {
			return err
		}
		b, err := getBookings(txn, e.ID)
		if err != nil {
			return err
		}
		if !e.Certifying || !slices.Contains(b.Attended, twinfed.ActorURL(s.cfg.BaseURL, m.Username)) || s.now().Before(e.End()) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "A certificate of participation is given, after a certifying event, to those the organiser recorded as present.")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.cat == nil {
		return twinfed.Errorf(twinfed.EUNAVAILABLE, "Certificates cannot be made on this node right now.")
	}
	return certificate.WriteParticipation(w, certificate.Participation{Lang: s.cat.MailLang(m.Locale), Catalog: s.cat, Holder: m.Name(), Event: e.Title,
		Start: e.Start.In(s.cet), Minutes: e.Minutes, Organiser: e.OrgName, Issued: s.now(), Issuer: s.cfg.AgencyName, URL: s.cfg.BaseURL + s.Path(e.ID)})
}

// HasCertificate reports whether p may download a certificate for v.
func (s *Service) HasCertificate(p *twinfed.Principal, v *View) bool {
	if p == nil || !v.Event.Certifying || !s.isLocal(v.Event.ID) || s.now().Before(v.Event.End()) {
		return false
	}
	ok := false
	_ = s.store.View(func(txn *badger.Txn) error {
		b, err := getBookings(txn, v.Event.ID)
		ok = err == nil && slices.Contains(b.Attended, twinfed.ActorURL(s.cfg.BaseURL, p.Username))
		return nil
	})
	return ok
}
