package training

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/project/certificate"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// Config is what the training feature needs to know about its node.
type Config struct {
	BaseURL    string // public base URL: training ids live under it
	Country    string // the node's country: its agency's
	AgencyName string // the publisher's and the certificates' issuer's name
}

// Members is what the training feature asks of the accounts.
type Members interface {
	// MemberIn returns a member of this node within txn; ENOTFOUND when
	// there is none.
	MemberIn(txn *badger.Txn, username string) (*twinfed.Member, error)
}

// Deps are the training feature's collaborators.
type Deps struct {
	Store    *store.Store
	Members  Members
	Notices  *notice.Notices    // the members are told of decisions; nil: not told
	Acts     *outbox.Activities // this node's activities; nil: the node runs alone
	Registry twinfed.Registry   // the other nodes; nil: none
	Catalog  *web.Catalog       // the certificates' texts; nil: no certificates
	Logger   *slog.Logger
	Now      func() time.Time // nil: time.Now
}

// Service implements professional development on the node. It is safe for
// concurrent use.
type Service struct {
	cfg      Config
	store    *store.Store
	members  Members
	notices  *notice.Notices
	acts     *outbox.Activities
	registry twinfed.Registry
	cat      *web.Catalog
	log      *slog.Logger
	now      func() time.Time
	cet      *time.Location
}

// New builds the training feature.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil || d.Members == nil {
		return nil, errors.New("training: New needs a Store and the Members")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	cet, err := time.LoadLocation(twinfed.ProgrammeZone)
	if err != nil {
		return nil, err
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Service{cfg: cfg, store: d.Store, members: d.Members, notices: d.Notices, acts: d.Acts, registry: d.Registry,
		cat: d.Catalog, log: d.Logger, now: d.Now, cet: cet}, nil
}

// Application is a member's application to a training, kept on the
// member's node only.
type Application struct {
	Training string                   `json:"training"`
	Username string                   `json:"username"`
	Name     string                   `json:"name"`
	State    twinfed.ApplicationState `json:"state"`
	Reason   string                   `json:"reason,omitempty"` // a refusal's
	At       time.Time                `json:"at"`               // applied
	Decided  time.Time                `json:"decided,omitempty"`
}

// Input is a training offer as the back office's form gives it: dates as
// yyyy-mm-dd. A day is kept as its midnight UTC, which every zone of the
// programme's countries (UTC to UTC+3) shows as that same day.
type Input struct {
	Kind        twinfed.TrainingKind
	Title       string
	Description string
	Language    string
	Place       string
	Start, End  string
	Deadline    string // the last day to apply
	Places      int
	Audience    twinfed.TrainingAudience
}

// day reads a date as its midnight UTC; the zero time when it is
// missing or malformed (ValidateTraining then says so).
func (s *Service) day(v string) time.Time {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(v))
	if err != nil {
		return time.Time{}
	}
	return t
}

// Publish saves a new training offer of p's agency and announces it to
// every other node when it is open to every country.
func (s *Service) Publish(ctx context.Context, p *twinfed.Principal, in Input) (*twinfed.Training, error) {
	if err := twinfed.CanPublishTraining(p); err != nil {
		return nil, err
	}
	now := s.now()
	t := s.fromInput(in, now)
	if err := twinfed.ValidateTraining(t, now); err != nil {
		return nil, err
	}
	err := s.update(func(txn *badger.Txn) error {
		if err := store.SetJSON(txn, store.PrefixTraining+t.ID, t); err != nil {
			return err
		}
		return s.announce(ctx, txn, twinfed.ActivityCreate, t)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Cancel cancels a training offer of p's agency: applications close and
// the other nodes are told.
func (s *Service) Cancel(ctx context.Context, p *twinfed.Principal, id string) error {
	if err := twinfed.CanPublishTraining(p); err != nil {
		return err
	}
	return s.update(func(txn *badger.Txn) error {
		t, err := getTraining(txn, id)
		if err != nil {
			return err
		}
		if t.Publisher != twinfed.AgencyURL(s.cfg.BaseURL) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "Only the publishing agency cancels its training.")
		}
		if t.Cancelled {
			return nil
		}
		t.Cancelled, t.Version = true, t.Version+1
		if err := store.SetJSON(txn, store.PrefixTraining+t.ID, t); err != nil {
			return err
		}
		if err := s.tellAll(txn, t, notice.TrainingCancelled); err != nil {
			return err
		}
		return s.announce(ctx, txn, twinfed.ActivityUpdate, t)
	})
}

// Change saves a new version of a training offer of p's agency (its
// fields as Publish takes them) and tells the other nodes. Its id, its
// publication and its applications stay.
func (s *Service) Change(ctx context.Context, p *twinfed.Principal, id string, in Input) (*twinfed.Training, error) {
	if err := twinfed.CanPublishTraining(p); err != nil {
		return nil, err
	}
	var out *twinfed.Training
	err := s.update(func(txn *badger.Txn) error {
		old, err := getTraining(txn, id)
		if err != nil {
			return err
		}
		if old.Publisher != twinfed.AgencyURL(s.cfg.BaseURL) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "Only the publishing agency changes its training.")
		}
		if old.Cancelled {
			return twinfed.Errorf(twinfed.EINVALID, "This training was cancelled.")
		}
		t := s.fromInput(in, s.now())
		t.ID, t.Published, t.Version = old.ID, old.Published, old.Version+1
		if err := twinfed.ValidateTraining(t, s.now()); err != nil {
			return err
		}
		if err := store.SetJSON(txn, store.PrefixTraining+t.ID, t); err != nil {
			return err
		}
		out = t
		return s.announce(ctx, txn, twinfed.ActivityUpdate, t)
	})
	return out, err
}

