package node

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// ActorSource is what the federation package needs of the node to serve
// member actors.
type ActorSource interface {
	// LocalProfile returns a validated member's public profile; ENOTFOUND otherwise.
	LocalProfile(ctx context.Context, username string) (*twinfed.Profile, error)
}

var _ ActorSource = (*Service)(nil)

// PhotoURL returns the URL of a member's photo.
func (s *Service) PhotoURL(username string) string {
	return twinfed.ActorURL(s.cfg.BaseURL, username) + "/photo"
}

// LocalProfile returns the public profile of a validated member of this
// node: only the fields the member chose to show. ENOTFOUND for an unknown,
// deleted or not yet validated member, and for agency staff.
func (s *Service) LocalProfile(ctx context.Context, username string) (*twinfed.Profile, error) {
	p, _, _, err := s.localProfile(ctx, username)
	return p, err
}

// localProfile is LocalProfile with, when the profile was read from its
// directory record, that record's key and the stamp it had before the
// read (see dirStamps): what the profile page cache keeps the page with.
// The record is written with every change of what the page shows (a
// profile change, a hidden field; a deletion removes it). dirKey is ""
// when the profile came from the member's record.
func (s *Service) localProfile(ctx context.Context, username string) (p *twinfed.Profile, dirKey string, stamp uint64, err error) {
	// The directory holds every shown member's public profile, written in
	// the same transaction as the member (saveMember): one small record to
	// read and decode instead of the whole account. The member's record
	// answers for everyone else (not shown, or a username spelt otherwise).
	id := twinfed.ActorURL(s.cfg.BaseURL, username)
	key := store.PrefixDirProfile + id
	stamp = s.stamps.get(key) // before the read: a write after it changes the stamp
	_ = s.store.View(func(txn *badger.Txn) error { p = s.dirGet(txn, id); return nil })
	if p != nil && p.Username == username {
		return p, key, stamp, nil
	}
	m, err := s.Member(ctx, username)
	if err != nil {
		return nil, "", 0, err
	}
	if m.Status != twinfed.StatusValidated || m.Role != twinfed.RoleMember {
		return nil, "", 0, twinfed.Errorf(twinfed.ENOTFOUND, "There is no member %q on this node.", username)
	}
	return m.PublicProfile(id, s.PhotoURL(username)), "", 0, nil
}

// AccountUpdate is the editable personal part of an account. Empty strings
// keep the current value. A new e-mail address is not taken at once: it
// waits for the confirmation of the new address (see email_change.go).
type AccountUpdate struct {
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Email     string `json:"email,omitempty"`
	Locale    string `json:"locale,omitempty"`
	// CancelEmailChange drops the change of address waiting for
	// confirmation; its link stops working.
	CancelEmailChange bool `json:"cancel_email_change,omitempty"`
}

// UpdateAccount changes the member's names or language at once. A
// different e-mail address is recorded as a pending change, replacing any
// earlier one: a single-use link goes to the new address, a notice without
// it to the current one, and the account keeps its address until
// ConfirmEmailChange. The username never changes. ECONFLICT when the
// e-mail belongs to another account.
func (s *Service) UpdateAccount(ctx context.Context, p *twinfed.Principal, u AccountUpdate) (*twinfed.Member, error) {
	f := map[string]string{}
	if u.FirstName != "" {
		checkName(f, "first_name", u.FirstName, "first name")
	}
	if u.LastName != "" {
		checkName(f, "last_name", u.LastName, "last name")
	}
	u.Email = strings.TrimSpace(u.Email)
	if u.Email != "" {
		checkEmail(f, "email", u.Email)
	}
	if u.Locale != "" && !slices.Contains([]string{"en", "it", "fr", "es"}, u.Locale) {
		f["locale"] = "Choose a language from the list."
	}
	if err := invalid(f); err != nil {
		return nil, err
	}
	var m *twinfed.Member
	var token string
	var change *EmailChange
	err := s.update(func(txn *badger.Txn) error {
		token, change = "", nil
		old, err := getMember(txn, p.Username)
		if err != nil {
			return err
		}
		m = ptrCopy(old)
		if u.FirstName != "" {
			m.FirstName = strings.TrimSpace(u.FirstName)
		}
		if u.LastName != "" {
			m.LastName = strings.TrimSpace(u.LastName)
		}
		if u.Locale != "" {
			m.Locale = u.Locale
		}
		if u.CancelEmailChange {
			if err := txn.Delete([]byte(store.PrefixEmailChange + old.Username)); err != nil {
				return err
			}
		}
		if u.Email != "" && normEmail(u.Email) != normEmail(old.Email) {
			if token, change, err = s.requestEmailChange(txn, old.Username, u.Email); err != nil {
				return err
			}
		}
		m.Updated = s.now().UTC()
		return s.saveMember(ctx, txn, old, m)
	})
	if err != nil {
		return nil, s.internal("update account", err)
	}
	if change != nil {
		s.mailEmailChange(ctx, m, change, token)
	}
	return m, nil
}

