package eventfiles

import (
	"context"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/inbound"
)

// The activities of the archives from other nodes (InboxRoutes claims
// them for the node's inbound router): a participant's file to the home node (Create), the home
// node's records and deletions (Announce), a participant's deletion of
// their own file (Delete).

// IsFile reports whether an incoming note carries a file of the archive
// of an event this node holds.
func (s *Service) IsFile(txn *badger.Txn, n *twinfed.Note) bool {
	return n != nil && n.File != nil && n.File.Event != "" && n.InReplyTo == n.File.Event && s.events.Has(txn, n.File.Event)
}

// fromNote reads a record another node sends, checked against the note
// that carries it.
func (s *Service) fromNote(n *twinfed.Note) (*twinfed.EventFile, error) {
	f := *n.File
	if f.ID != n.ID || f.Uploader != n.From || !strings.HasPrefix(f.ID, uploaderBase(f.Uploader)+"/event-files/") {
		return nil, twinfed.Errorf(twinfed.EINVALID, "event file %s: its note, its uploader and its id disagree", f.ID)
	}
	if err := twinfed.CheckEventFile(&f, s.cfg.MaxFileBytes); err != nil {
		return nil, err
	}
	f.Published = f.Published.UTC()
	return &f, nil
}

// uploaderBase is the base URL of the node of a member's actor URL.
func uploaderBase(actor string) string {
	if i := strings.Index(actor, "/users/"); i > 0 {
		return actor[:i]
	}
	return "\x00" // matches no id
}

// ApplyCreate takes, on the event's home node, a participant's file from
// their node: the rule and the event's quota are checked here; the record
// is kept and announced. The federation has checked that the signing node
// hosts the uploader and the file (same origin).
func (s *Service) ApplyCreate(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	f, err := s.fromNote(a.Note)
	if err != nil {
		return err
	}
	if f.Uploader != a.Actor || !s.events.IsHome(f.Event) || f.Deleted {
		return twinfed.Errorf(twinfed.EINVALID, "event file %s not by its actor or not for an event of this node", f.ID)
	}
	if s.Has(txn, f.ID) { // kept already, or deleted: it does not come back
		return nil
	}
	e, err := s.allowed(txn, f.Event, f.Uploader, true)
	if err != nil {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "event file %s: %s", f.ID, twinfed.ErrorMessage(err))
	}
	if used(txn, e.ID)+f.Size > s.cfg.QuotaBytes {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "event file %s: past the event's quota", f.ID)
	}
	if err := put(txn, f); err != nil {
		return err
	}
	if err := s.logChange(txn, f); err != nil {
		return err
	}
	return s.announce(ctx, txn, e, f)
}

// ApplyAnnounce keeps, on a participant's node, a record the event's home
// node announced, or forgets a deleted one: only the event's organiser
// (its home node) announces its archive.
func (s *Service) ApplyAnnounce(_ context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	f, err := s.fromNote(a.Note)
	if err != nil {
		return err
	}
	e, err := s.events.Event(txn, f.Event)
	if err != nil || e.Organiser != a.Actor || s.events.IsHome(e.ID) {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "event file %s announced by %s, not by the event's organiser", f.ID, a.Actor)
	}
	_, err = s.keep(txn, f)
	return err
}

// ApplyDelete takes, on the event's home node, the deletion of a file by
// its uploader, sent by the uploader's node, and announces it.
func (s *Service) ApplyDelete(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	if !s.events.IsHome(a.Target) {
		return twinfed.Errorf(twinfed.EINVALID, "deletion of event file %s: not an event of this node", a.Object)
	}
	f, err := find(txn, a.Target, a.Object)
	if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
		return nil // deleted already
	}
	if err != nil {
		return err
	}
	e, err := s.events.Event(txn, f.Event)
	if err != nil {
		return err
	}
	if f.Uploader != a.Actor {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "event file %s deleted by %s, not by its uploader", f.ID, a.Actor)
	}
	if err := twinfed.CanDeleteEventFile(e, f, a.Actor); err != nil {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "event file %s: %s", f.ID, twinfed.ErrorMessage(err))
	}
	if err := s.remove(txn, f); err != nil {
		return err
	}
	gone := *f
	gone.Deleted = true
	return s.announce(ctx, txn, e, &gone)
}

// InboxRoutes are the events' file archives' claims on activities from
// other nodes (node/inbound): the note of a file of an event this node
// holds (IsFile), carried by a Create (ApplyCreate), the home node's
// Announce (ApplyAnnounce) or a Delete (ApplyDelete), an Update being
// refused; and, by the records this node holds, the Delete of a file with
// its event as target.
func (s *Service) InboxRoutes() []inbound.Route {
	types := func(t ...twinfed.ActivityType) []twinfed.ActivityType { return t }
	file := func(txn *badger.Txn, a *twinfed.Activity) bool { return s.IsFile(txn, a.Note) }
	return []inbound.Route{
		{Name: "eventfiles.ApplyCreate", Types: types(twinfed.ActivityCreate), Claims: file, Apply: s.ApplyCreate},
		{Name: "eventfiles.ApplyAnnounce", Types: types(twinfed.ActivityAnnounce), Claims: file, Apply: s.ApplyAnnounce},
		{Name: "eventfiles.ApplyDelete", Types: types(twinfed.ActivityDelete), Claims: file, Apply: s.ApplyDelete},
		{Name: "eventfiles.update", Types: types(twinfed.ActivityUpdate), Claims: file},
		{Name: "eventfiles.ApplyDelete", Types: types(twinfed.ActivityDelete), Pass: inbound.ByReference, Apply: s.ApplyDelete,
			Claims: func(txn *badger.Txn, a *twinfed.Activity) bool { return a.Target != "" && s.Has(txn, a.Object) }},
	}
}
