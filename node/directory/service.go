package directory

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/microcosm-cc/bluemonday"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/search"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// Config is what the directory needs to know about its node.
type Config struct {
	BaseURL string // the node's public base URL: its members' actor ids live under it
}

// Deps are the directory's collaborators.
type Deps struct {
	Store    *store.Store
	Registry twinfed.Registry // the federation's nodes; nil: a node alone (no backfill, no origin check)
	// Social gives the viewer's relations and contacts (the social
	// feature, which the node's assembly gives with SetSocial, as it is
	// built after the directory); nil: no relation is shown and no
	// contact is excluded from the suggestions.
	Social  Social
	Logger  *slog.Logger
	Metrics *prometheus.Registry // nil: metrics are not registered
	Now     func() time.Time     // nil: time.Now
}

// Members is what the directory reads of this node's members (the account
// feature owns their records).
type Members interface {
	// MemberIn reads a member's record within txn; ENOTFOUND when there
	// is none.
	MemberIn(txn *badger.Txn, username string) (*twinfed.Member, error)
	// PublicOf is the public profile the member shows the federation, nil
	// for anyone not shown (not validated, agency staff).
	PublicOf(m *twinfed.Member) *twinfed.Profile
	// Usernames lists every member's username within txn.
	Usernames(txn *badger.Txn) []string
	// EachMemberAfter calls fn, in username order, for every member whose
	// username sorts after after (all when empty) until fn returns false;
	// more reports whether a member follows the last one fn was given.
	EachMemberAfter(txn *badger.Txn, after string, fn func(*twinfed.Member) bool) (more bool, err error)
}

// Social is what the directory's pages ask of the members' social
// features (contacts and follows).
type Social interface {
	// RelationTo is how p stands to the member peer (the social feature's
	// Relation), nil when p has no social features.
	RelationTo(ctx context.Context, p *twinfed.Principal, peer string) any
	// ContactPeers lists the actor URLs of p's contacts; EUNAUTHORIZED or
	// EFORBIDDEN when p has no social features.
	ContactPeers(ctx context.Context, p *twinfed.Principal) ([]string, error)
}

// Service is the federated directory: every public profile the node
// knows, its search index and the indexer that keeps it current, and the
// backfill from other nodes. It is safe for concurrent use once SetMembers
// has been called.
type Service struct {
	cfg      Config
	store    *store.Store
	registry twinfed.Registry
	members  Members
	social   Social
	log      *slog.Logger
	now      func() time.Time
	html     *bluemonday.Policy
	stamps   *stamps
	dir      *index // nil until Open
	snapshot string // the index's snapshot file (snapshot.go)
	// backfills are what runs after a node's profiles in Backfill.
	backfills []BackfillStep
	// deleted react to the deletion of another node's member.
	deleted []ActorDeleted
}

// BackfillStep is what another feature backfills from a node after its
// profiles (the projects): base is the node's base URL.
type BackfillStep func(ctx context.Context, fetch Fetcher, base string) error

// New builds the directory and registers its metrics. The index is
// started by Open.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil {
		return nil, fmt.Errorf("directory: New needs a Store")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Service{cfg: cfg, store: d.Store, registry: d.Registry, social: d.Social, log: d.Logger, now: d.Now, html: web.NewHTMLPolicy(), stamps: newStamps()}
	s.cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	backlog := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "twinfed_node_directory_backlog", Help: "Profile changes waiting for the directory's search index."}, func() float64 {
		return float64(s.DirectoryBacklog())
	})
	indexed := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "twinfed_node_directory_profiles", Help: "Public profiles in the directory's search index."}, func() float64 {
		if s.dir == nil {
			return 0
		}
		n, _ := s.dir.ix.Count()
		return float64(n)
	})
	if d.Metrics != nil {
		for _, c := range []prometheus.Collector{backlog, indexed} {
			if err := d.Metrics.Register(c); err != nil {
				return nil, fmt.Errorf("directory: register metrics: %w", err)
			}
		}
	}
	return s, nil
}

// SetMembers gives the directory the node's members (the account feature,
// built after the directory because it writes there).
func (s *Service) SetMembers(m Members) { s.members = m }

// SetSocial gives the directory the members' social feature (built after
// the directory, above it in the import order).
func (s *Service) SetSocial(sc Social) { s.social = sc }

// OnBackfill adds a step to every node's backfill, after its profiles.
func (s *Service) OnBackfill(step BackfillStep) { s.backfills = append(s.backfills, step) }

// BaseURL returns the node's public base URL.
func (s *Service) BaseURL() string { return s.cfg.BaseURL }

// IsLocal reports whether an actor URL lives on this node.
func (s *Service) IsLocal(actor string) bool {
	return twinfed.URLHost(actor) == twinfed.URLHost(s.cfg.BaseURL)
}

