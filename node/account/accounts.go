package account

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// ErrRateLimited is returned by Login when too many attempts failed for the
// username from the same address; RetryAfter says for how long.
type ErrRateLimited struct{ RetryAfter time.Duration }

// Error says how long to wait.
func (e *ErrRateLimited) Error() string {
	return fmt.Sprintf("too many failed logins; try again in %s", e.RetryAfter.Round(time.Second))
}

// RetryIn is how long to wait before trying again (web.RateLimited: the
// pages and the API answer 429 with Retry-After).
func (e *ErrRateLimited) RetryIn() time.Duration { return e.RetryAfter }

var (
	_ web.RateLimited   = (*ErrRateLimited)(nil)
	_ web.Authenticator = (*Service)(nil)
)

// credentials hold an account's secrets, apart from the member record so
// that profile reads never load them.
type credentials struct {
	PasswordHash string    `json:"password_hash"`
	Changed      time.Time `json:"changed"`
}

// linkToken is a single-use link sent by e-mail.
type linkToken struct {
	Kind     string    `json:"kind"` // "confirm" or "reset"
	Username string    `json:"username"`
	Expires  time.Time `json:"expires"`
	Used     time.Time `json:"used,omitzero"`
}

// Session is a logged-in browser or API client.
type Session struct {
	Username string       `json:"username"`
	Role     twinfed.Role `json:"role"`
	Scope    string       `json:"scope,omitempty"` // for scoped accounts (pupils), later
	CSRF     string       `json:"csrf"`            // the session's CSRF token
	Created  time.Time    `json:"created"`
	Expires  time.Time    `json:"expires"`
}

// PreRegistration is the first form of registration.
type PreRegistration struct {
	FirstName       string `json:"first_name"`
	LastName        string `json:"last_name"`
	Email           string `json:"email"`
	EmailConfirm    string `json:"email_confirm"`
	Username        string `json:"username"`
	Password        string `json:"password"`
	PasswordConfirm string `json:"password_confirm"`
	Locale          string `json:"locale,omitempty"`
}

// PreRegister creates an unconfirmed account and e-mails a single-use link
// that continues the registration. EINVALID lists every wrong field;
// ECONFLICT is a username or e-mail already taken. Nothing is stored on error.
func (s *Service) PreRegister(ctx context.Context, r PreRegistration) (*twinfed.Member, error) {
	r.Username = strings.TrimSpace(r.Username)
	r.Email = strings.TrimSpace(r.Email)
	r.EmailConfirm = strings.TrimSpace(r.EmailConfirm)
	f := map[string]string{}
	CheckName(f, "first_name", r.FirstName, "first name")
	CheckName(f, "last_name", r.LastName, "last name")
	CheckEmail(f, "email", r.Email)
	if f["email"] == "" && NormEmail(r.Email) != NormEmail(r.EmailConfirm) {
		f["email_confirm"] = "The two e-mail addresses differ; type the same address twice."
	}
	if !UsernameRE.MatchString(r.Username) {
		f["username"] = "Choose a username of 3 to 30 characters: lower-case letters, digits, dot, dash or underscore, starting with a letter or digit."
	}
	CheckPasswordPolicy(f, "password", r.Password, r.PasswordConfirm, "password_confirm")
	if err := invalid(f); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, r.Password)
	if err != nil {
		return nil, s.internal("hash password", err)
	}
	now := s.now().UTC()
	m := &twinfed.Member{
		Username: r.Username, FirstName: strings.TrimSpace(r.FirstName), LastName: strings.TrimSpace(r.LastName),
		Email: r.Email, Country: s.cfg.Country, Role: twinfed.RoleMember, Status: twinfed.StatusUnconfirmed,
		Locale: r.Locale, Created: now, Updated: now,
		Public: []string{twinfed.PublicSchool, twinfed.PublicRole, twinfed.PublicSubjects, twinfed.PublicLanguages, twinfed.PublicPupilAges, twinfed.PublicDescription, twinfed.PublicInterests, twinfed.PublicAvailable, twinfed.PublicPhoto},
	}
	token, th := randomToken()
	err = s.update(func(txn *badger.Txn) error {
		if err := s.checkFree(txn, m.Username, m.Email); err != nil {
			return err
		}
		if err := s.SaveMember(ctx, txn, nil, m); err != nil {
			return err
		}
		if err := store.SetJSON(txn, store.PrefixCred+m.Username, credentials{PasswordHash: hash, Changed: now}); err != nil {
			return err
		}
		if err := txn.Set([]byte(store.PrefixEmail+NormEmail(m.Email)), []byte(m.Username)); err != nil {
			return err
		}
		return store.SetJSON(txn, store.PrefixToken+th, linkToken{Kind: "confirm", Username: m.Username, Expires: now.Add(s.cfg.ConfirmLinkTTL)})
	})
	if err != nil {
		return nil, s.internal("pre-register", err)
	}
	link := s.cfg.BaseURL + "/register/confirm?token=" + token
	s.sendMail(ctx, m, m.Email, web.Letter{Subject: "mail.confirm.subject",
		Parts: []web.LetterPart{web.Para("mail.confirm.body"), web.LinkPart(link), web.Para("mail.confirm.ignore")},
		Data:  map[string]any{"Duration": s.cat.FormatDuration(s.cat.MailLang(m.Locale), s.cfg.ConfirmLinkTTL)}})
	return m, nil
}

