package account

import (
	"context"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// usageTTL is how long Usage keeps its counts: NodeInfo is public, and
// counting reads every validated member.
const usageTTL = time.Minute

// usageCache holds the last counts of Usage.
type usageCache struct {
	mu sync.Mutex
	at time.Time
	u  twinfed.Usage
}

// Usage counts the node's users for NodeInfo: validated members (agency
// staff excepted) and, by their last login, how many were active in the
// last 30 and 180 days. LocalPosts stays 0: the node does not count posts.
// The counts are at most a minute old.
func (s *Service) Usage(ctx context.Context) (twinfed.Usage, error) {
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	now := s.now()
	if !s.usage.at.IsZero() && now.Sub(s.usage.at) < usageTTL && !now.Before(s.usage.at) {
		return s.usage.u, nil
	}
	month, halfyear := now.AddDate(0, 0, -30), now.AddDate(0, 0, -180)
	var u twinfed.Usage
	err := s.store.View(func(txn *badger.Txn) error {
		for _, username := range store.KeysUnder(txn, store.PrefixStatus+string(twinfed.StatusValidated)+"/", 0) {
			var m twinfed.Member
			if err := store.GetJSON(txn, store.PrefixMember+username, &m); err != nil {
				return err
			}
			if m.Role != twinfed.RoleMember {
				continue
			}
			u.Users++
			if m.LastLogin.After(halfyear) {
				u.ActiveHalfyear++
			}
			if m.LastLogin.After(month) {
				u.ActiveMonth++
			}
		}
		return nil
	})
	if err != nil {
		return twinfed.Usage{}, s.internal("usage", err)
	}
	s.usage.at, s.usage.u = now, u
	return u, nil
}