// Countries lists the federation's countries, from the registry; nil
// when the node has no registry or it cannot be read.
func (s *Service) Countries(ctx context.Context) []*twinfed.Country {
	if s.registry == nil {
		return nil
	}
	list, _ := s.registry.Countries(ctx)
	return list
}

// OtherNodes returns the agency actor URL of every other active node: the
// recipients of what every node must hold (public profiles). The registry
// client answers from its local cache, kept current by the change feed, so
// a node that joins is a recipient as soon as the cache has it.
func (s *Service) OtherNodes(ctx context.Context) []string {
	if s.registry == nil {
		return nil
	}
	list, err := s.registry.Countries(ctx)
	if err != nil {
		s.log.Warn("registry: list of nodes (other nodes will get this change by backfill)", "err", err)
		return nil
	}
	var out []string
	for _, c := range list {
		if c.Active && c.NodeURL != "" && twinfed.URLHost(c.NodeURL) != twinfed.URLHost(s.cfg.BaseURL) {
			out = append(out, twinfed.AgencyURL(c.NodeURL))
		}
	}
	return out
}

// internal wraps an unexpected error: logged with details, shown as a
// generic message.
func (s *Service) internal(op string, err error) error { return web.Internal(s.log, op, err) }

// Open starts the index and its indexer. The index is kept in memory,
// read at start from the snapshot the last clean stop wrote beside
// legacyDir, or else built from the store, in the background (start-up
// does not wait for it); searches answer from what is indexed meanwhile.
// legacyDir is where earlier versions kept a bleve index on disk: it is
// removed.
func (s *Service) Open(legacyDir string) error {
	if _, err := os.Stat(legacyDir); err == nil {
		if err := os.RemoveAll(legacyDir); err != nil {
			return fmt.Errorf("directory: remove the old on-disk index %s: %w", legacyDir, err)
		}
		s.log.Info("directory: removed the old on-disk index; the directory is now indexed in memory", "dir", legacyDir)
	}
	s.snapshot = filepath.Join(filepath.Dir(legacyDir), snapshotFile)
	d := &index{ix: search.New(), wake: make(chan struct{}, 1), stop: make(chan struct{})}
	d.building.Store(1) // until the build has counted the profiles
	d.changes.Store(1)  // not idle before a first pass
	s.dir = d
	d.done.Add(1)
	go func() {
		defer d.done.Done()
		if err := s.syncLocalProfiles(); err != nil {
			s.log.Error("directory: local profiles", "err", err)
		}
		if s.restoreSnapshot(d) {
			d.complete.Store(true)
		} else if err := s.rebuildIndex(); err != nil {
			s.log.Error("directory: build", "err", err)
		} else {
			d.complete.Store(true)
		}
		s.runIndexer(d)
	}()
	return nil
}

// Close stops the indexer, writes the index's snapshot for the next start
// (when the index was whole), and releases the index.
func (s *Service) Close() error {
	d := s.dir
	if d == nil {
		return nil
	}
	close(d.stop)
	d.done.Wait()
	if d.complete.Load() {
		if err := s.saveSnapshot(d); err != nil {
			s.log.Warn("directory: index snapshot not written; the next start builds the index from the store", "err", err)
		}
	}
	return d.ix.Close()
}

// Profile returns the public profile of any member of the federation the
// directory holds (ENOTFOUND otherwise). Only logged-in members and the
// agency see the directory.
func (s *Service) Profile(ctx context.Context, viewer *twinfed.Principal, id string) (*twinfed.Profile, error) {
	if viewer == nil {
		return nil, twinfed.Errorf(twinfed.EUNAUTHORIZED, "Log in first.")
	}
	var p *twinfed.Profile
	_ = s.store.View(func(txn *badger.Txn) error { p = s.Get(txn, id); return nil })
	if p == nil {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "This member is not in the directory (the account may have been deleted).")
	}
	return p, nil
}

// PhotoURL returns the URL of a local member's photo.
func (s *Service) PhotoURL(username string) string {
	return twinfed.ActorURL(s.cfg.BaseURL, username) + "/photo"
}

// LocalProfile returns the public profile of a validated member of this
// node: only the fields the member chose to show. ENOTFOUND for an unknown,
// deleted or not yet validated member, and for agency staff.
func (s *Service) LocalProfile(ctx context.Context, username string) (*twinfed.Profile, error) {
	p, _, _, err := s.StampedProfile(ctx, username)
	return p, err
}

