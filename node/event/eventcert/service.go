package eventcert

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/project/certificate"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// ForPath follows an event's id on its home node: the signed GET of a
// certificate for a member of another node (ForPath?actor=…&lang=…).
const ForPath = "/certificate/for"

// Deps are what the certificates are built on.
type Deps struct {
	Events  *event.Service
	Store   *store.Store
	Members event.Members
	Catalog *web.Catalog // the certificates' texts; nil: none are made
	// Fetch makes signed GETs of other nodes' certificates (the kit's
	// FetchFile); nil: a member of this node gets none for another
	// node's event.
	Fetch func(ctx context.Context, rawURL string) (io.ReadCloser, int64, error)
	// Presence says whether a member of this node was recorded as present
	// at another node's event, as its home node says
	// (eventplaces.Service.Attended); nil: the link is offered to every
	// confirmed participant once the event has ended.
	Presence Presence
	BaseURL  string // this node's
	Issuer   string // the agency, named on the certificates
	Logger   *slog.Logger
	Now      func() time.Time // nil: time.Now
}

// Presence is what the certificates ask of the home node's record of who
// attended another node's event.
type Presence interface {
	// Attended reports whether actor was recorded as present at e;
	// known is false when the home node cannot say now.
	Attended(ctx context.Context, e *twinfed.Event, actor string) (attended, known bool)
}

// Service gives the certificates of participation in events. It is safe
// for concurrent use.
type Service struct {
	d Deps
}

// New builds the certificates.
func New(d Deps) (*Service, error) {
	if d.Events == nil || d.Store == nil || d.Members == nil {
		return nil, errors.New("eventcert: New needs the Events, a Store and the Members")
	}
	d.BaseURL = strings.TrimRight(d.BaseURL, "/")
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{d: d}, nil
}

// refused is the answer to anyone without a certificate (the message of
// twinfed.CanHaveEventCertificate).
func refused() error {
	return twinfed.Errorf(twinfed.EFORBIDDEN, "A certificate of participation is given, after a certifying event, to those the organiser recorded as present.")
}

// known returns, within txn, the actors this node knows may have a
// certificate of e: on its home node, those recorded as present; on a
// member's node, the member (actor) if their booking was confirmed, the
// home node deciding on their attendance.
func (s *Service) known(txn *badger.Txn, e *twinfed.Event, actor string) ([]string, error) {
	if !s.d.Events.IsHome(e.ID) {
		if s.d.Events.Confirmed(txn, e, actor) {
			return []string{actor}, nil
		}
		return nil, nil
	}
	bs, err := s.d.Events.Attended(txn, e)
	var out []string
	for _, b := range bs {
		out = append(out, b.Actor)
	}
	return out, err
}

// HasCertificate reports whether the page of e offers p a certificate:
// on e's home node, when they were recorded as present; on their own
// node for another node's event, when their booking was confirmed and
// the home node does not say they were absent (Presence; when it cannot
// say, the link is offered and the home node decides on the click).
func (s *Service) HasCertificate(ctx context.Context, p *twinfed.Principal, e *twinfed.Event) bool {
	if p == nil || p.Role != twinfed.RoleMember || p.Username == "" {
		return false
	}
	actor := twinfed.ActorURL(s.d.BaseURL, p.Username)
	ok := false
	_ = s.d.Store.View(func(txn *badger.Txn) error {
		known, err := s.known(txn, e, actor)
		ok = err == nil && twinfed.CanHaveEventCertificate(e, actor, known, s.d.Now()) == nil
		return nil
	})
	if ok && s.d.Presence != nil && !s.d.Events.IsHome(e.ID) {
		if attended, said := s.d.Presence.Attended(ctx, e, actor); said && !attended {
			return false
		}
	}
	return ok
}

// Open returns p's certificate of participation in event id, a PDF: made
// here for an event of this node, asked of its home node for another's.
// EFORBIDDEN for anyone without one (twinfed.CanHaveEventCertificate),
// ENOTFOUND for no such event, EUNAVAILABLE when the home node does not
// answer.
func (s *Service) Open(ctx context.Context, p *twinfed.Principal, id string) (io.ReadCloser, error) {
	var (
		e     *twinfed.Event
		m     *twinfed.Member
		known []string
	)
	err := s.d.Store.View(func(txn *badger.Txn) error {
		if p == nil || p.Role != twinfed.RoleMember || p.Username == "" {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "Events are open to the members of the programme.")
		}
		var err error
		if m, err = s.d.Members.MemberIn(txn, p.Username); err != nil {
			return err
		}
		if e, err = s.d.Events.Event(txn, id); err != nil {
			return err
		}
		known, err = s.known(txn, e, twinfed.ActorURL(s.d.BaseURL, m.Username))
		return err
	})
	if err != nil {
		return nil, err
	}
	actor := twinfed.ActorURL(s.d.BaseURL, m.Username)
	if err := twinfed.CanHaveEventCertificate(e, actor, known, s.d.Now()); err != nil {
		return nil, err
	}
	if !s.d.Events.IsHome(e.ID) {
		return s.fetch(ctx, e, actor, m.Locale)
	}
	var buf bytes.Buffer
	if err := s.write(&buf, e, m.Name(), m.Locale); err != nil {
		return nil, err
	}
	return io.NopCloser(&buf), nil
}

