package node

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// TestInbox_Routes holds the inbound router's precedence: each activity
// another node may send reaches the feature handler that owns it, whatever
// else this node holds, and one that nothing claims is refused with
// EINVALID and recorded nowhere. The objects the claims look up (an event,
// an event's file, a wall post, a partner-forum post) are written as this
// node keeps them; the handlers themselves are the features' tests'.
func TestInbox_Routes(t *testing.T) {
	n, err := Open(context.Background(), Options{Dir: t.TempDir(), Addr: "127.0.0.1:0", Service: Config{Country: "IT", AgencyName: "Indire"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	s := n.svc
	const fr = "http://fr.example"
	var (
		jean    = twinfed.ActorURL(fr, "jean")
		anna    = twinfed.ActorURL(n.URL(), "anna")
		agency  = twinfed.AgencyURL(fr)
		event   = fr + "/events/e1"
		file    = fr + "/event-files/f1"
		post    = fr + "/users/jean/posts/p1"
		topic   = fr + "/forum/t1"
		project = fr + "/projects/p1"
		now     = time.Now().UTC().Truncate(time.Second)
	)
	if err := s.kit.Store.Update(func(txn *badger.Txn) error {
		if err := store.SetJSON(txn, store.PrefixEvent+event, &twinfed.Event{ID: event}); err != nil {
			return err
		}
		if err := txn.Set([]byte(store.PrefixEventFile+"i/"+file), []byte("r")); err != nil {
			return err
		}
		if err := txn.Set([]byte(store.PrefixWallPost+post), []byte("{}")); err != nil {
			return err
		}
		return store.SetJSON(txn, store.PrefixForum+topic, &twinfed.ForumPost{ID: topic})
	}); err != nil {
		t.Fatal(err)
	}
	fileNote := &twinfed.Note{ID: file, From: jean, To: event, InReplyTo: event, Published: now, File: &twinfed.EventFile{ID: file, Event: event}}
	eventPost := &twinfed.Note{ID: fr + "/events/e1/posts/1", From: jean, To: event, InReplyTo: event, Content: "hi", Published: now}
	wallPost := &twinfed.Note{ID: post, From: jean, To: twinfed.FollowersURL(jean), Content: "hello", Published: now}
	reply := &twinfed.Note{ID: fr + "/users/jean/replies/1", From: jean, To: anna, InReplyTo: post, Content: "yes", Published: now}
	message := &twinfed.Note{ID: fr + "/users/jean/notes/1", From: jean, To: anna, Content: "ciao", Published: now}
	space := &twinfed.SpaceObject{ID: fr + "/projects/p1/objects/1"}
	group := &twinfed.Project{ID: project}
	const refused = ""
	for _, c := range []struct {
		name string
		a    twinfed.Activity
		want string // the handler, "" when the activity is refused
	}{
		// A TwinSpace object, whatever the type.
		{"create twinspace object", twinfed.Activity{Type: twinfed.ActivityCreate, Space: space}, "twinspace.ApplyWrite"},
		{"update twinspace object", twinfed.Activity{Type: twinfed.ActivityUpdate, Space: space}, "twinspace.ApplyWrite"},
		{"delete twinspace object", twinfed.Activity{Type: twinfed.ActivityDelete, Space: space}, "twinspace.ApplyWrite"},
		{"announce twinspace object", twinfed.Activity{Type: twinfed.ActivityAnnounce, Space: space}, "twinspace.ApplyAnnounced"},
		{"like of a twinspace object", twinfed.Activity{Type: twinfed.ActivityLike, Object: post, Space: space}, refused},
		// Training offers.
		{"create training", twinfed.Activity{Type: twinfed.ActivityCreate, Training: &twinfed.Training{}}, "training.ApplyTraining"},
		{"update training", twinfed.Activity{Type: twinfed.ActivityUpdate, Training: &twinfed.Training{}}, "training.ApplyTraining"},
		// The partner forum.
		{"create forum post", twinfed.Activity{Type: twinfed.ActivityCreate, Forum: &twinfed.ForumPost{}}, "forum.ApplyPost"},
		{"update forum post", twinfed.Activity{Type: twinfed.ActivityUpdate, Forum: &twinfed.ForumPost{}}, "forum.ApplyPost"},
		{"delete forum post carried", twinfed.Activity{Type: twinfed.ActivityDelete, Forum: &twinfed.ForumPost{}}, "forum.ApplyDelete"},
		{"delete forum post held", twinfed.Activity{Type: twinfed.ActivityDelete, Actor: jean, Object: topic}, "forum.ApplyDelete"},
		{"flag", twinfed.Activity{Type: twinfed.ActivityFlag, Object: topic}, "forum.ApplyFlag"},
		{"flag of a wall post", twinfed.Activity{Type: twinfed.ActivityFlag, Object: post}, "forum.ApplyFlag"},
		{"accept of a forum post", twinfed.Activity{Type: twinfed.ActivityAccept, Forum: &twinfed.ForumPost{}}, refused},
		// Contacts and follows.
		{"follow", twinfed.Activity{Type: twinfed.ActivityFollow, Actor: jean, Object: anna}, "social.ApplyFollow"},
		{"undo of a follow", twinfed.Activity{Type: twinfed.ActivityUndo, Actor: jean, Object: fr + "/activities/f1"}, "social.ApplyUndo"},
		{"undo with another target", twinfed.Activity{Type: twinfed.ActivityUndo, Actor: jean, Object: fr + "/activities/f1", Target: fr + "/x"}, "social.ApplyUndo"},
		{"accept of a contact request", twinfed.Activity{Type: twinfed.ActivityAccept, Actor: jean, Object: anna + "/activities/1"}, "social.ApplyAnswer"},
		{"reject of a contact request", twinfed.Activity{Type: twinfed.ActivityReject, Actor: jean, Object: anna + "/activities/1"}, "social.ApplyAnswer"},
		{"direct message", twinfed.Activity{Type: twinfed.ActivityCreate, Actor: jean, Note: message}, "social.ApplyNote"},
		// Wall posts.
		{"unlike", twinfed.Activity{Type: twinfed.ActivityUndo, Actor: jean, Object: fr + "/activities/l1", Target: post}, "feed.ApplyUnlike"},
		{"like", twinfed.Activity{Type: twinfed.ActivityLike, Actor: jean, Object: post}, "feed.ApplyLike"},
		{"create wall post", twinfed.Activity{Type: twinfed.ActivityCreate, Actor: jean, Note: wallPost}, "feed.ApplyPost"},
		{"update wall post", twinfed.Activity{Type: twinfed.ActivityUpdate, Actor: jean, Note: wallPost}, "feed.ApplyPostUpdate"},
		{"update wall post with a group target", twinfed.Activity{Type: twinfed.ActivityUpdate, Actor: jean, Note: wallPost, Project: group, Target: project}, "feed.ApplyPostUpdate"},
		{"update likes held", twinfed.Activity{Type: twinfed.ActivityUpdate, Actor: jean, Object: post, Likes: &twinfed.PostLikes{Post: post}}, "feed.ApplyLikes"},
		{"update likes not held", twinfed.Activity{Type: twinfed.ActivityUpdate, Actor: jean, Object: fr + "/users/jean/posts/9", Likes: &twinfed.PostLikes{}}, refused},
		{"create reply", twinfed.Activity{Type: twinfed.ActivityCreate, Actor: jean, Note: reply}, "feed.ApplyReply"},
		{"announce reply", twinfed.Activity{Type: twinfed.ActivityAnnounce, Actor: jean, Note: reply}, "feed.ApplyReply"},
		{"delete reply", twinfed.Activity{Type: twinfed.ActivityDelete, Actor: jean, Object: reply.ID, Target: post}, "feed.ApplyReplyDelete"},
		{"delete wall post", twinfed.Activity{Type: twinfed.ActivityDelete, Actor: jean, Object: post}, "feed.ApplyPostDelete"},
		{"delete wall post with a group target", twinfed.Activity{Type: twinfed.ActivityDelete, Actor: jean, Object: post, Project: group, Target: project}, "project.ApplyProjectDelete"},
		// The directory.
		{"update profile", twinfed.Activity{Type: twinfed.ActivityUpdate, Actor: jean, Object: jean, Profile: &twinfed.Profile{}}, "directory.ApplyProfileUpdate"},
		{"delete actor", twinfed.Activity{Type: twinfed.ActivityDelete, Actor: jean, Object: jean}, "directory.ApplyActorDelete"},
		{"delete actor with a post target", twinfed.Activity{Type: twinfed.ActivityDelete, Actor: jean, Object: jean, Target: post}, "directory.ApplyActorDelete"},
		// Projects.
		{"invite with a target", twinfed.Activity{Type: twinfed.ActivityInvite, Actor: jean, Object: anna, Target: project}, "project.ApplyInvite"},
		{"invite with a project", twinfed.Activity{Type: twinfed.ActivityInvite, Actor: jean, Object: anna, Project: group}, "project.ApplyInvite"},
		{"invite of nothing", twinfed.Activity{Type: twinfed.ActivityInvite, Actor: jean, Object: anna}, refused},
		{"accept of an invitation", twinfed.Activity{Type: twinfed.ActivityAccept, Actor: jean, Target: project}, "project.ApplyInvitationAnswer"},
		{"reject of an invitation", twinfed.Activity{Type: twinfed.ActivityReject, Actor: jean, Target: project}, "project.ApplyInvitationAnswer"},
		{"agency's accept", twinfed.Activity{Type: twinfed.ActivityAccept, Actor: agency, Target: project}, "project.ApplyDecision"},
		{"agency's reject", twinfed.Activity{Type: twinfed.ActivityReject, Actor: agency, Target: project}, "project.ApplyDecision"},
		{"update project", twinfed.Activity{Type: twinfed.ActivityUpdate, Actor: jean, Object: project, Project: group}, "project.ApplyProjectUpdate"},
		{"delete project", twinfed.Activity{Type: twinfed.ActivityDelete, Actor: jean, Object: project, Project: group}, "project.ApplyProjectDelete"},
		// Events and their bookings.
		{"create event", twinfed.Activity{Type: twinfed.ActivityCreate, Actor: jean, Event: &twinfed.Event{ID: event}}, "event.ApplyEvent"},
		{"update event", twinfed.Activity{Type: twinfed.ActivityUpdate, Actor: jean, Event: &twinfed.Event{ID: event}}, "event.ApplyEvent"},
		{"delete event", twinfed.Activity{Type: twinfed.ActivityDelete, Actor: jean, Object: event, Event: &twinfed.Event{ID: event}}, "event.ApplyEvent"},
		{"join", twinfed.Activity{Type: twinfed.ActivityJoin, Actor: jean, Object: event}, "event.ApplyJoin"},
		{"leave", twinfed.Activity{Type: twinfed.ActivityLeave, Actor: jean, Object: event}, "event.ApplyLeave"},
		{"join of an event not held", twinfed.Activity{Type: twinfed.ActivityJoin, Actor: jean, Object: fr + "/events/e9"}, refused},
		{"accept of a booking", twinfed.Activity{Type: twinfed.ActivityAccept, Actor: jean, Target: event}, "event.ApplyAnswer+eventforum.OnAnswer"},
		{"reject of a booking", twinfed.Activity{Type: twinfed.ActivityReject, Actor: jean, Target: event}, "event.ApplyAnswer"},
		{"agency's accept of a booking", twinfed.Activity{Type: twinfed.ActivityAccept, Actor: agency, Target: event}, "event.ApplyAnswer+eventforum.OnAnswer"},
		// An event's forum and file archive.
		{"create event post", twinfed.Activity{Type: twinfed.ActivityCreate, Actor: jean, Note: eventPost}, "eventforum.ApplyCreate"},
		{"announce event post", twinfed.Activity{Type: twinfed.ActivityAnnounce, Actor: jean, Note: eventPost}, "eventforum.ApplyAnnounce"},
		{"update event post", twinfed.Activity{Type: twinfed.ActivityUpdate, Actor: jean, Note: eventPost}, "eventforum.ApplyChange"},
		{"delete event post", twinfed.Activity{Type: twinfed.ActivityDelete, Actor: jean, Note: eventPost}, "eventforum.ApplyChange"},
		{"create event file", twinfed.Activity{Type: twinfed.ActivityCreate, Actor: jean, Note: fileNote}, "eventfiles.ApplyCreate"},
		{"announce event file", twinfed.Activity{Type: twinfed.ActivityAnnounce, Actor: jean, Note: fileNote}, "eventfiles.ApplyAnnounce"},
		{"update event file", twinfed.Activity{Type: twinfed.ActivityUpdate, Actor: jean, Note: fileNote}, refused},
		{"delete event file carried", twinfed.Activity{Type: twinfed.ActivityDelete, Actor: jean, Note: fileNote}, "eventfiles.ApplyDelete"},
		{"delete event file held", twinfed.Activity{Type: twinfed.ActivityDelete, Actor: jean, Object: file, Target: event}, "eventfiles.ApplyDelete"},
		// What nothing here owns.
		{"create of nothing", twinfed.Activity{Type: twinfed.ActivityCreate, Actor: jean}, refused},
		{"announce of a message", twinfed.Activity{Type: twinfed.ActivityAnnounce, Actor: jean, Note: message}, refused},
		{"announce of nothing", twinfed.Activity{Type: twinfed.ActivityAnnounce, Actor: jean, Object: post}, refused},
		{"update of nothing", twinfed.Activity{Type: twinfed.ActivityUpdate, Actor: jean, Object: post}, refused},
		{"delete of what is not held", twinfed.Activity{Type: twinfed.ActivityDelete, Actor: jean, Object: fr + "/x/1"}, refused},
		{"add", twinfed.Activity{Type: "Add", Actor: jean, Object: post}, refused},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got string
			if err := s.kit.Store.View(func(txn *badger.Txn) error { got = routeOf(s, txn, &c.a); return nil }); err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("%s routed to %q, want %q", c.a.Type, got, c.want)
			}
		})
	}

	t.Run("refused", func(t *testing.T) {
		a := &twinfed.Activity{ID: fr + "/activities/add-1", Type: "Add", Actor: jean, Object: post}
		err := s.HandleActivity(context.Background(), a)
		var te *twinfed.Error
		if !errors.As(err, &te) || te.Code != twinfed.EINVALID || te.Message != "Add activities are not handled by this node" {
			t.Fatalf("HandleActivity = %v, want EINVALID: Add activities are not handled by this node", err)
		}
		if err := s.kit.Store.View(func(txn *badger.Txn) error {
			if store.Has(txn, store.PrefixApplied+a.ID) {
				t.Error("the refused activity was recorded as applied")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// routeOf names the handler the router picks for a ("" when none).
func routeOf(s *Service, txn *badger.Txn, a *twinfed.Activity) string {
	if r, ok := s.inbox.Route(txn, a); ok && r.Apply != nil {
		return r.Name
	}
	return ""
}
