package twinspace

import (
	"encoding/json"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// Migration is the TwinSpace's step from store format 2 to 3: the posts
// of the old board (tp/) become the Twinboard's updates, objects of kind
// update with the post's id, author and time, as every node that holds
// them stores them alike (so replicas stay the same). It is idempotent.
func Migration() store.Migration {
	return store.Migration{From: 2, Name: "TwinSpace board posts become updates", Run: migratePosts}
}

// oldPost is a post of the format-2 board.
type oldPost struct {
	ID        string    `json:"id"`
	Project   string    `json:"project"`
	Author    string    `json:"author"`
	Name      string    `json:"name"`
	Content   string    `json:"content"`
	Published time.Time `json:"published"`
}

func migratePosts(db *badger.DB) error {
	var keys [][]byte
	var posts []oldPost
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(store.PrefixPost), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var p oldPost
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &p) }); err != nil {
				return err
			}
			keys, posts = append(keys, it.Item().KeyCopy(nil)), append(posts, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, p := range posts {
		o := &twinfed.SpaceObject{ID: p.ID, Project: p.Project, Kind: twinfed.SpaceKindUpdate, Author: p.Author, Name: p.Name,
			Content: p.Content, Version: 1, Created: p.Published, Updated: p.Published}
		err := db.Update(func(txn *badger.Txn) error {
			if err := store.SetJSON(txn, string(objectKey(o.Project, o.ID)), o); err != nil {
				return err
			}
			if err := txn.Set(indexKey(o), nil); err != nil {
				return err
			}
			return txn.Delete(keys[i])
		})
		if err != nil {
			return err
		}
	}
	return nil
}
