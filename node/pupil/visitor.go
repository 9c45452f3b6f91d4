package pupil

import (
	"context"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// Invitation is what a teacher fills in to invite a visitor.
type Invitation struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Project string `json:"project"` // the TwinSpace's project id
	Expires string `json:"expires"` // the last day, yyyy-mm-dd
	Lang    string `json:"lang"`    // the e-mail's language
}

// lastDay reads an expiry date: a day after today (in UTC) and at most a
// year ahead; the visitor is refused from the end of that day (UTC).
func (s *Service) lastDay(f map[string]string, v string) time.Time {
	day, err := time.Parse(time.DateOnly, strings.TrimSpace(v))
	if err != nil {
		f["expires"] = "Enter the last day of the invitation as a date (yyyy-mm-dd)."
		return time.Time{}
	}
	now := s.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch {
	case !day.After(today):
		f["expires"] = "Choose a day after today."
	case day.After(today.AddDate(1, 0, 0)):
		f["expires"] = "Choose a day at most one year from today."
	}
	return day.AddDate(0, 0, 1)
}

// Invite makes a visitor's read-only account for one of teacher's
// TwinSpaces, with an expiry, and e-mails them the login page, their
// username and their generated password in the language chosen. EINVALID
// lists every wrong field, and nothing is made.
func (s *Service) Invite(ctx context.Context, teacher *twinfed.Principal, in Invitation) (*Account, error) {
	if err := RequireTeacher(teacher); err != nil {
		return nil, err
	}
	f := map[string]string{}
	in.Name, in.Email, in.Project = cleanName(in.Name), strings.TrimSpace(in.Email), strings.TrimSpace(in.Project)
	if err := checkName(in.Name); err != nil {
		f["name"] = twinfed.ErrorMessage(err)
	}
	if a, err := netmail.ParseAddress(in.Email); err != nil || a.Address != in.Email || !strings.Contains(in.Email[strings.LastIndex(in.Email, "@")+1:], ".") {
		f["email"] = "Enter an e-mail address such as name@school.it."
	}
	expires := s.lastDay(f, in.Expires)
	if !s.d.Catalog.Offered(in.Lang) {
		f["lang"] = "Choose one of the languages offered."
	}
	space, err := s.teacherSpace(ctx, teacher.Username, in.Project)
	if err != nil {
		return nil, err
	}
	if space == nil {
		f["project"] = "Choose one of your TwinSpaces."
	}
	if len(f) > 0 {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Some fields need your attention.", Fields: f}
	}
	pw := NewPassword()
	hash, err := s.d.Passwords.Hash(ctx, pw)
	if err != nil {
		return nil, s.internal("hash", err)
	}
	a := &Account{Kind: KindVisitor, DisplayName: in.Name, Teacher: teacher.Username, Hash: hash, Created: s.now().UTC(),
		Spaces: []SpaceRef{*space}, Locale: in.Lang, Email: in.Email, Expires: expires}
	if err := s.d.Store.Update(func(txn *badger.Txn) error { return s.put(txn, a) }); err != nil {
		return nil, s.internal("invite visitor", err)
	}
	if s.d.Spaces != nil {
		if err := s.d.Spaces.AddVisitor(ctx, teacher, a.Username, space.Project); err != nil {
			// Not in the TwinSpace: no invitation either.
			if rerr := s.d.Store.Update(func(txn *badger.Txn) error { return s.remove(txn, a) }); rerr != nil {
				s.log.Error("undo a visitor's account", "username", a.Username, "err", rerr)
			}
			return nil, err
		}
	}
	from := teacher.Username
	if m, err := s.d.Members.Member(ctx, teacher.Username); err == nil {
		from = m.Name()
	}
	msg := s.d.Catalog.Mail(in.Lang, in.Email, web.Letter{Subject: "mail.visitor.subject", Name: in.Name, Site: s.cfg.BaseURL + "/",
		Parts: []web.LetterPart{web.Para("mail.visitor.body"), web.LinkPart(s.LoginURL()), web.Para("mail.visitor.credentials"), web.Para("mail.visitor.expires")},
		Data: map[string]any{"Teacher": from, "Space": space.Title, "Username": a.Username, "Password": pw,
			"Expires": expires.AddDate(0, 0, -1).Format(time.DateOnly)}})
	if err := s.d.Mailer.Send(ctx, msg); err != nil {
		s.log.Error("send mail", "to", msg.To, "subject", msg.Subject, "err", err)
	}
	a.Hash = ""
	return a, nil
}

// teacherSpace finds project among the TwinSpaces teacher may invite to
// (none when the node gives no list); nil when it is not one.
func (s *Service) teacherSpace(ctx context.Context, teacher, project string) (*SpaceRef, error) {
	if project == "" {
		return nil, nil
	}
	if s.d.Spaces == nil { // no TwinSpaces known: none to invite a visitor to
		return nil, nil
	}
	spaces, err := s.d.Spaces.TeacherSpaces(ctx, teacher)
	if err != nil {
		return nil, s.internal("teacher spaces", err)
	}
	for _, sp := range spaces {
		if sp.Project == project {
			return &sp, nil
		}
	}
	return nil, nil
}

// TeacherSpaces returns the TwinSpaces teacher may invite a visitor to
// (none when the node gives no list).
func (s *Service) TeacherSpaces(ctx context.Context, teacher *twinfed.Principal) ([]SpaceRef, error) {
	if err := RequireTeacher(teacher); err != nil {
		return nil, err
	}
	if s.d.Spaces == nil {
		return nil, nil
	}
	l, err := s.d.Spaces.TeacherSpaces(ctx, teacher.Username)
	return l, s.internal("teacher spaces", err)
}
