package registration

import (
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// The registration's records: the school proposals (store.PrefixProposal)
// and the count of submissions per ISO week (store.PrefixRegWeekly). The
// agency reads and decides the proposals through the methods below.

// ProposalIn returns a school proposal as of txn; ENOTFOUND when there is
// none with this id.
func (s *Service) ProposalIn(txn *badger.Txn, id string) (*twinfed.SchoolProposal, error) {
	var sp twinfed.SchoolProposal
	if err := store.GetJSON(txn, store.PrefixProposal+id, &sp); err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no school proposal %q.", id)
		}
		return nil, err
	}
	return &sp, nil
}

// PutProposal writes a school proposal in txn.
func (s *Service) PutProposal(txn *badger.Txn, sp *twinfed.SchoolProposal) error {
	return store.SetJSON(txn, store.PrefixProposal+sp.ID, sp)
}

// EachProposal calls fn with every school proposal, in key order; an error
// from fn stops the walk and is returned.
func (s *Service) EachProposal(txn *badger.Txn, fn func(*twinfed.SchoolProposal) error) error {
	return store.EachJSON(txn, store.PrefixProposal, fn)
}

// ProposedBy returns the school proposals username made, within txn (the
// account's export; account.Proposals), nil when there are none.
func (s *Service) ProposedBy(txn *badger.Txn, username string) (any, error) {
	var out []*twinfed.SchoolProposal
	err := store.EachJSON(txn, store.PrefixProposal, func(sp *twinfed.SchoolProposal) error {
		if sp.ProposedBy == username {
			out = append(out, sp)
		}
		return nil
	})
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return out, nil
}

// UnlinkProposals is the account's deletion hook (account.OnDelete): a
// deleted member's proposals, decided or still pending, keep no link to
// them.
func (s *Service) UnlinkProposals(txn *badger.Txn, username string) error {
	var props []*twinfed.SchoolProposal
	if err := store.EachJSON(txn, store.PrefixProposal, func(sp *twinfed.SchoolProposal) error {
		if sp.ProposedBy == username {
			props = append(props, sp)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, sp := range props {
		sp.ProposedBy = ""
		if err := s.PutProposal(txn, sp); err != nil {
			return err
		}
	}
	return nil
}

// RegistrationStep is the step a member is at, the root rule
// twinfed.RegistrationStep (the account's pages ask it: account.Registration).
func (s *Service) RegistrationStep(m *twinfed.Member) int { return twinfed.RegistrationStep(m) }

// SubmissionsPerWeek returns the number of registrations submitted in each
// ISO week (e.g. "2026-W47"), for the agency's statistics.
func (s *Service) SubmissionsPerWeek(txn *badger.Txn) map[string]int {
	weeks := map[string]int{}
	for _, k := range store.KeysUnder(txn, store.PrefixRegWeekly, 0) {
		w, _, _ := strings.Cut(k, "/")
		weeks[w]++
	}
	return weeks
}

// countSubmission counts a submission in the ISO week of now:
// rw/<yyyy>-W<ww>/<random id>.
func countSubmission(txn *badger.Txn, now time.Time) error {
	y, w := now.ISOWeek()
	return txn.Set([]byte(store.PrefixRegWeekly+weekKey(y, w)+"/"+store.NewID()), nil)
}

func weekKey(y, w int) string {
	return strings.TrimSpace(strings.Join([]string{itoa4(y), "W" + itoa2(w)}, "-"))
}

func itoa4(n int) string {
	return string([]byte{byte('0' + n/1000%10), byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
}
func itoa2(n int) string { return string([]byte{byte('0' + n/10%10), byte('0' + n%10)}) }