// UpdateProfile changes the member's preferences and public fields at any
// time after the e-mail is confirmed.
func (s *Service) UpdateProfile(ctx context.Context, p *twinfed.Principal, pr Preferences) (*twinfed.Member, error) {
	if err := s.checkPreferences(&pr); err != nil {
		return nil, err
	}
	var m *twinfed.Member
	err := s.update(func(txn *badger.Txn) error {
		old, err := getMember(txn, p.Username)
		if err != nil {
			return err
		}
		if old.Status == twinfed.StatusUnconfirmed {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "Confirm your e-mail address first.")
		}
		m = ptrCopy(old)
		applyPreferences(m, pr)
		m.Updated = s.now().UTC()
		return s.saveMember(ctx, txn, old, m)
	})
	return m, s.internal("update profile", err)
}

// AddSchool adds a further school (a member who teaches in several, or
// moved) with the member's role there. Only validated members add schools;
// a proposed school waits for the agency like at registration.
func (s *Service) AddSchool(ctx context.Context, p *twinfed.Principal, c SchoolChoice, role string) (*twinfed.Member, error) {
	if !slices.Contains(twinfed.SchoolRoles, role) {
		return nil, twinfed.FieldError("role", "Choose your role at the school from the list.")
	}
	if err := s.cfg.Policy.CheckRole(role); err != nil {
		return nil, err
	}
	if cur, err := s.Member(ctx, p.Username); err != nil {
		return nil, err
	} else if cur.Status != twinfed.StatusValidated {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "You can add schools once the agency has validated your registration.")
	}
	ms, prop, err := s.resolveSchool(ctx, p.Username, c)
	if err != nil {
		return nil, err
	}
	ms.Role = role
	var m *twinfed.Member
	err = s.update(func(txn *badger.Txn) error {
		old, err := getMember(txn, p.Username)
		if err != nil {
			return err
		}
		if old.Status != twinfed.StatusValidated {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "You can add schools once the agency has validated your registration.")
		}
		for _, have := range old.Schools {
			if have.SchoolID != "" && have.SchoolID == ms.SchoolID {
				return twinfed.FieldError("school_id", "This school is already in your profile.")
			}
		}
		if len(old.Schools) >= 5 {
			return twinfed.Errorf(twinfed.EINVALID, "A profile holds at most 5 schools; remove one first.")
		}
		m = ptrCopy(old)
		m.Schools = append(slices.Clone(old.Schools), ms)
		if prop != nil {
			if err := store.SetJSON(txn, store.PrefixProposal+prop.ID, prop); err != nil {
				return err
			}
		}
		m.Updated = s.now().UTC()
		return s.saveMember(ctx, txn, old, m)
	})
	return m, s.internal("add school", err)
}

