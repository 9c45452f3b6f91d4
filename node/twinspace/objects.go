package twinspace

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// The TwinSpace's objects as the node stores them, whatever tool they
// belong to: so/<project> <id> (the object), si/<project> <kind> <parent>
// <created> <id> (a kind's objects under one parent, oldest first) and
// sl/<project> <applied> <id> (the latest actions, for the Twinboard).
// apply is the one place a state of an object is stored, on every node:
// a local write, a partner's write on the home node and the home node's
// Announce all go through it, with the same ordering rule
// (twinfed.(*SpaceObject).Supersedes), so that every replica converges.

// Kind is what a tool declares about its kind of object (Register).
type Kind struct {
	// Create is the action that creating one needs.
	Create twinfed.SpaceAction
	// Needs returns the actions a change needs (old → o; old nil for a
	// creation, o.Deleted for a deletion). Nil: Create for a creation;
	// SpaceEditOwn for a change of what the writer created, else
	// SpaceManageOthers.
	Needs func(old, o *twinfed.SpaceObject) []twinfed.SpaceAction
	// Check validates and cleans o before it is stored: on the writer's
	// node and again on every node it reaches (sanitise HTML there). It
	// returns EINVALID (with field errors) for what can never be stored.
	Check func(o *twinfed.SpaceObject) error
	// Applied runs within the transaction that stored o, on every node
	// (old is the state it replaced, nil when new).
	Applied func(txn *badger.Txn, old, o *twinfed.SpaceObject) error
	// Teachers marks a kind only teachers read (SpaceReadBulletin).
	Teachers bool
	// Quiet keeps the kind out of the Twinboard's latest actions.
	Quiet bool
}

// Register declares a kind of object. The core registers member,
// settings, update and bulletin; each tool registers its own before the
// node starts serving. Registering a kind twice panics.
func (s *Service) Register(k twinfed.SpaceKind, rules Kind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.kinds[k]; dup {
		panic("twinspace: kind " + string(k) + " registered twice")
	}
	s.kinds[k] = rules
}

func (s *Service) kind(k twinfed.SpaceKind) (Kind, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.kinds[k]
	return r, ok
}

// needs returns the actions the change old → o needs.
func (s *Service) needs(old, o *twinfed.SpaceObject) ([]twinfed.SpaceAction, error) {
	k, ok := s.kind(o.Kind)
	if !ok {
		return nil, twinfed.Errorf(twinfed.EINVALID, "unknown kind of TwinSpace object %q", o.Kind)
	}
	if old != nil && old.Deleted && !o.Deleted {
		old = nil // back from deletion: a creation
	}
	if k.Needs != nil {
		return k.Needs(old, o), nil
	}
	if old == nil {
		return []twinfed.SpaceAction{k.Create}, nil
	}
	if o.Writer() == old.Author {
		return []twinfed.SpaceAction{twinfed.SpaceEditOwn}, nil
	}
	return []twinfed.SpaceAction{twinfed.SpaceManageOthers}, nil
}

func objectKey(project, id string) []byte {
	return []byte(store.PrefixSpaceObject + project + " " + id)
}

func indexKey(o *twinfed.SpaceObject) []byte {
	parent := o.Parent
	if parent == "" {
		parent = "-"
	}
	return []byte(store.PrefixSpaceIndex + o.Project + " " + string(o.Kind) + " " + parent + " " + KeyTime(o.Created) + " " + o.ID)
}

// keyTimeLayout is a time in index and log keys: UTC, fixed width to the
// nanosecond, so that keys sort in time order (RFC 3339 with nanoseconds
// drops trailing zeros, and "…05Z" would sort after "…05.1Z").
const keyTimeLayout = "2006-01-02T15:04:05.000000000Z"

// KeyTime is t as the TwinSpace's index and log keys write it.
func KeyTime(t time.Time) string { return t.UTC().Format(keyTimeLayout) }

// ParseKeyTime reads a time KeyTime wrote.
func ParseKeyTime(s string) (time.Time, error) { return time.Parse(keyTimeLayout, s) }

// indexPrefix is where the objects of kind under parent are indexed.
func indexPrefix(project string, kind twinfed.SpaceKind, parent string) string {
	if parent == "" {
		parent = "-"
	}
	return store.PrefixSpaceIndex + project + " " + string(kind) + " " + parent + " "
}

// LogEntry is one of a TwinSpace's latest actions.
type LogEntry struct {
	ID     string            `json:"id"`
	Kind   twinfed.SpaceKind `json:"kind"`
	Parent string            `json:"parent,omitempty"`
	Title  string            `json:"title,omitempty"`
	Writer string            `json:"writer"`
	Name   string            `json:"name,omitempty"`
	Op     string            `json:"op"` // created, updated or deleted
	At     time.Time         `json:"at"`
}

// Object returns an object of a TwinSpace this node holds (tombstones
// included); ENOTFOUND when there is none.
func Object(txn *badger.Txn, project, id string) (*twinfed.SpaceObject, error) {
	o := new(twinfed.SpaceObject)
	if err := store.GetJSON(txn, string(objectKey(project, id)), o); err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil, twinfed.Errorf(twinfed.ENOTFOUND, "This item of the TwinSpace does not exist (or no longer does).")
		}
		return nil, err
	}
	return o, nil
}

