package twinspace

import (
	"context"
	"errors"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// Step is one object's change within EditAll: what Edit takes.
type Step struct {
	Kind twinfed.SpaceKind
	ID   string // "" creates
	Fn   func(v *View, o *twinfed.SpaceObject) error
}

// EditAll is Edit for several objects in one transaction, in order: every
// change is checked, stored and sent, or none is (a page and its revision,
// two pages that swap places). A step's Fn sees the objects of the steps
// before it as they were stored (its closure may keep them).
func (s *Service) EditAll(ctx context.Context, p *twinfed.Principal, project string, steps ...Step) ([]*twinfed.SpaceObject, error) {
	var out []*twinfed.SpaceObject
	err := s.update(func(txn *badger.Txn) error {
		out = out[:0]
		v, err := s.view(txn, p, project, false)
		if err != nil {
			return err
		}
		if err := v.RequireMember(); err != nil {
			return err
		}
		for _, st := range steps {
			o, err := s.edit(txn, v, st.Kind, st.ID, st.Fn)
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Each calls fn with every live object of kind in project's TwinSpace,
// whatever its parent, in no particular order, until fn returns an error
// (ErrStop ends quietly): a tool's whole tree (pages), or every file of
// one type.
func Each(txn *badger.Txn, project string, kind twinfed.SpaceKind, fn func(o *twinfed.SpaceObject) error) error {
	prefix := []byte(store.PrefixSpaceIndex + project + " " + string(kind) + " ")
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		k := string(it.Item().Key())
		o, err := Object(txn, project, k[strings.LastIndexByte(k, ' ')+1:])
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
