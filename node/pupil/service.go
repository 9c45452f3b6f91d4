package pupil

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/text/unicode/norm"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// Kind is what an account is for: a pupil or a visitor.
type Kind string

// The kinds of account.
const (
	KindPupil   Kind = "pupil"
	KindVisitor Kind = "visitor"
)

// Bounds of what teachers type.
const (
	MaxClassList   = 60 // names in one class list
	MaxNameRunes   = 60 // a display name
	MaxVisitorDays = 366
)

// SpaceRef names a TwinSpace: its project's id and title.
type SpaceRef struct {
	Project string `json:"project"`
	Title   string `json:"title"`
}

// Account is a pupil's or a visitor's account. A pupil's holds nothing
// personal but the display name; a visitor's also the e-mail address
// their credentials were sent to.
type Account struct {
	Username    string     `json:"username"`
	Kind        Kind       `json:"kind"`
	DisplayName string     `json:"display_name"`
	Teacher     string     `json:"teacher"` // the member who made it
	Hash        string     `json:"hash,omitempty"`
	Created     time.Time  `json:"created"`
	Spaces      []SpaceRef `json:"spaces,omitempty"`
	Locale      string     `json:"locale,omitempty"` // the language they chose
	Email       string     `json:"email,omitempty"`  // a visitor's
	Expires     time.Time  `json:"expires,omitzero"` // a visitor's: refused from then on
	Removed     time.Time  `json:"removed,omitzero"` // a tombstone: the username stays taken, the name stays for what they posted
}

// Role is the principal's role of the account.
func (a *Account) Role() twinfed.Role {
	if a.Kind == KindVisitor {
		return twinfed.RoleVisitor
	}
	return twinfed.RolePupil
}

// Expired reports whether a visitor's invitation has ended at now.
func (a *Account) Expired(now time.Time) bool {
	return a.Kind == KindVisitor && !now.Before(a.Expires)
}

// Credential is a username and the password generated for it, shown
// once to the teacher (and printed on the credentials sheet).
type Credential struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Password    string `json:"password"`
}

// Passwords hashes and checks passwords (node/account's Passwords: the
// members' parameters and bounded gate).
type Passwords interface {
	// Hash returns an argon2id hash of password; an error that is
	// web.RateLimited when every slot is busy.
	Hash(ctx context.Context, password string) (string, error)
	// Check reports whether password matches encoded.
	Check(ctx context.Context, encoded, password string) (bool, error)
}

// Limiter counts failed logins per key (node/account's LoginLimiter).
type Limiter interface {
	Allowed(key string) (bool, time.Duration)
	Fail(key string)
	Reset(key string)
}

// Spaces gives the TwinSpaces a teacher may invite a visitor to (the
// TwinSpace core's, through the node's assembly).
type Spaces interface {
	// TeacherSpaces returns the open TwinSpaces of a member of this node.
	TeacherSpaces(ctx context.Context, username string) ([]SpaceRef, error)
	// AddVisitor adds a visitor teacher has just invited to project's
	// TwinSpace (its member list: node/twinspace).
	AddVisitor(ctx context.Context, teacher *twinfed.Principal, username, project string) error
}

// Members reads this node's members (node/account's Service): a
// member's username is not given to a pupil, and a teacher's name signs
// a visitor's invitation.
type Members interface {
	// MemberIn reads a member within txn; ENOTFOUND when there is none.
	MemberIn(txn *badger.Txn, username string) (*twinfed.Member, error)
	// Member reads a member; ENOTFOUND when there is none.
	Member(ctx context.Context, username string) (*twinfed.Member, error)
}

// Config is what the pupils' accounts need to know about their node.
type Config struct {
	BaseURL         string        // the node's public base URL
	Node            string        // the node's name on the credentials sheet, e.g. "Twinfed Italia"
	SessionLifetime time.Duration // a pupil's session; zero: 8 hours
}

