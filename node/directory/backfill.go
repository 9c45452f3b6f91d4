package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// The backfill: each node serves its members' public profiles to the
// other nodes (LocalProfiles, behind an HTTP-signature check), and pages
// through theirs (Backfill), so that a profile missed while a node was
// away, or a whole new node, reaches the directory.

// DirectoryPageOf is a page of this node's public profiles, for other
// nodes' backfill: after is the last username of the previous page.
type DirectoryPageOf struct {
	Profiles []*twinfed.Profile `json:"profiles"`
	Next     string             `json:"next,omitempty"` // empty at the end
}

// LocalProfiles returns up to limit public profiles of validated members
// whose username sorts after after.
func (s *Service) LocalProfiles(ctx context.Context, after string, limit int) (*DirectoryPageOf, error) {
	limit = min(max(limit, 1), 1000)
	out := &DirectoryPageOf{Profiles: []*twinfed.Profile{}}
	last := ""
	err := s.store.View(func(txn *badger.Txn) error {
		more, err := s.members.EachMemberAfter(txn, after, func(m *twinfed.Member) bool {
			last = m.Username
			if p := s.members.PublicOf(m); p != nil {
				out.Profiles = append(out.Profiles, p)
			}
			return len(out.Profiles) < limit
		})
		if more {
			out.Next = last
		}
		return err
	})
	return out, s.internal("local profiles", err)
}

// Fetcher makes a signed GET to another node and returns the body: what the
// federation offers for backfill.
type Fetcher func(ctx context.Context, rawURL string) ([]byte, error)

// BackfillPath is where a node serves its public profiles to other nodes.
const BackfillPath = "/directory/profiles"

// Backfill pages through every other node's public profiles (then runs
// the steps OnBackfill added: the public projects) and stores those newer
// than what the directory holds; profiles of that node the directory
// holds but the node no longer lists are removed. It returns the number
// of profiles stored and the first error met (other nodes are still
// done).
func (s *Service) Backfill(ctx context.Context, fetch Fetcher) (int, error) {
	var firstErr error
	total := 0
	for _, agency := range s.OtherNodes(ctx) {
		base := strings.TrimSuffix(agency, "/agency")
		// A node that answers 404 does not serve the backfill (another
		// version, another server): the fetcher backs off from asking it
		// and the federation status shows it; it is no reason to run the
		// whole backfill again soon.
		notServed := false
		f := func(ctx context.Context, u string) ([]byte, error) {
			b, err := fetch(ctx, u)
			if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
				notServed = true
			}
			return b, err
		}
		n, err := s.backfillNode(ctx, f, base)
		for _, step := range s.backfills {
			if err != nil {
				break
			}
			err = step(ctx, f, base)
		}
		total += n
		if err != nil && notServed {
			s.log.Info("directory: backfill not served", "node", base, "err", err)
			continue
		}
		if err != nil {
			s.log.Warn("directory: backfill", "node", base, "err", err)
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	return total, firstErr
}

func (s *Service) backfillNode(ctx context.Context, fetch Fetcher, base string) (int, error) {
	host := twinfed.URLHost(base)
	country, err := s.registry.CountryByHost(ctx, host)
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	stored := 0
	err = BackfillPages(ctx, s.update, fetch, base+BackfillPath+"?limit=500&after=", "backfill from "+host,
		func(pg *DirectoryPageOf) string { return pg.Next },
		func(txn *badger.Txn, pg *DirectoryPageOf) error {
			for _, p := range pg.Profiles {
				if twinfed.URLHost(p.ID) != host || p.Country != country.Code {
					return fmt.Errorf("backfill from %s: profile %s is not one of that node's members", host, p.ID)
				}
				seen[p.ID] = true
				if old := s.Get(txn, p.ID); old != nil && !p.Updated.After(old.Updated) {
					continue
				}
				if err := s.Put(txn, s.cleanProfile(p)); err != nil {
					return err
				}
				stored++
			}
			return nil
		})
	if err != nil {
		return stored, err
	}
	// Profiles of that node it no longer lists were deleted or hidden.
	var gone []string
	_ = s.store.View(func(txn *badger.Txn) error {
		for _, k := range store.KeysUnder(txn, store.PrefixDirProfile+strings.TrimRight(base, "/")+"/", 0) {
			id := strings.TrimRight(base, "/") + "/" + k
			if !seen[id] {
				gone = append(gone, id)
			}
		}
		return nil
	})
	if len(gone) > 0 {
		err := s.update(func(txn *badger.Txn) error {
			for _, id := range gone {
				if err := s.Remove(txn, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return stored, err
		}
	}
	s.log.Info("directory: backfilled", "node", host, "stored", stored, "removed", len(gone))
	return stored, nil
}

// BackfillPages pages through a listing another node serves for backfill
// (signed GETs of u followed by the last page's Next, escaped), decoding
// each page into P and storing it with put in one transaction run by
// update, until the last page. what names the listing in errors.
func BackfillPages[P any](ctx context.Context, update func(func(*badger.Txn) error) error, fetch Fetcher, u, what string, next func(*P) string, put func(*badger.Txn, *P) error) error {
	after := ""
	for range 10000 {
		body, err := fetch(ctx, u+url.QueryEscape(after))
		if err != nil {
			return err
		}
		var pg P
		if err := json.Unmarshal(body, &pg); err != nil {
			return fmt.Errorf("%s: the page is not the JSON expected: %w", what, err)
		}
		if err := update(func(txn *badger.Txn) error { return put(txn, &pg) }); err != nil {
			return err
		}
		n := next(&pg)
		if n == "" || n == after {
			return nil
		}
		after = n
	}
	return nil
}

// update runs fn in a store transaction and wakes the indexer after a
// successful commit.
func (s *Service) update(fn func(txn *badger.Txn) error) error {
	if err := s.store.Update(fn); err != nil {
		return err
	}
	s.Wake()
	return nil
}

// RunBackfill runs Backfill a few seconds after it is called and then
// every interval until ctx ends; after a failure (a node that has just
// joined may not be known everywhere yet) it retries soon, then less
// often.
func (s *Service) RunBackfill(ctx context.Context, fetch Fetcher, every time.Duration) {
	wait, retry := 3*time.Second, 10*time.Second
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if _, err := s.Backfill(ctx, fetch); err != nil {
			s.log.Warn("directory backfill incomplete; retrying", "in", retry, "err", err)
			wait, retry = retry, min(2*retry, every, 5*time.Minute)
		} else {
			wait, retry = every, 10*time.Second
		}
	}
}