// fromInput is a training of this node's agency from the form's input.
func (s *Service) fromInput(in Input, now time.Time) *twinfed.Training {
	t := &twinfed.Training{ID: s.cfg.BaseURL + "/training/" + store.NewID(), Kind: in.Kind, Title: in.Title, Description: in.Description,
		Language: in.Language, Place: in.Place, Start: s.day(in.Start), End: s.day(in.End), Places: in.Places, Audience: in.Audience,
		Country: s.cfg.Country, Publisher: twinfed.AgencyURL(s.cfg.BaseURL), PublisherName: s.cfg.AgencyName, Published: now.UTC(), Version: 1}
	if d := s.day(in.Deadline); !d.IsZero() {
		t.Deadline = d.AddDate(0, 0, 1) // applications close at the end of that day
	}
	return t
}

// update runs fn in a transaction, again when it conflicted with a
// concurrent one, and tells the outbox after the commit.
func (s *Service) update(fn func(txn *badger.Txn) error) error {
	for range 100 {
		err := s.store.Update(fn)
		if errors.Is(err, badger.ErrConflict) {
			continue
		}
		if err == nil {
			s.acts.Notify()
		}
		return err
	}
	return twinfed.Errorf(twinfed.EUNAVAILABLE, "Too many changes at once; try again in a moment.")
}

// Filter chooses the training a list shows.
type Filter struct {
	Kind     twinfed.TrainingKind
	Language string
	Past     bool // also the training whose last day is over
}

// viewerCountry is the country whose members' view p has: a member's own,
// the node's for its staff.
func (s *Service) viewerCountry(txn *badger.Txn, p *twinfed.Principal) (string, error) {
	if p == nil || p.Username == "" {
		return "", twinfed.Errorf(twinfed.EFORBIDDEN, "Professional development is open to the members of the programme.")
	}
	if p.IsAgency() {
		return s.cfg.Country, nil
	}
	m, err := s.member(txn, p)
	if err != nil {
		return "", err
	}
	return m.Country, nil
}

// member is p as a member of this node who may apply.
func (s *Service) member(txn *badger.Txn, p *twinfed.Principal) (*twinfed.Member, error) {
	if p == nil || p.Role != twinfed.RoleMember || p.Username == "" {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "Professional development is open to the members of the programme.")
	}
	return s.members.MemberIn(txn, p.Username)
}