// checkFree returns ECONFLICT when username or e-mail is taken (a deleted
// account's username stays reserved).
func (s *Service) checkFree(txn *badger.Txn, username, email string) error {
	f := map[string]string{}
	if ok, err := store.Exists(txn, store.PrefixMember+username); err != nil {
		return err
	} else if ok {
		f["username"] = "This username is taken; choose another."
	} else if ok, err := store.Exists(txn, store.PrefixDeleted+username); err != nil {
		return err
	} else if ok {
		f["username"] = "This username is taken; choose another."
	}
	if email != "" {
		if ok, err := store.Exists(txn, store.PrefixEmail+NormEmail(email)); err != nil {
			return err
		} else if ok {
			f["email"] = "An account with this e-mail address exists already; log in or reset your password."
		}
	}
	if len(f) > 0 {
		return &twinfed.Error{Code: twinfed.ECONFLICT, Message: "This username or e-mail address is already registered.", Fields: f}
	}
	return nil
}

// useToken consumes a single-use link of the given kind: ENOTFOUND for an
// unknown token, ECONFLICT for one already used, EINVALID for an expired one.
func (s *Service) useToken(txn *badger.Txn, token, kind string) (*linkToken, error) {
	var t linkToken
	key := store.PrefixToken + tokenHash(token)
	if err := store.GetJSON(txn, key, &t); err != nil || t.Kind != kind {
		if err == nil || twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil, twinfed.Errorf(twinfed.ENOTFOUND, "This link is not valid. Check that you copied the whole link from the e-mail.")
		}
		return nil, err
	}
	if !t.Used.IsZero() {
		return nil, twinfed.Errorf(twinfed.ECONFLICT, "This link has already been used. Log in, or ask for a new link.")
	}
	now := s.now().UTC()
	if now.After(t.Expires) {
		return nil, twinfed.Errorf(twinfed.EINVALID, "This link has expired. Ask for a new one.")
	}
	t.Used = now
	return &t, store.SetJSON(txn, key, t)
}

// ConfirmEmail consumes the confirmation link, moves the member to the four
// registration steps and logs them in.
func (s *Service) ConfirmEmail(ctx context.Context, token string) (*twinfed.Member, string, *Session, error) {
	var m *twinfed.Member
	err := s.update(func(txn *badger.Txn) error {
		t, err := s.useToken(txn, token, "confirm")
		if err != nil {
			return err
		}
		old, err := LoadMember(txn, t.Username)
		if err != nil {
			return err
		}
		m = ptrCopy(old)
		if m.Status == twinfed.StatusUnconfirmed {
			m.Status = twinfed.StatusRegistering
			m.Updated = s.now().UTC()
		}
		return s.SaveMember(ctx, txn, old, m)
	})
	if err != nil {
		return nil, "", nil, s.internal("confirm", err)
	}
	tok, sess, err := s.newSession(m)
	return m, tok, sess, err
}

// ResendConfirmation sends a new confirmation link to an unconfirmed
// account's address. It answers the same whether or not the address is
// known, so that it does not reveal who is registered.
func (s *Service) ResendConfirmation(ctx context.Context, email string) error {
	m, token, err := s.linkByEmail(email, "confirm", s.cfg.ConfirmLinkTTL, func(m *twinfed.Member) bool { return m.Status == twinfed.StatusUnconfirmed })
	if err != nil {
		return s.internal("resend confirmation", err)
	}
	if m != nil {
		s.sendMail(ctx, m, m.Email, web.Letter{Subject: "mail.confirm.subject",
			Parts: []web.LetterPart{web.Para("mail.confirm.again"), web.LinkPart(s.cfg.BaseURL + "/register/confirm?token=" + token), web.Para("mail.confirm.ignore")},
			Data:  map[string]any{"Duration": s.cat.FormatDuration(s.cat.MailLang(m.Locale), s.cfg.ConfirmLinkTTL)}})
	}
	return nil
}