// Children calls fn with the live objects of kind under parent ("" for
// the top), oldest first, until fn returns an error (errStop ends quietly).
func Children(txn *badger.Txn, project string, kind twinfed.SpaceKind, parent string, fn func(o *twinfed.SpaceObject) error) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(indexPrefix(project, kind, parent))})
	defer it.Close()
	it.Rewind()
	return walk(txn, project, it, nil, fn)
}

// Newest calls fn with the live objects of kind under parent, newest
// first, until fn returns an error (ErrStop ends quietly): from the newest
// when before is nil, else from the one created just before it (an
// object of the same kind and parent: a page's cursor).
func Newest(txn *badger.Txn, project string, kind twinfed.SpaceKind, parent string, before *twinfed.SpaceObject, fn func(o *twinfed.SpaceObject) error) error {
	prefix := []byte(indexPrefix(project, kind, parent))
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, Reverse: true})
	defer it.Close()
	var skip []byte
	if before != nil {
		skip = indexKey(before)
		it.Seek(skip)
	} else {
		it.Seek(append(append([]byte(nil), prefix...), 0xff))
	}
	return walk(txn, project, it, skip, fn)
}

// walk calls fn with the live objects an index iterator meets from where
// it stands, but the one at key skip.
func walk(txn *badger.Txn, project string, it *badger.Iterator, skip []byte, fn func(o *twinfed.SpaceObject) error) error {
	for ; it.Valid(); it.Next() {
		if skip != nil && bytes.Equal(it.Item().Key(), skip) {
			continue
		}
		k := string(it.Item().Key())
		id := k[strings.LastIndexByte(k, ' ')+1:]
		o, err := Object(txn, project, id)
		if err != nil {
			if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
				continue
			}
			return err
		}
		if o.Deleted {
			continue
		}
		if err := fn(o); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

// CountChildren returns how many objects of kind are indexed under parent
// (tombstones included: an upper bound, cheap).
func CountChildren(txn *badger.Txn, project string, kind twinfed.SpaceKind, parent string) int {
	return store.CountPrefix(txn, indexPrefix(project, kind, parent))
}

// ErrStop ends a Children walk early without an error.
var ErrStop = errors.New("stop")

// apply stores o if it supersedes what the node holds of it (a replay, or
// an older state arriving late, changes nothing: applied is false), after
// its kind's Check; it keeps the index and the log, runs the kind's
// Applied, and has the live hub told once the transaction commits.
func (s *Service) apply(txn *badger.Txn, o *twinfed.SpaceObject) (applied bool, old *twinfed.SpaceObject, err error) {
	k, ok := s.kind(o.Kind)
	if !ok {
		return false, nil, twinfed.Errorf(twinfed.EINVALID, "unknown kind of TwinSpace object %q", o.Kind)
	}
	if o.ID == "" || o.Project == "" || o.Author == "" || o.Version < 1 {
		return false, nil, twinfed.Errorf(twinfed.EINVALID, "a TwinSpace object needs an id, its project, an author and a version")
	}
	old, err = Object(txn, o.Project, o.ID)
	if err != nil && twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		return false, nil, err
	}
	if old != nil && (old.Kind != o.Kind || old.Author != o.Author || !old.Created.Equal(o.Created)) {
		return false, nil, twinfed.Errorf(twinfed.EINVALID, "object %s changes its kind, author or creation time", o.ID)
	}
	if !o.Supersedes(old) {
		return false, old, nil
	}
	if !o.Deleted && k.Check != nil {
		if err := k.Check(o); err != nil {
			return false, old, err
		}
	}
	if old != nil && old.Parent != o.Parent {
		if err := txn.Delete(indexKey(old)); err != nil {
			return false, old, err
		}
	}
	if err := store.SetJSON(txn, string(objectKey(o.Project, o.ID)), o); err != nil {
		return false, old, err
	}
	if err := txn.Set(indexKey(o), nil); err != nil {
		return false, old, err
	}
	if !k.Quiet {
		op := "created"
		switch {
		case o.Deleted:
			op = "deleted"
		case old != nil && !old.Deleted:
			op = "updated"
		}
		e := LogEntry{ID: o.ID, Kind: o.Kind, Parent: o.Parent, Title: o.Title, Writer: o.Writer(), Name: o.EditName, Op: op, At: o.Updated}
		if e.Name == "" {
			e.Name = o.Name
		}
		b, err := json.Marshal(e)
		if err != nil {
			return false, old, err
		}
		key := store.PrefixSpaceLog + o.Project + " " + KeyTime(o.Updated) + " " + o.ID
		if err := txn.Set([]byte(key), b); err != nil {
			return false, old, err
		}
	}
	if k.Applied != nil {
		if err := k.Applied(txn, old, o); err != nil {
			return false, old, err
		}
	}
	oc := *o
	s.store.AfterCommit(txn, func() { s.hub.publish(&oc) })
	return true, old, nil
}

// Log returns a TwinSpace's latest actions, newest first, at most limit,
// keeping those keep accepts.
func Log(txn *badger.Txn, project string, limit int, keep func(e *LogEntry) bool) ([]*LogEntry, error) {
	prefix := []byte(store.PrefixSpaceLog + project + " ")
	seek := append(append([]byte(nil), prefix...), 0xff)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, Reverse: true})
	defer it.Close()
	var out []*LogEntry
	for it.Seek(seek); it.Valid() && len(out) < limit; it.Next() {
		e := new(LogEntry)
		if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, e) }); err != nil {
			return nil, err
		}
		if keep == nil || keep(e) {
			out = append(out, e)
		}
	}
	return out, nil
}