// List returns the training offers open to p's country that match f, by
// first day.
func (s *Service) List(ctx context.Context, p *twinfed.Principal, f Filter) ([]*twinfed.Training, error) {
	var out []*twinfed.Training
	today := s.now().Add(-24 * time.Hour)
	err := s.store.View(func(txn *badger.Txn) error {
		country, err := s.viewerCountry(txn, p)
		if err != nil {
			return err
		}
		return store.EachJSON(txn, store.PrefixTraining, func(t *twinfed.Training) error {
			if !twinfed.TrainingOpenTo(t, country) || f.Kind != "" && t.Kind != f.Kind || f.Language != "" && t.Language != f.Language ||
				!f.Past && t.End.Before(today) {
				return nil
			}
			out = append(out, t)
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b *twinfed.Training) int { return a.Start.Compare(b.Start) })
	return out, err
}

// View is a training as p sees it.
type View struct {
	Training *twinfed.Training
	Mine     *Application // p's application; nil: none
	Accepted int          // this country's accepted applicants
	Applied  int          // this country's applications
	Open     bool         // applications are open
	Staff    bool         // p is this node's agency staff: they select
	Home     bool         // this node's agency published it
}

// Path is the training's page on this node.
func (v *View) Path() string { return Path(v.Training.ID) }

// Path is the training's page on this node.
func (m Mine) Path() string { return Path(m.Training.ID) }

// Item is a training in a list, with its page on this node.
type Item struct {
	*twinfed.Training
	Path string
}

// LastDay is the last day to apply (applications close at its end).
func (v *View) LastDay() time.Time { return v.Training.Deadline.Add(-24 * time.Hour) }

// Get returns a training for p, who must be in its audience.
func (s *Service) Get(ctx context.Context, p *twinfed.Principal, id string) (*View, error) {
	var v *View
	err := s.store.View(func(txn *badger.Txn) error {
		country, err := s.viewerCountry(txn, p)
		if err != nil {
			return err
		}
		t, err := getTraining(txn, id)
		if err != nil {
			return err
		}
		if !twinfed.TrainingOpenTo(t, country) {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such training.")
		}
		v = &View{Training: t, Open: t.Open(s.now()), Staff: p.IsAgency(), Home: t.Publisher == twinfed.AgencyURL(s.cfg.BaseURL)}
		if !p.IsAgency() {
			v.Mine = getApplication(txn, t.ID, p.Username)
		}
		for _, a := range applications(txn, t.ID) {
			v.Applied++
			if a.State == twinfed.ApplicationAccepted || a.State == twinfed.ApplicationCompleted {
				v.Accepted++
			}
		}
		return nil
	})
	return v, err
}

// Apply records p's application: accepted at once when places are
// unlimited, else waiting for their agency's selection.
func (s *Service) Apply(ctx context.Context, p *twinfed.Principal, id string) (twinfed.ApplicationState, error) {
	var st twinfed.ApplicationState
	err := s.update(func(txn *badger.Txn) error {
		m, err := s.member(txn, p)
		if err != nil {
			return err
		}
		t, err := getTraining(txn, id)
		if err != nil {
			return err
		}
		var cur twinfed.ApplicationState
		if a := getApplication(txn, t.ID, m.Username); a != nil {
			cur = a.State
		}
		if err := twinfed.CanApply(t, m.Country, cur, s.now()); err != nil {
			return err
		}
		st = twinfed.FirstState(t)
		a := &Application{Training: t.ID, Username: m.Username, Name: m.Name(), State: st, At: s.now().UTC()}
		return putApplication(txn, a)
	})
	return st, err
}

// Applicants returns, for p (this node's agency staff), the applications
// of their country's members to training id, in the order they came.
func (s *Service) Applicants(ctx context.Context, p *twinfed.Principal, id string) ([]*Application, error) {
	if !p.IsAgency() {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "Only the applicant's own agency decides on their application.")
	}
	var out []*Application
	err := s.store.View(func(txn *badger.Txn) error {
		if _, err := getTraining(txn, id); err != nil {
			return err
		}
		out = applications(txn, id)
		return nil
	})
	slices.SortStableFunc(out, func(a, b *Application) int { return a.At.Compare(b.At) })
	return out, err
}

// applicant reads the applicant an agency acts on: a member of this node
// (their country is the node's) by actor URL or username; a member of
// another node has that node's country, and no application here.
func (s *Service) applicant(ctx context.Context, who string) (username, country string) {
	if !strings.Contains(who, "/") {
		return who, s.cfg.Country
	}
	if prefix := s.cfg.BaseURL + "/users/"; strings.HasPrefix(who, prefix) && !strings.Contains(who[len(prefix):], "/") {
		return who[len(prefix):], s.cfg.Country
	}
	if s.registry != nil {
		if c, err := s.registry.CountryByHost(ctx, twinfed.URLHost(who)); err == nil {
			return "", c.Code
		}
	}
	return "", ""
}

// Decide is p's decision, as staff of the applicant's own agency, on an
// application to training id: accepted, waiting or refused (with a
// reason). The member is told.
func (s *Service) Decide(ctx context.Context, p *twinfed.Principal, id, who string, to twinfed.ApplicationState, reason string) error {
	username, country := s.applicant(ctx, who)
	return s.update(func(txn *badger.Txn) error {
		t, err := getTraining(txn, id)
		if err != nil {
			return err
		}
		a := getApplication(txn, t.ID, username)
		var cur twinfed.ApplicationState
		if a != nil {
			cur = a.State
		}
		accepted := 0
		for _, o := range applications(txn, t.ID) {
			if o.State == twinfed.ApplicationAccepted || o.State == twinfed.ApplicationCompleted {
				accepted++
			}
		}
		if err := twinfed.DecideApplication(t, p, s.cfg.Country, country, cur, to, reason, accepted); err != nil {
			return err
		}
		if cur == to && a.Reason == strings.TrimSpace(reason) {
			return nil
		}
		a.State, a.Reason, a.Decided = to, "", s.now().UTC()
		if to == twinfed.ApplicationRefused {
			a.Reason = strings.TrimSpace(reason)
		}
		if err := putApplication(txn, a); err != nil {
			return err
		}
		return s.tell(txn, a.Username, notice.TrainingDecided, t)
	})
}

// Complete records, for p (staff of the participant's own agency), that
// an accepted participant completed training id: their certificate of
// participation is then theirs. They are told.
func (s *Service) Complete(ctx context.Context, p *twinfed.Principal, id, who string) error {
	username, country := s.applicant(ctx, who)
	return s.update(func(txn *badger.Txn) error {
		t, err := getTraining(txn, id)
		if err != nil {
			return err
		}
		a := getApplication(txn, t.ID, username)
		var cur twinfed.ApplicationState
		if a != nil {
			cur = a.State
		}
		if err := twinfed.CanComplete(t, p, s.cfg.Country, country, cur, s.now()); err != nil {
			return err
		}
		if cur == twinfed.ApplicationCompleted {
			return nil
		}
		a.State, a.Decided = twinfed.ApplicationCompleted, s.now().UTC()
		if err := putApplication(txn, a); err != nil {
			return err
		}
		return s.tell(txn, a.Username, notice.TrainingCompleted, t)
	})
}

// tell notifies a member, within txn, about their application to t.
func (s *Service) tell(txn *badger.Txn, username string, k notice.Kind, t *twinfed.Training) error {
	if s.notices == nil {
		return nil
	}
	return s.notices.NotifyLink(txn, username, k, twinfed.AgencyURL(s.cfg.BaseURL), t.Title, Path(t.ID))
}

// Mine is a member's application with its training: the "My training"
// page and the certificates on their profile.
type Mine struct {
	Training *twinfed.Training
	App      *Application
}

// MemberTraining lists the training a member of this node applied to, by
// first day, the most recent first.
func (s *Service) MemberTraining(ctx context.Context, username string) ([]Mine, error) {
	var out []Mine
	err := s.store.View(func(txn *badger.Txn) error {
		for _, id := range store.KeysUnder(txn, store.PrefixMyTraining+username+"/", 0) {
			t, err := getTraining(txn, id)
			if err != nil {
				continue
			}
			if a := getApplication(txn, id, username); a != nil {
				out = append(out, Mine{Training: t, App: a})
			}
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b Mine) int { return b.Training.Start.Compare(a.Training.Start) })
	return out, err
}

// Certificate writes p's certificate of participation in training id, as
// PDF in their language: only once their agency marked it completed.
func (s *Service) Certificate(ctx context.Context, p *twinfed.Principal, id string, w io.Writer) error {
	var (
		t *twinfed.Training
		m *twinfed.Member
	)
	err := s.store.View(func(txn *badger.Txn) error {
		var err error
		if m, err = s.member(txn, p); err != nil {
			return err
		}
		if t, err = getTraining(txn, id); err != nil {
			return err
		}
		if a := getApplication(txn, t.ID, m.Username); a == nil || !twinfed.HasTrainingCertificate(a.State) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "A certificate of participation is given to the participants their agency marked as having completed the training.")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.cat == nil {
		return twinfed.Errorf(twinfed.EUNAVAILABLE, "Certificates cannot be made on this node right now.")
	}
	return certificate.WriteParticipation(w, certificate.Participation{Lang: s.cat.MailLang(m.Locale), Catalog: s.cat, Holder: m.Name(),
		Event: t.Title, Start: t.Start.In(s.cet), End: t.End.In(s.cet), Organiser: t.PublisherName, Issued: s.now(), Issuer: s.cfg.AgencyName,
		URL: s.cfg.BaseURL + Path(t.ID), TookPart: "training.cert.took_part", When: "training.cert.when"})
}
