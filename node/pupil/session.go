package pupil

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// TokenPrefix starts every pupil's and visitor's session token, so that
// the node's one web.Authenticator hands them to this service and the
// members' to node/account (their tokens are base64url, which has no
// dot).
const TokenPrefix = "p."

// IsToken reports whether a session token is a pupil's or a visitor's.
func IsToken(token string) bool { return strings.HasPrefix(token, TokenPrefix) }

// session is a logged-in pupil or visitor.
type session struct {
	Username string    `json:"username"`
	CSRF     string    `json:"csrf"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
}

// ErrRateLimited is returned by Login when too many attempts failed for
// the username from the same address.
type ErrRateLimited struct{ RetryAfter time.Duration }

// Error says how long to wait.
func (e *ErrRateLimited) Error() string { return "too many failed logins" }

// RetryIn is how long to wait (web.RateLimited: 429 and Retry-After).
func (e *ErrRateLimited) RetryIn() time.Duration { return e.RetryAfter }

var _ web.RateLimited = (*ErrRateLimited)(nil)

func random() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// ExpiredError is the refusal of a visitor whose invitation has ended,
// naming its last day (yyyy-mm-dd, which reads the same in every
// language).
func ExpiredError(a *Account) error {
	return twinfed.Errorf(twinfed.EFORBIDDEN, "Your invitation as a visitor ended on %s. Ask the teacher who invited you for a new one.", a.LastDay().UTC().Format(time.DateOnly))
}

var errWrong = &twinfed.Error{Code: twinfed.EUNAUTHORIZED, Message: "The username or password is wrong.", Fields: map[string]string{"password": "The username or password is wrong."}}

// Session is a session Login opened: the token of its cookie, its CSRF
// token and its end.
type Session struct {
	Token   string
	CSRF    string
	Expires time.Time
}

// Login checks a pupil's or a visitor's username and password and opens
// a session. Failures are limited
// per username and client address as the members' are; a visitor whose
// invitation has ended is refused (EFORBIDDEN, naming the day).
func (s *Service) Login(ctx context.Context, username, password, clientIP string) (*Account, *Session, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	key := "pupil|" + username + "|" + clientIP
	if ok, wait := s.d.Limiter.Allowed(key); !ok {
		return nil, nil, &ErrRateLimited{RetryAfter: wait}
	}
	var a *Account
	err := s.d.Store.View(func(txn *badger.Txn) (err error) {
		a, err = loadAccount(txn, username)
		return err
	})
	if err != nil && twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		return nil, nil, s.internal("pupil login", err)
	}
	match := false
	if err == nil && a.Hash != "" {
		match, err = s.d.Passwords.Check(ctx, a.Hash, password)
	} else {
		_, err = s.d.Passwords.Hash(ctx, password) // the time of a wrong password
		if err == nil {
			err = errWrong
		}
	}
	var rl web.RateLimited
	if errors.As(err, &rl) { // busy: nothing was checked
		return nil, nil, err
	}
	if err != nil || !match {
		s.d.Limiter.Fail(key)
		return nil, nil, errWrong
	}
	now := s.now().UTC()
	if a.Expired(now) {
		return nil, nil, ExpiredError(a)
	}
	s.d.Limiter.Reset(key)
	token := TokenPrefix + random()
	sess := session{Username: a.Username, CSRF: random(), Created: now, Expires: now.Add(s.sessions)}
	if a.Kind == KindVisitor && a.Expires.Before(sess.Expires) {
		sess.Expires = a.Expires
	}
	err = s.d.Store.Update(func(txn *badger.Txn) error {
		b, err := json.Marshal(sess)
		if err != nil {
			return err
		}
		return txn.SetEntry(badger.NewEntry([]byte(store.PrefixPupilSession+tokenHash(token)), b).WithTTL(sess.Expires.Sub(now) + time.Minute))
	})
	if err != nil {
		return nil, nil, s.internal("pupil session", err)
	}
	a.Hash = ""
	return a, &Session{Token: token, CSRF: sess.CSRF, Expires: sess.Expires}, nil
}

// Authenticate returns the principal of a pupil's or a visitor's session
// token and its CSRF token: EUNAUTHORIZED for an unknown or ended session
// or a removed account, EFORBIDDEN (ExpiredError) for a visitor whose
// invitation has ended, on every request.
func (s *Service) Authenticate(ctx context.Context, token string) (*twinfed.Principal, string, error) {
	var sess session
	var a *Account
	err := s.d.Store.View(func(txn *badger.Txn) error {
		if err := store.GetJSON(txn, store.PrefixPupilSession+tokenHash(token), &sess); err != nil {
			return err
		}
		var err error
		a, err = loadAccount(txn, sess.Username)
		return err
	})
	now := s.now()
	if err != nil || !a.Removed.IsZero() || !now.Before(sess.Expires) && !a.Expired(now) {
		if err != nil && twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			return nil, "", s.internal("pupil authenticate", err)
		}
		return nil, "", twinfed.Errorf(twinfed.EUNAUTHORIZED, "Your session has ended; log in again.")
	}
	if a.Expired(now) {
		return nil, "", ExpiredError(a)
	}
	return &twinfed.Principal{Username: a.Username, Role: a.Role(), Locale: a.Locale}, sess.CSRF, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.internal("pupil logout", s.d.Store.Update(func(txn *badger.Txn) error {
		return txn.Delete([]byte(store.PrefixPupilSession + tokenHash(token)))
	}))
}

// SetLocale stores the language a pupil or a visitor chose.
func (s *Service) SetLocale(ctx context.Context, p *twinfed.Principal, lang string) error {
	if p == nil || !p.Role.IsScoped() {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "Log in first.")
	}
	if !s.d.Catalog.Offered(lang) {
		return twinfed.FieldError("lang", "Choose one of the languages offered.")
	}
	return s.internal("pupil locale", s.d.Store.Update(func(txn *badger.Txn) error {
		a, err := loadAccount(txn, p.Username)
		if err != nil {
			return err
		}
		a.Locale = lang
		return store.SetJSON(txn, store.PrefixPupil+a.Username, a)
	}))
}

// endSessions deletes every session of username within txn (a reset
// password, a removed account). Sessions are few: a scan of their
// prefix.
func endSessions(txn *badger.Txn, username string) error {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = []byte(store.PrefixPupilSession)
	it := txn.NewIterator(opts)
	var dead [][]byte
	for it.Rewind(); it.Valid(); it.Next() {
		var sess session
		if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &sess) }); err != nil {
			it.Close()
			return err
		}
		if sess.Username == username {
			dead = append(dead, it.Item().KeyCopy(nil))
		}
	}
	it.Close()
	for _, k := range dead {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