// Deps are the pupils' accounts' collaborators.
type Deps struct {
	Store     *store.Store
	Passwords Passwords
	Limiter   Limiter      // failed logins; required
	Members   Members      // required
	Spaces    Spaces       // or UseSpaces; nil: no TwinSpace, so no visitor can be invited
	Mailer    mail.Sender  // the node's mail queue: visitors' invitations
	Catalog   *web.Catalog // texts of the mails and the sheet
	Fonts     [2][]byte    // DejaVu Sans regular and bold, for the sheet (certificate.Fonts)
	// Visual lays out a line of the sheet as the PDF draws it (Arabic
	// shaped, right-to-left runs reordered; rtl: the base direction)
	// (certificate.VisualLine); nil: as it is.
	Visual func(s string, rtl bool) string
	Logger *slog.Logger
	Now    func() time.Time // nil: time.Now
}

// Service is the pupils' and visitors' accounts. It is safe for
// concurrent use.
type Service struct {
	cfg      Config
	d        Deps
	log      *slog.Logger
	now      func() time.Time
	removed  []RemoveHook
	sessions time.Duration
}

// UseSpaces gives the service the TwinSpaces (Deps.Spaces), which are
// built after it, before it serves.
func (s *Service) UseSpaces(sp Spaces) { s.d.Spaces = sp }

// RemoveHook is what another feature does when a teacher removes a pupil
// or ends a visitor's invitation, in the same transaction.
type RemoveHook func(txn *badger.Txn, a *Account) error

// New builds the service.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil || d.Passwords == nil || d.Limiter == nil || d.Members == nil || d.Mailer == nil || d.Catalog == nil {
		return nil, fmt.Errorf("pupil: New needs a Store, Passwords, a Limiter, Members, a Mailer and a Catalog")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if cfg.SessionLifetime == 0 {
		cfg.SessionLifetime = 8 * time.Hour
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Service{cfg: cfg, d: d, log: d.Logger, now: d.Now, sessions: cfg.SessionLifetime}, nil
}

// OnRemove adds what another feature erases when an account is removed
// (registered at assembly).
func (s *Service) OnRemove(h RemoveHook) { s.removed = append(s.removed, h) }

// LoginURL is the pupils' and visitors' login page.
func (s *Service) LoginURL() string { return s.cfg.BaseURL + "/pupils/login" }

func (s *Service) internal(op string, err error) error { return web.Internal(s.log, op, err) }

// RequireTeacher returns EFORBIDDEN unless p is a validated member: only
// they make pupils' accounts and invite visitors.
func RequireTeacher(p *twinfed.Principal) error {
	if p == nil {
		return twinfed.Errorf(twinfed.EUNAUTHORIZED, "Log in first.")
	}
	if p.Role != twinfed.RoleMember || p.Status != twinfed.StatusValidated {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "Pupils' accounts are made by teachers whose registration the agency has validated.")
	}
	return nil
}

// --- reading ---

func loadAccount(txn *badger.Txn, username string) (*Account, error) {
	var a Account
	if err := store.GetJSON(txn, store.PrefixPupil+username, &a); err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no pupil or visitor %q on this node.", username)
		}
		return nil, err
	}
	return &a, nil
}

// Account returns a pupil's or a visitor's account (a removed one's
// tombstone too: Removed set), without its password hash.
func (s *Service) Account(ctx context.Context, username string) (*Account, error) {
	var a *Account
	err := s.d.Store.View(func(txn *badger.Txn) (err error) {
		a, err = loadAccount(txn, username)
		return err
	})
	if err != nil {
		return nil, s.internal("pupil account", err)
	}
	a.Hash = ""
	return a, nil
}

// Spaces returns the TwinSpaces an account was added to (none for a
// removed one).
func (s *Service) Spaces(ctx context.Context, username string) ([]SpaceRef, error) {
	a, err := s.Account(ctx, username)
	if err != nil {
		return nil, err
	}
	return a.Spaces, nil
}