// Login checks a username (or e-mail) and password and opens a session.
// Failed attempts are limited per username and client address: beyond the
// limit it returns *ErrRateLimited without checking the password.
func (s *Service) Login(ctx context.Context, login, password, clientIP string) (*twinfed.Member, string, *Session, error) {
	login = strings.TrimSpace(login)
	key := strings.ToLower(login) + "|" + clientIP
	if ok, wait := s.limiter.allowed(key); !ok {
		s.logins.WithLabelValues("rate_limited").Inc()
		return nil, "", nil, &ErrRateLimited{RetryAfter: wait}
	}
	var m *twinfed.Member
	var cred credentials
	err := s.store.View(func(txn *badger.Txn) error {
		username := login
		if strings.Contains(login, "@") {
			u, ok, err := store.GetString(txn, store.PrefixEmail+NormEmail(login))
			if err != nil || !ok {
				return twinfed.Errorf(twinfed.ENOTFOUND, "no such e-mail")
			}
			username = u
		}
		var err error
		if m, err = LoadMember(txn, username); err != nil {
			return err
		}
		return store.GetJSON(txn, store.PrefixCred+username, &cred)
	})
	if err != nil && twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		return nil, "", nil, s.internal("login", err)
	}
	var match bool
	if err == nil {
		match, err = s.checkPassword(ctx, cred.PasswordHash, password)
	} else if _, herr := s.hashPassword(ctx, password); herr != nil { // spend the same time as a wrong password
		err = herr
	}
	var busy *ErrBusy
	if errors.As(err, &busy) { // not an attempt: nothing was checked
		s.logins.WithLabelValues("busy").Inc()
		return nil, "", nil, err
	}
	if err != nil || !match {
		s.limiter.fail(key)
		s.logins.WithLabelValues("failed").Inc()
		return nil, "", nil, &twinfed.Error{Code: twinfed.EUNAUTHORIZED, Message: "The username or password is wrong.", Fields: map[string]string{"password": "The username or password is wrong."}}
	}
	if m.Status == twinfed.StatusUnconfirmed {
		s.logins.WithLabelValues("unconfirmed").Inc()
		return nil, "", nil, twinfed.Errorf(twinfed.EFORBIDDEN, "Confirm your e-mail address first: open the link we sent you, or ask for a new one.")
	}
	s.limiter.reset(key)
	s.logins.WithLabelValues("ok").Inc()
	err = s.update(func(txn *badger.Txn) error {
		old, err := LoadMember(txn, m.Username)
		if err != nil {
			return err
		}
		m = ptrCopy(old)
		m.LastLogin = s.now().UTC()
		return s.SaveMember(ctx, txn, old, m)
	})
	if err != nil {
		return nil, "", nil, s.internal("login", err)
	}
	tok, sess, err := s.newSession(m)
	return m, tok, sess, err
}

func (s *Service) newSession(m *twinfed.Member) (string, *Session, error) {
	token, th := randomToken()
	csrf, _ := randomToken()
	now := s.now().UTC()
	sess := &Session{Username: m.Username, Role: m.Role, CSRF: csrf, Created: now, Expires: now.Add(s.cfg.SessionLifetime)}
	ttl := s.cfg.SessionLifetime
	err := s.update(func(txn *badger.Txn) error {
		b, err := json.Marshal(sess)
		if err != nil {
			return err
		}
		return txn.SetEntry(badger.NewEntry([]byte(store.PrefixSession+th), b).WithTTL(ttl))
	})
	if err != nil {
		return "", nil, s.internal("new session", err)
	}
	return token, sess, nil
}

// Authenticate returns the principal of a session token and the
// session's CSRF token (it is the web kit's web.Authenticator);
// EUNAUTHORIZED when the token is unknown or expired, or the account gone.
func (s *Service) Authenticate(ctx context.Context, token string) (*twinfed.Principal, string, error) {
	var sess Session
	var m *twinfed.Member
	err := s.store.View(func(txn *badger.Txn) error {
		if err := store.GetJSON(txn, store.PrefixSession+tokenHash(token), &sess); err != nil {
			return err
		}
		var err error
		m, err = LoadMember(txn, sess.Username)
		return err
	})
	if err != nil || s.now().After(sess.Expires) {
		if err != nil && twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			return nil, "", s.internal("authenticate", err)
		}
		return nil, "", twinfed.Errorf(twinfed.EUNAUTHORIZED, "Your session has ended; log in again.")
	}
	// The role is read from the account on every request, so that a change
	// of role or a deletion takes effect at once.
	return &twinfed.Principal{Username: m.Username, Role: m.Role, Status: m.Status, Scope: sess.Scope, Locale: m.Locale}, sess.CSRF, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.internal("logout", s.update(func(txn *badger.Txn) error {
		return txn.Delete([]byte(store.PrefixSession + tokenHash(token)))
	}))
}

