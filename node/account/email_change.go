package account

import (
	"context"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// A change of e-mail address takes effect only once the new address is
// proven. UpdateAccount records it as pending under store.PrefixEmailChange,
// e-mails a single-use link (a linkToken of kind linkEmailChange, hashed at
// rest like every link) to the new address and a notice without the link
// to the current one. ConfirmEmailChange, called with that link by the
// member logged in to the account, moves the e-mail index. Until then the
// account keeps its address for everything: login, password resets, mail.
//
// A second request replaces the pending change and its link; the pending
// record names the hash of the only link that confirms it, so an older link
// (or one of a cancelled change) no longer works.

const (
	linkEmailChange = "email" // linkToken.Kind of the link that confirms a change of address
)

// Messages of the change of address (ids of the catalogues).
const (
	msgEmailTaken        = "Another account uses this e-mail address."
	msgEmailTakenSince   = "Another account now uses this e-mail address, so your address has not changed. Choose another address on your account page."
	msgEmailLinkOther    = "This link is for another account. Log out, log in to the account whose address is changing, and open the link again."
	msgEmailLinkReplaced = "This link no longer works: the change of address was cancelled or asked again since. Use the link in the latest e-mail, or ask again on your account page."
)

// EmailChange is a change of e-mail address waiting for the confirmation
// of the new address.
type EmailChange struct {
	NewEmail  string    `json:"new_email"`
	Requested time.Time `json:"requested"`
	Expires   time.Time `json:"expires"` // the link's expiry
}

// emailChange is an EmailChange as stored, with the hash of its link.
type emailChange struct {
	EmailChange
	TokenHash string `json:"token_hash"`
}

// requestEmailChange records a change of username's address to email,
// replacing any earlier one, and returns the link's token. ECONFLICT when
// another account uses the address.
func (s *Service) requestEmailChange(txn *badger.Txn, username, email string) (string, *EmailChange, error) {
	if owner, ok, err := store.GetString(txn, store.PrefixEmail+NormEmail(email)); err != nil {
		return "", nil, err
	} else if ok && owner != username {
		return "", nil, &twinfed.Error{Code: twinfed.ECONFLICT, Message: msgEmailTaken, Fields: map[string]string{"email": msgEmailTaken}}
	}
	token, th := randomToken()
	now := s.now().UTC()
	ch := emailChange{EmailChange: EmailChange{NewEmail: email, Requested: now, Expires: now.Add(s.cfg.ConfirmLinkTTL)}, TokenHash: th}
	if err := store.SetJSON(txn, store.PrefixToken+th, linkToken{Kind: linkEmailChange, Username: username, Expires: ch.Expires}); err != nil {
		return "", nil, err
	}
	return token, &ch.EmailChange, store.SetJSON(txn, store.PrefixEmailChange+username, ch)
}

// mailEmailChange sends the link to the new address and a notice, without
// the link, to the current one.
func (s *Service) mailEmailChange(ctx context.Context, m *twinfed.Member, ch *EmailChange, token string) {
	link := s.cfg.BaseURL + "/account/email/confirm?token=" + token
	s.sendMail(ctx, m, ch.NewEmail, web.Letter{Subject: "mail.email_new.subject",
		Parts: []web.LetterPart{web.Para("mail.email_new.body"), web.LinkPart(link), web.Para("mail.email_new.ignore")},
		Data:  map[string]any{"Duration": s.cat.FormatDuration(s.cat.MailLang(m.Locale), s.cfg.ConfirmLinkTTL)}})
	s.sendMail(ctx, m, m.Email, web.Letter{Subject: "mail.email_old.subject",
		Parts: []web.LetterPart{web.Para("mail.email_old.body"), web.Para("mail.email_old.action"), web.LinkPart(s.cfg.BaseURL + "/account")},
		Data:  map[string]any{"Username": m.Username, "NewEmail": ch.NewEmail, "Email": m.Email}})
}

// PendingEmailChange returns the member's change of address waiting for
// confirmation; nil when there is none or its link has expired.
func (s *Service) PendingEmailChange(ctx context.Context, username string) (*EmailChange, error) {
	var ch emailChange
	err := s.store.View(func(txn *badger.Txn) error { return store.GetJSON(txn, store.PrefixEmailChange+username, &ch) })
	if twinfed.ErrorCode(err) == twinfed.ENOTFOUND || (err == nil && s.now().After(ch.Expires)) {
		return nil, nil
	}
	if err != nil {
		return nil, s.internal("pending e-mail change", err)
	}
	return &ch.EmailChange, nil
}

// EmailChangeLink checks a change-of-address link for the logged-in member
// without using it, and returns the change it confirms: the errors of
// ConfirmEmailChange, so that the page shows them before any button.
func (s *Service) EmailChangeLink(ctx context.Context, p *twinfed.Principal, token string) (*EmailChange, error) {
	var ch *emailChange
	err := s.store.View(func(txn *badger.Txn) error {
		var err error
		_, ch, err = s.emailChangeLink(txn, p, token, false)
		return err
	})
	if err != nil {
		return nil, s.internal("e-mail change link", err)
	}
	return &ch.EmailChange, nil
}

// ConfirmEmailChange uses a change-of-address link: the account's address
// becomes the new one (the e-mail index moves with it) and the pending
// change is cleared. The link works once, before it expires, for the
// member logged in to its account, and only while it is the link of the
// member's pending change. When another account has taken the address
// since the request, the link is used up, the pending change cleared and
// ECONFLICT returned: the address stays as it was.
func (s *Service) ConfirmEmailChange(ctx context.Context, p *twinfed.Principal, token string) (*twinfed.Member, error) {
	var m *twinfed.Member
	var taken bool
	err := s.update(func(txn *badger.Txn) error {
		taken = false
		t, ch, err := s.emailChangeLink(txn, p, token, true)
		if err != nil {
			return err
		}
		old, err := LoadMember(txn, t.Username)
		if err != nil {
			return err
		}
		m = old
		if err := txn.Delete([]byte(store.PrefixEmailChange + old.Username)); err != nil {
			return err
		}
		if owner, ok, err := store.GetString(txn, store.PrefixEmail+NormEmail(ch.NewEmail)); err != nil {
			return err
		} else if ok && owner != old.Username {
			taken = true
			return nil // commit the used link and the cleared change
		}
		if err := txn.Delete([]byte(store.PrefixEmail + NormEmail(old.Email))); err != nil {
			return err
		}
		if err := txn.Set([]byte(store.PrefixEmail+NormEmail(ch.NewEmail)), []byte(old.Username)); err != nil {
			return err
		}
		m = ptrCopy(old)
		m.Email, m.Updated = ch.NewEmail, s.now().UTC()
		return s.SaveMember(ctx, txn, old, m)
	})
	if err != nil {
		return nil, s.internal("confirm e-mail change", err)
	}
	if taken {
		return m, &twinfed.Error{Code: twinfed.ECONFLICT, Message: msgEmailTakenSince}
	}
	return m, nil
}

// emailChangeLink finds the link's token and the pending change it
// confirms; with use, it marks the token used (useToken). ENOTFOUND, EINVALID
// and ECONFLICT as useToken; EFORBIDDEN when the link is another account's;
// ECONFLICT when a later request or a cancellation replaced it.
func (s *Service) emailChangeLink(txn *badger.Txn, p *twinfed.Principal, token string, use bool) (*linkToken, *emailChange, error) {
	var t *linkToken
	var err error
	if use {
		t, err = s.useToken(txn, token, linkEmailChange)
	} else {
		t, err = s.peekToken(txn, token, linkEmailChange)
	}
	if err != nil {
		return nil, nil, err
	}
	if p == nil || t.Username != p.Username {
		return nil, nil, twinfed.Errorf(twinfed.EFORBIDDEN, msgEmailLinkOther)
	}
	var ch emailChange
	if err := store.GetJSON(txn, store.PrefixEmailChange+t.Username, &ch); err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil, nil, twinfed.Errorf(twinfed.ECONFLICT, msgEmailLinkReplaced)
		}
		return nil, nil, err
	}
	if ch.TokenHash != tokenHash(token) {
		return nil, nil, twinfed.Errorf(twinfed.ECONFLICT, msgEmailLinkReplaced)
	}
	return t, &ch, nil
}

// peekToken checks a single-use link as useToken does, with its errors,
// without using it.
func (s *Service) peekToken(txn *badger.Txn, token, kind string) (*linkToken, error) {
	var t linkToken
	if err := store.GetJSON(txn, store.PrefixToken+tokenHash(token), &t); err != nil || t.Kind != kind {
		if err == nil || twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil, twinfed.Errorf(twinfed.ENOTFOUND, "This link is not valid. Check that you copied the whole link from the e-mail.")
		}
		return nil, err
	}
	if !t.Used.IsZero() {
		return nil, twinfed.Errorf(twinfed.ECONFLICT, "This link has already been used. Log in, or ask for a new link.")
	}
	if s.now().UTC().After(t.Expires) {
		return nil, twinfed.Errorf(twinfed.EINVALID, "This link has expired. Ask for a new one.")
	}
	return &t, nil
}