// RemoveSchool removes one of the member's further schools (index ≥ 1;
// the main school is changed, not removed).
func (s *Service) RemoveSchool(ctx context.Context, p *twinfed.Principal, index int) (*twinfed.Member, error) {
	var m *twinfed.Member
	err := s.update(func(txn *badger.Txn) error {
		old, err := getMember(txn, p.Username)
		if err != nil {
			return err
		}
		if index < 1 || index >= len(old.Schools) {
			return twinfed.Errorf(twinfed.EINVALID, "There is no such further school in your profile.")
		}
		m = ptrCopy(old)
		m.Schools = slices.Delete(slices.Clone(old.Schools), index, index+1)
		m.Updated = s.now().UTC()
		return s.saveMember(ctx, txn, old, m)
	})
	return m, s.internal("remove school", err)
}

// Accepted photo types.
var photoTypes = []string{"image/jpeg", "image/png", "image/webp"}

// SetPhoto stores the member's photo. The caller limits the size (the
// server rejects oversized uploads with ETOOLARGE before reading them).
func (s *Service) SetPhoto(ctx context.Context, p *twinfed.Principal, data []byte) error {
	ct := http.DetectContentType(data)
	if !slices.Contains(photoTypes, ct) {
		return twinfed.FieldError("photo", "Upload a JPEG, PNG or WebP image.")
	}
	return s.internal("set photo", s.update(func(txn *badger.Txn) error {
		old, err := getMember(txn, p.Username)
		if err != nil {
			return err
		}
		m := ptrCopy(old)
		m.HasPhoto, m.Updated = true, s.now().UTC()
		if err := txn.Set([]byte(store.PrefixPhoto+p.Username), append([]byte(ct+"\x00"), data...)); err != nil {
			return err
		}
		return s.saveMember(ctx, txn, old, m)
	}))
}

// Photo returns a member's photo and its content type when it is public
// (or asked by its owner or the agency).
func (s *Service) Photo(ctx context.Context, viewer *twinfed.Principal, username string) ([]byte, string, error) {
	m, err := s.Member(ctx, username)
	if err != nil {
		return nil, "", err
	}
	own := viewer != nil && (viewer.Username == username || viewer.IsAgency())
	if !m.HasPhoto || (!own && (m.Status != twinfed.StatusValidated || !m.IsPublic(twinfed.PublicPhoto))) {
		return nil, "", twinfed.Errorf(twinfed.ENOTFOUND, "No photo.")
	}
	var raw []byte
	err = s.store.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(store.PrefixPhoto + username))
		if err != nil {
			return err
		}
		raw, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		return nil, "", twinfed.Errorf(twinfed.ENOTFOUND, "No photo.")
	}
	ct, data, _ := bytes.Cut(raw, []byte{0})
	return data, string(ct), nil
}

// DataExport is everything the node holds about a member, for download.
type DataExport struct {
	Exported  time.Time         `json:"exported"`
	Node      string            `json:"node"`
	Account   *twinfed.Member   `json:"account"`
	Public    *twinfed.Profile  `json:"public_profile"`
	Proposals []*SchoolProposal `json:"school_proposals,omitempty"`
	HasPhoto  bool              `json:"has_photo"`
	// EmailChange is the change of address waiting for confirmation, if any.
	EmailChange *EmailChange `json:"email_change,omitempty"`
	Note        string       `json:"note"`
}

// Export returns the member's data.
func (s *Service) Export(ctx context.Context, p *twinfed.Principal) (*DataExport, error) {
	m, err := s.Member(ctx, p.Username)
	if err != nil {
		return nil, err
	}
	out := &DataExport{Exported: s.now().UTC(), Node: s.cfg.BaseURL, Account: m, HasPhoto: m.HasPhoto,
		Public: m.PublicProfile(twinfed.ActorURL(s.cfg.BaseURL, m.Username), s.PhotoURL(m.Username)),
		Note:   "Your password is stored only as an argon2id hash and is not included. Your photo is at " + s.PhotoURL(m.Username) + "."}
	err = s.store.View(func(txn *badger.Txn) error {
		var ch emailChange
		if err := store.GetJSON(txn, store.PrefixEmailChange+p.Username, &ch); err == nil {
			out.EmailChange = &ch.EmailChange
		} else if twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			return err
		}
		return store.EachJSON(txn, store.PrefixProposal, func(sp *SchoolProposal) error {
			if sp.ProposedBy == p.Username {
				out.Proposals = append(out.Proposals, sp)
			}
			return nil
		})
	})
	return out, s.internal("export", err)
}