// Mine returns a teacher's pupils and visitors, by display name.
func (s *Service) Mine(ctx context.Context, teacher *twinfed.Principal) (pupils, visitors []*Account, err error) {
	if err := RequireTeacher(teacher); err != nil {
		return nil, nil, err
	}
	pupils, visitors = []*Account{}, []*Account{}
	err = s.d.Store.View(func(txn *badger.Txn) error {
		for _, u := range store.KeysUnder(txn, store.PrefixPupilOf+teacher.Username+"/", 0) {
			a, err := loadAccount(txn, u)
			if err != nil {
				return err
			}
			a.Hash = ""
			if a.Kind == KindVisitor {
				visitors = append(visitors, a)
			} else {
				pupils = append(pupils, a)
			}
		}
		return nil
	})
	sortAccounts := func(l []*Account) {
		slices.SortFunc(l, func(a, b *Account) int {
			return strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName))
		})
	}
	sortAccounts(pupils)
	sortAccounts(visitors)
	return pupils, visitors, s.internal("my pupils", err)
}

// own loads username for teacher: ENOTFOUND unless it is one of theirs
// (the same answer for another teacher's pupil, so that nothing tells
// whose it is).
func own(txn *badger.Txn, teacher, username string) (*Account, error) {
	a, err := loadAccount(txn, username)
	if err != nil {
		return nil, err
	}
	if a.Teacher != teacher || !a.Removed.IsZero() {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no pupil or visitor %q among yours.", username)
	}
	return a, nil
}

// --- the core's calls ---

// AddSpace records, within txn, that teacher added their pupil username
// to the TwinSpace of project (titled title). ENOTFOUND for a pupil who
// is not that teacher's; adding twice changes nothing.
func (s *Service) AddSpace(txn *badger.Txn, teacher, username, project, title string) error {
	a, err := own(txn, teacher, username)
	if err != nil {
		return err
	}
	for i, sp := range a.Spaces {
		if sp.Project == project {
			if sp.Title == title {
				return nil
			}
			a.Spaces[i].Title = title
			return store.SetJSON(txn, store.PrefixPupil+username, a)
		}
	}
	a.Spaces = append(a.Spaces, SpaceRef{Project: project, Title: title})
	return store.SetJSON(txn, store.PrefixPupil+username, a)
}

// RemoveSpace records, within txn, that username left the TwinSpace of
// project (whoever removed them: the core checks who may). Nothing
// happens for an account not in it, or gone.
func (s *Service) RemoveSpace(txn *badger.Txn, username, project string) error {
	a, err := loadAccount(txn, username)
	if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	n := len(a.Spaces)
	a.Spaces = slices.DeleteFunc(a.Spaces, func(sp SpaceRef) bool { return sp.Project == project })
	if len(a.Spaces) == n {
		return nil
	}
	return store.SetJSON(txn, store.PrefixPupil+username, a)
}

// --- making accounts ---

// ParseClassList reads a class list: one name per line, blank lines
// ignored, at most MaxClassList names, each of 1 to MaxNameRunes
// characters. EINVALID names the first bad line.
func ParseClassList(text string) ([]string, error) {
	var names []string
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		var e *twinfed.Error
		name := cleanName(line)
		switch {
		case !utf8.ValidString(line):
			e = twinfed.Errorf(twinfed.EINVALID, "Line %d is not valid text; type it again. No account was made.", i+1)
		case name == "":
			continue
		case checkName(name) != nil:
			e = twinfed.Errorf(twinfed.EINVALID, "Line %d is longer than 60 characters; shorten it. No account was made.", i+1)
		}
		if e != nil {
			e.Fields = map[string]string{"names": "No account was made; correct the list and send it again."}
			return nil, e
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil, twinfed.FieldError("names", "Enter at least one name, one per line.")
	}
	if len(names) > MaxClassList {
		e := twinfed.Errorf(twinfed.EINVALID, "A class list holds at most %d names; this one has %d. Split it in two.", MaxClassList, len(names))
		e.Fields = map[string]string{"names": "No account was made; correct the list and send it again."}
		return nil, e
	}
	return names, nil
}