// AnonymousCSRF returns the CSRF token of a visitor without a session,
// bound to their anonymous cookie value.
func (s *Service) AnonymousCSRF(cookie string) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte("csrf|" + cookie))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// linkByEmail stores a single-use link of kind, valid for ttl, for the
// account of email when want accepts it (nil: any), within the address's
// mail quota (mailAllowed). A nil member means no mail to send (an
// unknown address, an account not wanted, or the quota spent): callers
// answer as if one had been sent, so that nothing reveals who is
// registered.
func (s *Service) linkByEmail(email, kind string, ttl time.Duration, want func(*twinfed.Member) bool) (*twinfed.Member, string, error) {
	if !s.mailAllowed(email) {
		return nil, "", nil
	}
	var m *twinfed.Member
	token, th := randomToken()
	err := s.update(func(txn *badger.Txn) error {
		u, ok, err := store.GetString(txn, store.PrefixEmail+NormEmail(email))
		if err != nil || !ok {
			return err
		}
		if m, err = LoadMember(txn, u); err != nil {
			return err
		}
		if want != nil && !want(m) {
			m = nil
			return nil
		}
		return store.SetJSON(txn, store.PrefixToken+th, linkToken{Kind: kind, Username: u, Expires: s.now().UTC().Add(ttl)})
	})
	if err != nil || m == nil {
		return nil, "", err
	}
	return m, token, nil
}

// RequestPasswordReset e-mails a single-use reset link when the address
// belongs to an account. It answers the same either way.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	m, token, err := s.linkByEmail(email, "reset", s.cfg.ResetLinkTTL, nil)
	if err != nil {
		return s.internal("request reset", err)
	}
	if m != nil {
		s.sendMail(ctx, m, m.Email, web.Letter{Subject: "mail.reset.subject",
			Parts: []web.LetterPart{web.Para("mail.reset.body"), web.LinkPart(s.cfg.BaseURL + "/password/reset?token=" + token), web.Para("mail.reset.ignore")},
			Data:  map[string]any{"Duration": s.cat.FormatDuration(s.cat.MailLang(m.Locale), s.cfg.ResetLinkTTL)}})
	}
	return nil
}

// ResetPassword consumes a reset link and sets a new password. Every
// session of the account ends at its expiry; the password changes at once.
func (s *Service) ResetPassword(ctx context.Context, token, password, confirm string) error {
	f := map[string]string{}
	CheckPasswordPolicy(f, "password", password, confirm, "password_confirm")
	if err := invalid(f); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return s.internal("hash", err)
	}
	return s.internal("reset password", s.update(func(txn *badger.Txn) error {
		t, err := s.useToken(txn, token, "reset")
		if err != nil {
			return err
		}
		old, err := LoadMember(txn, t.Username)
		if err != nil {
			return err
		}
		if old.Status == twinfed.StatusUnconfirmed { // the e-mail is proven now
			m := ptrCopy(old)
			m.Status = twinfed.StatusRegistering
			if err := s.SaveMember(ctx, txn, old, m); err != nil {
				return err
			}
		}
		return store.SetJSON(txn, store.PrefixCred+t.Username, credentials{PasswordHash: hash, Changed: s.now().UTC()})
	}))
}

// ChangePassword changes a logged-in member's password after checking the
// current one.
func (s *Service) ChangePassword(ctx context.Context, p *twinfed.Principal, current, password, confirm string) error {
	f := map[string]string{}
	CheckPasswordPolicy(f, "new_password", password, confirm, "new_password_confirm")
	if err := invalid(f); err != nil {
		return err
	}
	var cred credentials
	if err := s.store.View(func(txn *badger.Txn) error { return store.GetJSON(txn, store.PrefixCred+p.Username, &cred) }); err != nil {
		return s.internal("change password", err)
	}
	if ok, err := s.checkPassword(ctx, cred.PasswordHash, current); err != nil {
		return err
	} else if !ok {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: "Your current password is wrong.", Fields: map[string]string{"current_password": "Your current password is wrong."}}
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return s.internal("hash", err)
	}
	return s.internal("change password", s.update(func(txn *badger.Txn) error {
		return store.SetJSON(txn, store.PrefixCred+p.Username, credentials{PasswordHash: hash, Changed: s.now().UTC()})
	}))
}

