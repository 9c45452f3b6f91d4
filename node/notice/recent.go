package notice

import (
	"slices"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed/node/store"
)

// Recent returns, within txn, the member's newest notifications of the
// given kinds (at most limit), without marking them read: the home feed
// shows a project's news (a partner joined, an approval) beside the posts.
// It stops after reading 10×limit notifications, so that a member with
// years of other notifications costs no more.
func (n *Notices) Recent(txn *badger.Txn, username string, limit int, kinds ...Kind) ([]*Notification, error) {
	var out []*Notification
	read := 0
	err := store.EachJSON(txn, store.PrefixNotice+username+"/", func(v *Notification) error {
		if len(out) >= limit || read >= 10*limit {
			return errStop
		}
		read++
		if slices.Contains(kinds, v.Kind) {
			out = append(out, v)
		}
		return nil
	})
	if err == errStop {
		err = nil
	}
	return out, err
}

// errStop ends an iteration early.
var errStop = stopError{}

type stopError struct{}

func (stopError) Error() string { return "stop" }