// cleanName trims a name and turns control characters into spaces.
func cleanName(s string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)), " ")
}

func checkName(name string) error {
	switch n := utf8.RuneCountInString(name); {
	case !utf8.ValidString(name):
		return twinfed.Errorf(twinfed.EINVALID, "The name is not valid text.")
	case n == 0:
		return twinfed.Errorf(twinfed.EINVALID, "Enter a name.")
	case n > MaxNameRunes:
		return twinfed.Errorf(twinfed.EINVALID, "A name is at most 60 characters long.")
	}
	return nil
}

// CreatePupils makes one account per name for teacher and returns their
// usernames and generated passwords, which are shown once and never
// stored. Nothing is made unless every name is right.
func (s *Service) CreatePupils(ctx context.Context, teacher *twinfed.Principal, names []string) ([]Credential, error) {
	if err := RequireTeacher(teacher); err != nil {
		return nil, err
	}
	if len(names) == 0 || len(names) > MaxClassList {
		return nil, twinfed.FieldError("names", "Enter at least one name, one per line.")
	}
	for i := range names {
		names[i] = cleanName(names[i])
		if err := checkName(names[i]); err != nil {
			return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: twinfed.ErrorMessage(err), Fields: map[string]string{"names": twinfed.ErrorMessage(err)}}
		}
	}
	accts := make([]*Account, len(names))
	creds := make([]Credential, len(names))
	now := s.now().UTC()
	for i, name := range names {
		pw := NewPassword()
		hash, err := s.d.Passwords.Hash(ctx, pw)
		if err != nil {
			return nil, s.internal("hash", err)
		}
		accts[i] = &Account{Kind: KindPupil, DisplayName: name, Teacher: teacher.Username, Hash: hash, Created: now}
		creds[i] = Credential{DisplayName: name, Password: pw}
	}
	err := s.d.Store.Update(func(txn *badger.Txn) error {
		for i, a := range accts {
			if err := s.put(txn, a); err != nil {
				return err
			}
			creds[i].Username = a.Username
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("create pupils", err)
	}
	return creds, nil
}

// put stores a new account under a fresh username made from its display
// name, and indexes it under its teacher.
func (s *Service) put(txn *badger.Txn, a *Account) error {
	for try := 0; ; try++ {
		u := NewUsername(a.DisplayName)
		if try > 20 {
			return fmt.Errorf("pupil: no free username for %q", a.DisplayName)
		}
		taken, err := store.Exists(txn, store.PrefixPupil+u)
		if err != nil {
			return err
		}
		if !taken {
			if _, err := s.d.Members.MemberIn(txn, u); err == nil {
				taken = true
			} else if twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
				return err
			}
		}
		if !taken {
			a.Username = u
			break
		}
	}
	if err := store.SetJSON(txn, store.PrefixPupil+a.Username, a); err != nil {
		return err
	}
	return txn.Set([]byte(store.PrefixPupilOf+a.Teacher+"/"+a.Username), nil)
}

// ResetPassword gives teacher's pupil (or visitor) username a new
// generated password, shown once, and ends their sessions.
func (s *Service) ResetPassword(ctx context.Context, teacher *twinfed.Principal, username string) (*Credential, error) {
	if err := RequireTeacher(teacher); err != nil {
		return nil, err
	}
	pw := NewPassword()
	hash, err := s.d.Passwords.Hash(ctx, pw)
	if err != nil {
		return nil, s.internal("hash", err)
	}
	var cred *Credential
	err = s.d.Store.Update(func(txn *badger.Txn) error {
		a, err := own(txn, teacher.Username, username)
		if err != nil {
			return err
		}
		a.Hash = hash
		cred = &Credential{Username: a.Username, DisplayName: a.DisplayName, Password: pw}
		if err := endSessions(txn, username); err != nil {
			return err
		}
		return store.SetJSON(txn, store.PrefixPupil+username, a)
	})
	return cred, s.internal("reset pupil password", err)
}