// StampedProfile is LocalProfile with what a cache of the page keeps it
// with: when the profile was read from its directory record, that
// record's key and the stamp it had before the read (see ProfileStamp).
// The record is written with every change of what the page shows (a
// profile change, a hidden field; a deletion removes it). record is ""
// when the profile came from the member's record.
func (s *Service) StampedProfile(ctx context.Context, username string) (p *twinfed.Profile, record string, stamp uint64, err error) {
	// The directory holds every shown member's public profile, written in
	// the same transaction as the member (the account's SaveMember): one
	// small record to read and decode instead of the whole account. The
	// member's record answers for everyone else (not shown, or a username
	// spelt otherwise).
	id := twinfed.ActorURL(s.cfg.BaseURL, username)
	key := store.PrefixDirProfile + id
	stamp = s.stamps.get(key) // before the read: a write after it changes the stamp
	_ = s.store.View(func(txn *badger.Txn) error { p = s.Get(txn, id); return nil })
	if p != nil && p.Username == username {
		return p, key, stamp, nil
	}
	var m *twinfed.Member
	err = s.store.View(func(txn *badger.Txn) error {
		var err error
		m, err = s.members.MemberIn(txn, username)
		return err
	})
	if err != nil {
		return nil, "", 0, s.internal("get member", err)
	}
	if p = s.members.PublicOf(m); p == nil {
		return nil, "", 0, twinfed.Errorf(twinfed.ENOTFOUND, "There is no member %q on this node.", username)
	}
	return p, "", 0, nil
}

// ProfileStamp is the current stamp of a directory record: every
// committed change of the record changes it.
func (s *Service) ProfileStamp(record string) uint64 { return s.stamps.get(record) }

// DirectoryQuery is a search of the directory as members make it.
type DirectoryQuery = search.Query

// DirectoryPage is a page of search results.
type DirectoryPage struct {
	Profiles []*twinfed.Profile `json:"profiles"`
	Total    int                `json:"total"`
	Offset   int                `json:"offset"`
	Next     int                `json:"next,omitempty"` // offset of the next page; 0 at the end
}

// SearchDirectory searches the public profiles of every node. Only
// validated members and the agency may.
func (s *Service) SearchDirectory(ctx context.Context, viewer *twinfed.Principal, q DirectoryQuery) (*DirectoryPage, error) {
	if viewer == nil || (viewer.Status != twinfed.StatusValidated && !viewer.IsAgency()) {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "The people directory opens once the agency has validated your registration.")
	}
	if s.dir == nil {
		return nil, twinfed.Errorf(twinfed.EUNAVAILABLE, "The directory is not available on this node right now.")
	}
	if q.AgeMin < 0 || q.AgeMax < 0 || q.AgeMin > 99 || q.AgeMax > 99 || (q.AgeMax > 0 && q.AgeMin > q.AgeMax) {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Give pupils' ages from 0 to 99, the lowest first.", Fields: map[string]string{"age_min": "Give pupils' ages from 0 to 99, the lowest first."}}
	}
	q.Limit = min(max(q.Limit, 1), 50)
	if q.Limit == 1 && q.Offset == 0 {
		q.Limit = 20
	}
	res, err := s.dir.ix.Search(q)
	if err != nil {
		return nil, s.internal("directory search", err)
	}
	page := &DirectoryPage{Total: res.Total, Offset: q.Offset, Profiles: s.loadProfiles(res.IDs)}
	if q.Offset+len(res.IDs) < res.Total {
		page.Next = q.Offset + len(res.IDs)
	}
	return page, nil
}

func (s *Service) loadProfiles(ids []string) []*twinfed.Profile {
	out := make([]*twinfed.Profile, 0, len(ids))
	_ = s.store.View(func(txn *badger.Txn) error {
		for _, id := range ids {
			if p := s.Get(txn, id); p != nil {
				out = append(out, p)
			}
		}
		return nil
	})
	return out
}

// Suggestions returns "people you may know" for a validated member: members
// with the same subjects, pupils' ages and languages, available for a
// project, not yet contacts.
func (s *Service) Suggestions(ctx context.Context, p *twinfed.Principal, limit int) ([]*twinfed.Profile, error) {
	exclude, err := s.contactsOf(ctx, p)
	if err != nil {
		return nil, err
	}
	if s.dir == nil {
		return nil, nil
	}
	me, err := s.LocalProfile(ctx, p.Username)
	if err != nil {
		return nil, err
	}
	ids, err := s.dir.ix.Suggest(me, exclude, limit)
	if err != nil {
		return nil, s.internal("suggestions", err)
	}
	return s.loadProfiles(ids), nil
}

// contactsOf lists p's contacts, with the social feature's check that p
// has social features.
func (s *Service) contactsOf(ctx context.Context, p *twinfed.Principal) ([]string, error) {
	if s.social == nil {
		if p == nil {
			return nil, twinfed.Errorf(twinfed.EUNAUTHORIZED, "Log in first.")
		}
		return nil, nil
	}
	return s.social.ContactPeers(ctx, p)
}

// relationTo is how p stands to peer, nil without the social feature.
func (s *Service) relationTo(ctx context.Context, p *twinfed.Principal, peer string) any {
	if s.social == nil {
		return nil
	}
	return s.social.RelationTo(ctx, p, peer)
}