// CreateStaff creates an agency account (officer or admin), confirmed and
// validated. Only an agency admin may call it (or the bootstrap, with a nil
// principal from cmd). EFORBIDDEN otherwise.
func (s *Service) CreateStaff(ctx context.Context, p *twinfed.Principal, username, email, firstName, lastName, password string, role twinfed.Role) (*twinfed.Member, error) {
	if p != nil && p.Role != twinfed.RoleAgencyAdmin {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "Only an agency administrator can create staff accounts.")
	}
	if !role.IsAgency() {
		return nil, twinfed.FieldError("role", "Choose agency_officer or agency_admin.")
	}
	return s.createAccount(ctx, PreRegistration{FirstName: firstName, LastName: lastName, Email: email, EmailConfirm: email, Username: username, Password: password, PasswordConfirm: password}, role, nil, p == nil)
}

// seedHash hashes the password of an account created directly (seeded
// members, the first staff account). Seeding creates many accounts with one
// password (the demo's, on three nodes in one process): the hash is made once
// per password and parameters, process-wide, and reused, salt included,
// which spares the demo a second of argon2id per account. Accounts members
// create themselves never come through here.
func (s *Service) seedHash(password string) (string, error) {
	key := sha256.Sum256([]byte(s.cfg.Hash.String() + "\x00" + password))
	seedHashes.Lock()
	defer seedHashes.Unlock()
	if h, ok := seedHashes.m[key]; ok {
		return h, nil
	}
	h, err := hashPassword(s.cfg.Hash, password)
	if err != nil {
		return "", err
	}
	if seedHashes.m == nil {
		seedHashes.m = map[[32]byte]string{}
	}
	seedHashes.m[key] = h
	return h, nil
}

// seedHashes holds seedHash's hashes.
var seedHashes struct {
	sync.Mutex
	m map[[32]byte]string
}

// SeedMember stores a validated member directly, for the demo and tests:
// it skips the e-mail link and the agency's queue but not the input checks.
func (s *Service) SeedMember(ctx context.Context, r PreRegistration, profile *twinfed.Member) (*twinfed.Member, error) {
	return s.createAccount(ctx, r, twinfed.RoleMember, profile, true)
}

// createAccount stores a validated account; seeded accounts (the demo's,
// the first staff account) share a hash per password (seedHash).
func (s *Service) createAccount(ctx context.Context, r PreRegistration, role twinfed.Role, profile *twinfed.Member, seeded bool) (*twinfed.Member, error) {
	f := map[string]string{}
	CheckName(f, "first_name", r.FirstName, "first name")
	CheckName(f, "last_name", r.LastName, "last name")
	CheckEmail(f, "email", r.Email)
	if !UsernameRE.MatchString(r.Username) {
		f["username"] = "Choose a username of 3 to 30 characters: lower-case letters, digits, dot, dash or underscore."
	}
	CheckPasswordPolicy(f, "password", r.Password, r.PasswordConfirm, "password_confirm")
	if err := invalid(f); err != nil {
		return nil, err
	}
	hashOf := func(pw string) (string, error) { return s.hashPassword(ctx, pw) }
	if seeded {
		hashOf = s.seedHash
	}
	hash, err := hashOf(r.Password)
	if err != nil {
		return nil, s.internal("hash", err)
	}
	now := s.now().UTC()
	m := &twinfed.Member{}
	if profile != nil {
		*m = *profile
	}
	m.Username, m.FirstName, m.LastName, m.Email = r.Username, r.FirstName, r.LastName, r.Email
	m.Country, m.Role, m.Status, m.Created, m.Updated = s.cfg.Country, role, twinfed.StatusValidated, now, now
	if m.Validated.IsZero() {
		m.Validated = now
	}
	if m.Public == nil && role == twinfed.RoleMember {
		m.Public = append([]string(nil), twinfed.PublicFields...)
	}
	err = s.update(func(txn *badger.Txn) error {
		if err := s.checkFree(txn, m.Username, m.Email); err != nil {
			return err
		}
		if err := s.SaveMember(ctx, txn, nil, m); err != nil {
			return err
		}
		if err := store.SetJSON(txn, store.PrefixCred+m.Username, credentials{PasswordHash: hash, Changed: now}); err != nil {
			return err
		}
		return txn.Set([]byte(store.PrefixEmail+NormEmail(m.Email)), []byte(m.Username))
	})
	if err != nil {
		return nil, s.internal("create account", err)
	}
	return m, nil
}
