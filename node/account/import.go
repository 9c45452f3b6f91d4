package account

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// ImportMembers checks and stores members in bulk, for the agency's
// import (agency.Service.ImportMembers, which checks who asks). They keep
// the status they come with and have no password: they set one with the
// password-reset link. Usernames and e-mails must be new; the whole import
// is refused (EINVALID/ECONFLICT naming the first bad record) before
// anything is written when one is not. Writes go through Badger's batch
// writer, synced at the end: the account's records, and the directory's
// public profiles through directory.Service.PutInBatch.
func (s *Service) ImportMembers(ctx context.Context, members []*twinfed.Member) error {
	seen := make(map[string]bool, 2*len(members))
	for i, m := range members {
		if !UsernameRE.MatchString(m.Username) {
			return twinfed.Errorf(twinfed.EINVALID, "record %d: %q is not a valid username", i, m.Username)
		}
		f := map[string]string{}
		CheckEmail(f, "email", m.Email)
		if len(f) > 0 {
			return twinfed.Errorf(twinfed.EINVALID, "record %d (%s): %q is not an e-mail address", i, m.Username, m.Email)
		}
		if seen["u/"+m.Username] || seen["e/"+NormEmail(m.Email)] {
			return twinfed.Errorf(twinfed.ECONFLICT, "record %d (%s): duplicate username or e-mail in the import", i, m.Username)
		}
		seen["u/"+m.Username], seen["e/"+NormEmail(m.Email)] = true, true
		if !m.Role.IsAgency() {
			m.Role = twinfed.RoleMember
		}
		if m.Status == "" {
			m.Status = twinfed.StatusValidated
		}
		m.Country = s.cfg.Country
	}
	err := s.store.View(func(txn *badger.Txn) error {
		for i, m := range members {
			for _, k := range []string{store.PrefixMember + m.Username, store.PrefixDeleted + m.Username, store.PrefixEmail + NormEmail(m.Email)} {
				if ok, err := store.Exists(txn, k); err != nil {
					return err
				} else if ok {
					return twinfed.Errorf(twinfed.ECONFLICT, "record %d (%s): the username or e-mail is already registered", i, m.Username)
				}
			}
		}
		return nil
	})
	if err != nil {
		return s.internal("import", err)
	}
	wb := s.store.DB().NewWriteBatch()
	defer wb.Cancel()
	for _, m := range members {
		b, err := json.Marshal(m)
		if err != nil {
			return s.internal("import", err)
		}
		kv := map[string][]byte{
			store.PrefixMember + m.Username:                          b,
			store.PrefixEmail + NormEmail(m.Email):                   []byte(m.Username),
			store.PrefixStatus + string(m.Status) + "/" + m.Username: nil,
		}
		for k, v := range kv {
			if err := wb.Set([]byte(k), v); err != nil {
				return s.internal("import", err)
			}
		}
		// The directory holds the public profile; other nodes fetch
		// imported members by backfill rather than by 45 pushes each.
		if pp := s.PublicOf(m); pp != nil {
			if err := s.dir.PutInBatch(wb, pp); err != nil {
				return s.internal("import", err)
			}
		}
	}
	if err := wb.Flush(); err != nil {
		return s.internal("import", fmt.Errorf("flush: %w", err))
	}
	if err := s.store.DB().Sync(); err != nil {
		return s.internal("import sync", err)
	}
	s.dir.Imported() // the batch wrote directory records without Update
	return nil
}
