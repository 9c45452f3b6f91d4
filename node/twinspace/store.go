package twinspace

import (
	"errors"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// The TwinSpace's records: ts/<project> (the TwinSpace, on the home node)
// and tp/<project> <time>/<id> (its posts, in time order).

// openTwinSpace creates the project's TwinSpace on its home node. There is
// exactly one per project: a second call is refused.
func (s *Service) openTwinSpace(txn *badger.Txn, p *twinfed.Project) error {
	key := []byte(store.PrefixTwinSpace + p.ID)
	if _, err := txn.Get(key); err == nil {
		return twinfed.Errorf(twinfed.ECONFLICT, "This project already has its TwinSpace; there is exactly one per project.")
	} else if !errors.Is(err, badger.ErrKeyNotFound) {
		return err
	}
	ts := TwinSpace{Project: p.ID, URL: twinfed.TwinSpaceURL(p.ID), Opened: s.now().UTC()}
	for _, pt := range p.Partners {
		if pt.Role != twinfed.RolePartner {
			ts.Admins = append(ts.Admins, pt.Actor)
		}
	}
	p.TwinSpace = ts.URL
	return store.SetJSON(txn, string(key), ts)
}

func postKey(project string, at time.Time, id string) string {
	return store.PrefixPost + project + " " + at.UTC().Format(time.RFC3339Nano) + "/" + id
}

// storePost stores post n on the board of p's TwinSpace, its content
// sanitised.
func (s *Service) storePost(txn *badger.Txn, p *twinfed.Project, n *twinfed.Note) error {
	content := s.html.Sanitize(n.Content)
	if strings.TrimSpace(content) == "" {
		return drop("empty post %s", n.ID)
	}
	name := ""
	if pt := p.Partner(n.From); pt != nil {
		name = pt.Name
	}
	return store.SetJSON(txn, postKey(p.ID, n.Published, n.ID), TwinSpacePost{ID: n.ID, Project: p.ID, Author: n.From, Name: name, Content: content, Published: n.Published})
}
