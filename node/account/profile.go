package account

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/store"
)

// AccountUpdate is the editable personal part of an account. Empty strings
// keep the current value. A new e-mail address is not taken at once: it
// waits for the confirmation of the new address (see email_change.go).
type AccountUpdate struct {
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Email     string `json:"email,omitempty"`
	Locale    string `json:"locale,omitempty"`
	// TimeZone is the IANA zone the member reads times in, one of
	// twinfed.TimeZones; ZoneDefault goes back to the node country's.
	TimeZone string `json:"time_zone,omitempty"`
	// CancelEmailChange drops the change of address waiting for
	// confirmation; its link stops working.
	CancelEmailChange bool `json:"cancel_email_change,omitempty"`
}

// ZoneDefault, as AccountUpdate.TimeZone, sets the member's times back to
// the node country's zone.
const ZoneDefault = "default"

// UpdateAccount changes the member's names, language or time zone at once. A
// different e-mail address is recorded as a pending change, replacing any
// earlier one: a single-use link goes to the new address, a notice without
// it to the current one, and the account keeps its address until
// ConfirmEmailChange. The username never changes. ECONFLICT when the
// e-mail belongs to another account.
func (s *Service) UpdateAccount(ctx context.Context, p *twinfed.Principal, u AccountUpdate) (*twinfed.Member, error) {
	f := map[string]string{}
	if u.FirstName != "" {
		CheckName(f, "first_name", u.FirstName, "first name")
	}
	if u.LastName != "" {
		CheckName(f, "last_name", u.LastName, "last name")
	}
	u.Email = strings.TrimSpace(u.Email)
	if u.Email != "" {
		CheckEmail(f, "email", u.Email)
	}
	if u.Locale != "" && !twinfed.IsUILanguage(u.Locale) {
		f["locale"] = "Choose a language from the list."
	}
	if u.TimeZone != "" && u.TimeZone != ZoneDefault && !twinfed.ValidTimeZone(u.TimeZone) {
		f["time_zone"] = "Choose a time zone from the list."
	}
	if err := invalid(f); err != nil {
		return nil, err
	}
	var m *twinfed.Member
	var token string
	var change *EmailChange
	err := s.update(func(txn *badger.Txn) error {
		token, change = "", nil
		old, err := LoadMember(txn, p.Username)
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
		switch u.TimeZone {
		case "":
		case ZoneDefault:
			m.TimeZone = ""
		default:
			m.TimeZone = u.TimeZone
		}
		if u.CancelEmailChange {
			if err := txn.Delete([]byte(store.PrefixEmailChange + old.Username)); err != nil {
				return err
			}
		}
		if u.Email != "" && NormEmail(u.Email) != NormEmail(old.Email) {
			if token, change, err = s.requestEmailChange(txn, old.Username, u.Email); err != nil {
				return err
			}
		}
		m.Updated = s.now().UTC()
		return s.SaveMember(ctx, txn, old, m)
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
	if err := s.CheckPreferences(&pr); err != nil {
		return nil, err
	}
	var m *twinfed.Member
	err := s.update(func(txn *badger.Txn) error {
		old, err := LoadMember(txn, p.Username)
		if err != nil {
			return err
		}
		if old.Status == twinfed.StatusUnconfirmed {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "Confirm your e-mail address first.")
		}
		m = ptrCopy(old)
		ApplyPreferences(m, pr)
		m.Updated = s.now().UTC()
		return s.SaveMember(ctx, txn, old, m)
	})
	return m, s.internal("update profile", err)
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
		old, err := LoadMember(txn, p.Username)
		if err != nil {
			return err
		}
		m := ptrCopy(old)
		m.HasPhoto, m.Updated = true, s.now().UTC()
		if err := txn.Set([]byte(store.PrefixPhoto+p.Username), append([]byte(ct+"\x00"), data...)); err != nil {
			return err
		}
		return s.SaveMember(ctx, txn, old, m)
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
	Exported time.Time        `json:"exported"`
	Node     string           `json:"node"`
	Account  *twinfed.Member  `json:"account"`
	Public   *twinfed.Profile `json:"public_profile"`
	// Proposals are the schools the member proposed (the registration's
	// records); nil when there are none.
	Proposals any  `json:"school_proposals,omitempty"`
	HasPhoto  bool `json:"has_photo"`
	// EmailChange is the change of address waiting for confirmation, if any.
	EmailChange *EmailChange `json:"email_change,omitempty"`
	// NoticePrefs are the member's e-mail preferences per kind of
	// notification, the ones they chose (the others have their default).
	NoticePrefs notice.Prefs `json:"notification_email_preferences,omitempty"`
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
		if s.notices != nil {
			var err error
			if out.NoticePrefs, err = s.notices.Prefs(txn, p.Username); err != nil {
				return err
			}
		}
		if s.props == nil {
			return nil
		}
		var err error
		out.Proposals, err = s.props.ProposedBy(txn, p.Username)
		return err
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
// address waiting for confirmation, and what the features registered
// with OnDelete hold. Kept: a tombstone with the username and
// dates (the actor id must never be reused), the anonymous registration
// count of its week, and the name of a school the member proposed if the
// agency validated it (it belongs to the registry).
func (s *Service) DeleteAccount(ctx context.Context, p *twinfed.Principal, password string) error {
	var cred credentials
	if err := s.store.View(func(txn *badger.Txn) error { return store.GetJSON(txn, store.PrefixCred+p.Username, &cred) }); err != nil {
		return s.internal("delete account", err)
	}
	if ok, err := s.checkPassword(ctx, cred.PasswordHash, password); err != nil {
		return err
	} else if !ok {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: "Your password is wrong.", Fields: map[string]string{"password": "Your password is wrong."}}
	}
	return s.internal("delete account", s.update(func(txn *badger.Txn) error {
		m, err := LoadMember(txn, p.Username)
		if err != nil {
			return err
		}
		for _, k := range []string{store.PrefixMember + m.Username, store.PrefixCred + m.Username, store.PrefixEmail + NormEmail(m.Email), store.PrefixStatus + string(m.Status) + "/" + m.Username, store.PrefixPhoto + m.Username, store.PrefixEmailChange + m.Username} {
			if err := txn.Delete([]byte(k)); err != nil {
				return err
			}
		}
		// The directory and every other node forget the public profile;
		// the other features erase what they hold (OnDelete): proposals
		// lose the proposer's name, contacts, follows, notifications and
		// messages are erased.
		if err := s.ProfileChanged(ctx, txn, s.PublicOf(m), nil, true); err != nil {
			return err
		}
		for _, h := range s.deleted {
			if err := h(txn, m.Username); err != nil {
				return err
			}
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
			m, err := LoadMember(txn, u)
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
