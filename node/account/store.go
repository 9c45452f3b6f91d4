package account

import (
	"context"
	"encoding/json"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/store"
)

var _ directory.Members = (*Service)(nil)

// LoadMember reads a member's whole record within txn; ENOTFOUND when
// there is none. Features ask it through their interfaces (MemberIn).
func LoadMember(txn *badger.Txn, username string) (*twinfed.Member, error) {
	var m twinfed.Member
	if err := store.GetJSON(txn, store.PrefixMember+username, &m); err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil, noMember(username)
		}
		return nil, err
	}
	return &m, nil
}

// noMember is the error of a username no member of this node has.
func noMember(username string) error {
	return twinfed.Errorf(twinfed.ENOTFOUND, "There is no member %q on this node.", username)
}

// putMember writes m and keeps the status index in step with it. old is the
// previous version (nil for a new member).
func putMember(txn *badger.Txn, old, m *twinfed.Member) error {
	if old != nil && old.Status != m.Status {
		if err := txn.Delete([]byte(store.PrefixStatus + string(old.Status) + "/" + old.Username)); err != nil {
			return err
		}
	}
	if old == nil || old.Status != m.Status {
		if err := txn.Set([]byte(store.PrefixStatus+string(m.Status)+"/"+m.Username), nil); err != nil {
			return err
		}
	}
	return store.SetJSON(txn, store.PrefixMember+m.Username, m)
}

func ptrCopy(m *twinfed.Member) *twinfed.Member { c := *m; return &c }

// Member returns a member's whole record (personal data included): for the
// member themselves and the agency only.
func (s *Service) Member(ctx context.Context, username string) (*twinfed.Member, error) {
	var m *twinfed.Member
	err := s.store.View(func(txn *badger.Txn) error {
		var err error
		m, err = LoadMember(txn, username)
		return err
	})
	return m, s.internal("get member", err)
}

// MemberIn reads a member's whole record within txn; ENOTFOUND when there
// is none. The caller gets a copy of its own, decoded once for as long as
// the record does not change (store.Decoded).
func (s *Service) MemberIn(txn *badger.Txn, username string) (*twinfed.Member, error) {
	m, err := s.decoded.Get(txn, store.PrefixMember+username, (*twinfed.Member).Clone)
	if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
		return nil, noMember(username)
	}
	return m, err
}

// Usernames lists every member's username within txn.
func (s *Service) Usernames(txn *badger.Txn) []string {
	return store.KeysUnder(txn, store.PrefixMember, 0)
}

// EachMemberAfter calls fn, in username order, for every member whose
// username sorts after after (all when empty) until fn returns false;
// more reports whether a member follows the last one fn was given.
func (s *Service) EachMemberAfter(txn *badger.Txn, after string, fn func(*twinfed.Member) bool) (more bool, err error) {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = []byte(store.PrefixMember)
	it := txn.NewIterator(opts)
	defer it.Close()
	start := []byte(store.PrefixMember + after + "\x00")
	if after == "" {
		start = []byte(store.PrefixMember)
	}
	for it.Seek(start); it.Valid(); it.Next() {
		var m twinfed.Member
		if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &m) }); err != nil {
			return false, err
		}
		if !fn(&m) {
			it.Next()
			return it.Valid(), nil
		}
	}
	return false, nil
}

// MembersByStatus returns, within txn, the members of a status in
// username order from offset, at most limit of them, and how many there
// are in all.
func (s *Service) MembersByStatus(txn *badger.Txn, status twinfed.MemberStatus, offset, limit int) ([]*twinfed.Member, int, error) {
	names := store.KeysUnder(txn, store.PrefixStatus+string(status)+"/", 0)
	var out []*twinfed.Member
	for i := offset; i < len(names) && len(out) < limit; i++ {
		m, err := LoadMember(txn, names[i])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, len(names), nil
}

// CountStatus returns the number of members of a status within txn.
func (s *Service) CountStatus(txn *badger.Txn, status twinfed.MemberStatus) int {
	return store.CountPrefix(txn, store.PrefixStatus+string(status)+"/")
}

// EachMember calls fn with every member within txn, in username order; an
// error from fn stops the walk and is returned.
func (s *Service) EachMember(txn *badger.Txn, fn func(*twinfed.Member) error) error {
	return store.EachJSON(txn, store.PrefixMember, fn)
}

// Public returns the public profile of username, a member of this node,
// within txn; nil when none is shown (no such member, not validated,
// agency staff, deleted).
func (s *Service) Public(txn *badger.Txn, username string) *twinfed.Profile {
	m, err := LoadMember(txn, username)
	if err != nil {
		return nil
	}
	return s.PublicOf(m)
}

// PhotoURL returns the URL of a member's photo.
func (s *Service) PhotoURL(username string) string {
	return twinfed.ActorURL(s.cfg.BaseURL, username) + "/photo"
}

// PublicOf returns the public profile a member shows the federation, nil
// for anyone not shown (not validated, agency staff, deleted).
func (s *Service) PublicOf(m *twinfed.Member) *twinfed.Profile {
	if m == nil || m.Status != twinfed.StatusValidated || m.Role != twinfed.RoleMember {
		return nil
	}
	return m.PublicProfile(twinfed.ActorURL(s.cfg.BaseURL, m.Username), s.PhotoURL(m.Username))
}

func sameProfile(a, b *twinfed.Profile) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.Updated, y.Updated = time.Time{}, time.Time{}
	jx, _ := json.Marshal(x)
	jy, _ := json.Marshal(y)
	return string(jx) == string(jy)
}

// SaveMember writes m (old is its previous version, nil for a new member)
// with the index of members by status and, when its public profile
// changed, updates the directory and tells every other node:
// Update{Person}, or Delete{Person} when the member is no longer shown.
// All in txn; the outbox and the directory's indexer are woken once txn
// has committed. Every change of a member's record goes through it.
func (s *Service) SaveMember(ctx context.Context, txn *badger.Txn, old, m *twinfed.Member) error {
	if err := putMember(txn, old, m); err != nil {
		return err
	}
	s.store.AfterCommit(txn, s.wake)
	return s.ProfileChanged(ctx, txn, s.PublicOf(old), s.PublicOf(m), true)
}

// ProfileChanged records a local member's public profile change in the
// directory, and with publish sends it to the other nodes.
func (s *Service) ProfileChanged(ctx context.Context, txn *badger.Txn, before, after *twinfed.Profile, publish bool) error {
	if sameProfile(before, after) {
		return nil
	}
	to := s.dir.OtherNodes(ctx)
	switch {
	case after != nil:
		if err := s.dir.Put(txn, after); err != nil {
			return err
		}
		if o := s.acts.Outbox(); publish && len(to) > 0 && o != nil {
			a := s.acts.New(twinfed.ActivityUpdate, after.Username)
			a.To, a.Object, a.Profile = to, after.ID, after
			return o.Enqueue(txn, a)
		}
	case before != nil:
		if err := s.dir.Remove(txn, before.ID); err != nil {
			return err
		}
		if o := s.acts.Outbox(); publish && len(to) > 0 && o != nil {
			a := s.acts.New(twinfed.ActivityDelete, before.Username)
			a.To, a.Object = to, before.ID
			return o.Enqueue(txn, a)
		}
	}
	return nil
}