// Certificate writes p's certificate of participation in event id to w
// (Open).
func (s *Service) Certificate(ctx context.Context, p *twinfed.Principal, id string, w io.Writer) error {
	r, err := s.Open(ctx, p, id)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(w, r)
	return err
}

// fetch asks the home node of e for the certificate of actor, a member
// of this node, in lang: its refusal is the rule's message, its silence
// EUNAVAILABLE.
func (s *Service) fetch(ctx context.Context, e *twinfed.Event, actor, lang string) (io.ReadCloser, error) {
	unavailable := twinfed.Errorf(twinfed.EUNAVAILABLE, "The event's node cannot send the certificate now; try again later.")
	if s.d.Fetch == nil {
		return nil, unavailable
	}
	if lang == "" && s.d.Catalog != nil {
		lang = s.d.Catalog.MailLang("")
	}
	body, size, err := s.d.Fetch(ctx, e.ID+ForPath+"?"+url.Values{"actor": {actor}, "lang": {lang}}.Encode())
	switch {
	case twinfed.ErrorCode(err) == twinfed.EFORBIDDEN:
		return nil, refused()
	case err != nil:
		s.d.Logger.Info("eventcert: fetch a certificate", "event", e.ID, "actor", actor, "err", err)
		return nil, unavailable
	}
	// A certificate is a page of text: a home node that answers more than
	// MaxPDF is not passed on (read whole first, so that a member never
	// gets a cut file).
	defer body.Close()
	pdf, err := io.ReadAll(io.LimitReader(body, MaxPDF+1))
	if err != nil || size > MaxPDF || len(pdf) > MaxPDF || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		s.d.Logger.Warn("eventcert: the home node's certificate is refused", "event", e.ID, "size", max(size, int64(len(pdf))), "err", err)
		return nil, unavailable
	}
	return io.NopCloser(bytes.NewReader(pdf)), nil
}

// MaxPDF is the largest certificate a member's node takes from an
// event's home node (one page with its fonts is about 100 KB).
const MaxPDF = 4 << 20

// For writes, on the event's home node, the certificate of actor, a
// member of the node at host (the signer of the request), in lang (the
// node's default when it does not offer it), with the name their booking
// carries. ENOTFOUND for no event of this node; EFORBIDDEN for an actor
// of another host or without a certificate.
func (s *Service) For(ctx context.Context, host, id, actor, lang string, w io.Writer) error {
	var (
		e        *twinfed.Event
		attended []event.Booking
	)
	err := s.d.Store.View(func(txn *badger.Txn) error {
		var err error
		if e, err = s.d.Events.Event(txn, id); err == nil && !s.d.Events.IsHome(e.ID) {
			err = twinfed.Errorf(twinfed.ENOTFOUND, "There is no such event.")
		}
		if err != nil {
			return err
		}
		attended, err = s.d.Events.Attended(txn, e)
		return err
	})
	if err != nil {
		return err
	}
	if host == "" || twinfed.URLHost(actor) != host {
		return refused()
	}
	var known []string
	name := ""
	for _, b := range attended {
		known = append(known, b.Actor)
		if b.Actor == actor {
			name = b.Name
		}
	}
	if err := twinfed.CanHaveEventCertificate(e, actor, known, s.d.Now()); err != nil {
		return err
	}
	return s.write(w, e, name, lang)
}

// write writes the certificate of holder for e in lang (the catalogue's
// choice, as for a mail).
func (s *Service) write(w io.Writer, e *twinfed.Event, holder, lang string) error {
	if s.d.Catalog == nil {
		return twinfed.Errorf(twinfed.EUNAVAILABLE, "Certificates cannot be made on this node right now.")
	}
	return certificate.WriteParticipation(w, certificate.Participation{Lang: s.d.Catalog.MailLang(lang), Catalog: s.d.Catalog, Holder: holder,
		Event: e.Title, Start: e.Start.In(s.d.Events.CET()), Minutes: e.Minutes, Organiser: e.OrgName, Issued: s.d.Now(), Issuer: s.d.Issuer,
		URL: s.d.BaseURL + s.d.Events.Path(e.ID)})
}