// Remove removes teacher's pupil username, or ends a visitor's
// invitation: the account and its sessions are gone; a tombstone keeps
// the username taken and the display name for what they posted.
func (s *Service) Remove(ctx context.Context, teacher *twinfed.Principal, username string) error {
	if err := RequireTeacher(teacher); err != nil {
		return err
	}
	return s.internal("remove pupil", s.d.Store.Update(func(txn *badger.Txn) error {
		a, err := own(txn, teacher.Username, username)
		if err != nil {
			return err
		}
		return s.remove(txn, a)
	}))
}

// remove removes a within txn: the hooks, the sessions, the teacher's
// index; a tombstone stays.
func (s *Service) remove(txn *badger.Txn, a *Account) error {
	for _, h := range s.removed {
		if err := h(txn, a); err != nil {
			return err
		}
	}
	if err := endSessions(txn, a.Username); err != nil {
		return err
	}
	if err := txn.Delete([]byte(store.PrefixPupilOf + a.Teacher + "/" + a.Username)); err != nil {
		return err
	}
	tomb := &Account{Username: a.Username, Kind: a.Kind, DisplayName: a.DisplayName, Teacher: a.Teacher, Created: a.Created, Removed: s.now().UTC()}
	return store.SetJSON(txn, store.PrefixPupil+a.Username, tomb)
}

// RemoveTeacher removes, within txn, every account teacher made: a
// member's deletion removes their pupils and visitors with it
// (registered as node/account's OnDelete hook).
func (s *Service) RemoveTeacher(txn *badger.Txn, teacher string) error {
	for _, u := range store.KeysUnder(txn, store.PrefixPupilOf+teacher+"/", 0) {
		a, err := loadAccount(txn, u)
		if err != nil {
			return err
		}
		if err := s.remove(txn, a); err != nil {
			return err
		}
	}
	return nil
}

// --- generated names and passwords ---

const (
	usernameTail = "abcdefghjkmnpqrstuvwxyz23456789" // no 0/o, 1/l/i: read aloud and typed by children
	consonants   = "bdfghjkmnprstvz"
	vowels       = "aeiou"
)

func pick(set string) byte {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
	if err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return set[n.Int64()]
}

// NewUsername makes a readable username from a display name: its first
// name in lower-case ASCII letters (accents dropped; "pupil" when none is
// left), at most 12 of them, a dot and 4 random letters or digits, e.g.
// "chloe.k7mz".
func NewUsername(displayName string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(displayName), " ")
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(first)) {
		if r >= 'a' && r <= 'z' && b.Len() < 12 {
			b.WriteRune(r)
		}
	}
	if b.Len() < 2 {
		b.Reset()
		b.WriteString("pupil")
	}
	b.WriteByte('.')
	for range 4 {
		b.WriteByte(pick(usernameTail))
	}
	return b.String()
}

// NewPassword makes a password a child can read and type: four
// consonant-vowel syllables and three digits, e.g. "bafokime427" (about
// 35 bits; logins are limited and hashed with argon2id).
func NewPassword() string {
	var b strings.Builder
	for range 4 {
		b.WriteByte(pick(consonants))
		b.WriteByte(pick(vowels))
	}
	for range 3 {
		b.WriteByte(pick("0123456789"))
	}
	return b.String()
}

// LastDay is the last day of a visitor's invitation (noon UTC of it, so
// that it reads as that day in every European zone).
func (a *Account) LastDay() time.Time { return a.Expires.Add(-12 * time.Hour) }