// tombstone is what stays of a deleted account: the username, so that the
// actor id is never given to another person, and the dates.
type tombstone struct {
	Username string    `json:"username"`
	Created  time.Time `json:"created"`
	Deleted  time.Time `json:"deleted"`
}

// DeleteAccount erases the member's personal data after checking the
// password: the record, credentials, e-mail index, photo, a change of
// address waiting for confirmation. Kept: a tombstone with the username and
// dates (the actor id must never be reused), the anonymous registration
// count of its week, and the name of a school the member proposed if the
// agency validated it (it belongs to the registry).
func (s *Service) DeleteAccount(ctx context.Context, p *twinfed.Principal, password string) error {
	var cred credentials
	if err := s.store.View(func(txn *badger.Txn) error { return store.GetJSON(txn, store.PrefixCred+p.Username, &cred) }); err != nil {
		return s.internal("delete account", err)
	}
	if !checkPassword(cred.PasswordHash, password) {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: "Your password is wrong.", Fields: map[string]string{"password": "Your password is wrong."}}
	}
	return s.internal("delete account", s.update(func(txn *badger.Txn) error {
		m, err := getMember(txn, p.Username)
		if err != nil {
			return err
		}
		for _, k := range []string{store.PrefixMember + m.Username, store.PrefixCred + m.Username, store.PrefixEmail + normEmail(m.Email), store.PrefixStatus + string(m.Status) + "/" + m.Username, store.PrefixPhoto + m.Username, store.PrefixEmailChange + m.Username} {
			if err := txn.Delete([]byte(k)); err != nil {
				return err
			}
		}
		// Proposals still pending carry the proposer's name only; drop the link.
		var props []*SchoolProposal
		if err := store.EachJSON(txn, store.PrefixProposal, func(sp *SchoolProposal) error {
			if sp.ProposedBy == m.Username {
				props = append(props, sp)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, sp := range props {
			sp.ProposedBy = ""
			if err := store.SetJSON(txn, store.PrefixProposal+sp.ID, sp); err != nil {
				return err
			}
		}
		// The directory and every other node forget the public profile;
		// contacts, follows, notifications and messages are erased.
		if err := s.profileChanged(ctx, txn, s.publicOf(m), nil, true); err != nil {
			return err
		}
		if err := s.eraseSocial(txn, m.Username); err != nil {
			return err
		}
		if err := s.forgetPeer(txn, twinfed.ActorURL(s.cfg.BaseURL, m.Username)); err != nil {
			return err
		}
		return store.SetJSON(txn, store.PrefixDeleted+m.Username, tombstone{Username: m.Username, Created: m.Created, Deleted: s.now().UTC()})
	}))
}

// People returns validated members, newest first by username order within
// the page (the directory's "new people"). Only validated members may
// browse it.
func (s *Service) People(ctx context.Context, viewer *twinfed.Principal, query string, limit int) ([]*twinfed.Profile, error) {
	if viewer == nil || (viewer.Status != twinfed.StatusValidated && !viewer.IsAgency()) {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "The people directory opens once the agency has validated your registration.")
	}
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	query = strings.ToLower(strings.TrimSpace(query))
	var out []*twinfed.Profile
	err := s.store.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = []byte(store.PrefixStatus + string(twinfed.StatusValidated) + "/")
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid() && len(out) < limit; it.Next() {
			u := strings.TrimPrefix(string(it.Item().Key()), string(opts.Prefix))
			m, err := getMember(txn, u)
			if err != nil {
				return err
			}
			if m.Role != twinfed.RoleMember {
				continue
			}
			pp := m.PublicProfile(twinfed.ActorURL(s.cfg.BaseURL, u), s.PhotoURL(u))
			if query != "" && !strings.Contains(strings.ToLower(pp.Name+" "+pp.SchoolName+" "+strings.Join(pp.Subjects, " ")), query) {
				continue
			}
			out = append(out, pp)
		}
		return nil
	})
	return out, s.internal("people", err)
}
