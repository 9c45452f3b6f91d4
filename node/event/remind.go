package event

import (
	"context"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// Reminders by e-mail, in the member's language and zone: the day before
// an event and an hour before, to every member of this node who takes
// part in it (confirmed) or organises it. Each is sent once for the start it
// names: er/<username>/<day|hour>/<event id> records that start, so the
// reminders of an event moved go again for its new time.

// reminder is one of the two reminders: how long before the start it
// goes, and its subject.
type reminder struct {
	kind    string
	before  time.Duration
	subject string
}

var reminders = []reminder{
	{"day", 24 * time.Hour, "event.reminder.subject_day"},
	{"hour", time.Hour, "event.reminder.subject_hour"},
}

// SendReminders sends the reminders now due and returns how many it sent.
// The node calls it every minute; mail is best effort (a failure is
// logged, and the reminder is not tried again).
func (s *Service) SendReminders(ctx context.Context) (int, error) {
	if s.mailer == nil || s.cat == nil {
		return 0, nil
	}
	type due struct {
		m    *twinfed.Member
		e    *twinfed.Event
		r    reminder
		mark string
	}
	var list []due
	now := s.now()
	err := s.store.View(func(txn *badger.Txn) error {
		add := func(username string, e *twinfed.Event) error {
			if e.Cancelled {
				return nil
			}
			for _, r := range reminders {
				if !now.Before(e.Start) || e.Start.Sub(now) > r.before {
					continue
				}
				mark := store.PrefixEventReminder + username + "/" + r.kind + "/" + e.ID
				if at, ok, _ := store.GetString(txn, mark); ok && (at == "" || at == e.Start.UTC().Format(time.RFC3339)) {
					continue // sent for this start (a mark without one was written before marks kept it)
				}
				m, err := s.members.MemberIn(txn, username)
				if err != nil {
					return nil // the account is gone
				}
				list = append(list, due{m, e, r, mark})
				break // the closer reminder only: never two at once
			}
			return nil
		}
		for _, k := range store.KeysUnder(txn, store.PrefixMyEvent, 0) {
			username, id, ok := strings.Cut(k, "/")
			if !ok {
				continue
			}
			if st := myState(txn, username, id); st != twinfed.BookingConfirmed {
				continue
			}
			e, err := getEvent(txn, id)
			if err != nil {
				continue
			}
			if err := add(username, e); err != nil {
				return err
			}
		}
		return store.EachJSON(txn, store.PrefixEvent, func(e *twinfed.Event) error {
			if u := s.localUsername(e.Organiser); u != "" {
				return add(u, e)
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, d := range list {
		if err := s.store.Update(func(txn *badger.Txn) error {
			// Both reminders are marked: a late day reminder is not followed
			// by the hour's at once.
			for _, r := range reminders {
				if r.before >= d.r.before {
					if err := txn.Set([]byte(store.PrefixEventReminder+d.m.Username+"/"+r.kind+"/"+d.e.ID), []byte(d.e.Start.UTC().Format(time.RFC3339))); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			return sent, err
		}
		s.remind(ctx, d.m, d.e, d.r)
		sent++
	}
	return sent, nil
}

// remind writes one reminder to m in their language, the time in their
// zone and in CET.
func (s *Service) remind(ctx context.Context, m *twinfed.Member, e *twinfed.Event, r reminder) {
	lang := s.cat.MailLang(m.Locale)
	loc, ok := web.LoadZone(m.TimeZone)
	if !ok {
		if z, ok2 := twinfed.CountryZone(s.cfg.Country); ok2 {
			loc, _ = web.LoadZone(z)
		}
	}
	f := web.NewFormatter(s.cat, lang, loc)
	l := web.Letter{Subject: r.subject, Name: m.FirstName, Site: s.cfg.BaseURL + "/",
		Parts: []web.LetterPart{web.Para("event.reminder.body"), web.LinkPart(s.cfg.BaseURL + s.Path(e.ID))},
		Data:  map[string]any{"Title": e.Title, "When": f.DateTime(e.Start), "CET": f.In(s.cet).DateTime(e.Start)}}
	msg := s.cat.Mail(lang, m.Email, l)
	if err := s.mailer.Send(ctx, msg); err != nil {
		s.log.Error("send event reminder", "to", msg.To, "event", e.ID, "err", err)
	}
}

// Run sends the reminders, and forgets the photos uploaded a day ago for
// an event never saved (SweepPendingPhotos), every minute until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if _, err := s.SendReminders(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("event reminders", "err", err)
		}
		if _, err := s.SweepPendingPhotos(); err != nil && ctx.Err() == nil {
			s.log.Error("event photos: forget the uploads no event took", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
