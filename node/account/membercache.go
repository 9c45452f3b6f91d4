package account

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// memberCacheSize bounds the members kept decoded (a few MiB).
const memberCacheSize = 4096

// memberCache keeps the members MemberIn decoded last, each with the bytes
// of the record it was decoded from, so that a record read again unchanged
// (every click of a member on an event reads their record) is copied
// instead of decoded. It is keyed by those bytes, not by a Badger version:
// a reader only ever gets the decoding of exactly the record its
// transaction holds, whatever happened to the database in between (a
// restore, a reopen). Its zero value is ready to use.
type memberCache struct {
	mu sync.Mutex
	m  map[string]decodedMember // username → the member decoded last
}

// decodedMember is a member record's bytes and their decoding, which is
// never handed out: readers get copies (cloneMember).
type decodedMember struct {
	raw    []byte
	member *twinfed.Member
}

// load reads username's record within txn, as LoadMember does.
func (c *memberCache) load(txn *badger.Txn, username string) (*twinfed.Member, error) {
	item, err := txn.Get([]byte(store.PrefixMember + username))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, noMember(username)
	}
	if err != nil {
		return nil, err
	}
	var out *twinfed.Member
	err = item.Value(func(raw []byte) error {
		c.mu.Lock()
		d, ok := c.m[username]
		c.mu.Unlock()
		if ok && bytes.Equal(d.raw, raw) {
			out = cloneMember(d.member)
			return nil
		}
		m := new(twinfed.Member)
		if err := json.Unmarshal(raw, m); err != nil {
			return err
		}
		c.mu.Lock()
		if c.m == nil {
			c.m = make(map[string]decodedMember)
		}
		if _, ok := c.m[username]; !ok && len(c.m) >= memberCacheSize {
			for k := range c.m { // any one: Go's map order is random
				delete(c.m, k)
				break
			}
		}
		c.m[username] = decodedMember{raw: bytes.Clone(raw), member: m}
		c.mu.Unlock()
		out = cloneMember(m)
		return nil
	})
	return out, err
}

// cloneMember copies m with slices of its own, so that a caller may change
// what it gets (TestCloneMember checks every field).
func cloneMember(m *twinfed.Member) *twinfed.Member {
	c := *m
	c.Schools = slices.Clone(m.Schools)
	c.Languages = slices.Clone(m.Languages)
	c.PupilAges = slices.Clone(m.PupilAges)
	c.Subjects = slices.Clone(m.Subjects)
	c.Interests = slices.Clone(m.Interests)
	c.Public = slices.Clone(m.Public)
	return &c
}
