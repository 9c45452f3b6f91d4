package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/nodetest"
)

// The TwinSpace's chat across real nodes (the `twinfed node serve`
// wiring, real HTTP signatures, a real registry): a message written on
// one node reaches the event streams its partners' pages hold open on
// theirs, as does its removal.

// chatSpace seeds one teacher on each node, friends of the first node's,
// and makes them partners of an approved project (approvedProject): each
// node then gets every TwinSpace object. It returns the project's id and
// the teachers' usernames, node by node (teacher<country>, password
// "correct horse 1").
func chatSpace(tb testing.TB, nodes ...*fedNode) (string, []string) {
	tb.Helper()
	users, actors := make([]string, len(nodes)), make([]string, len(nodes))
	for i, n := range nodes {
		for _, o := range nodes {
			if o != n {
				n.knows(tb, o)
			}
		}
		users[i] = "teacher" + strings.ToLower(n.Config.Country)
		actors[i] = n.seedTeacher(tb, users[i], "Teacher", n.Config.Country, []string{"science"}, []int{10})
	}
	for i := 1; i < len(nodes); i++ {
		befriend(tb, nodes[0], users[0], nodes[i], users[i])
	}
	seats := make([]seat, len(nodes))
	for i, n := range nodes {
		seats[i] = seat{n, users[i]}
	}
	p := approvedProject(tb, "Chatting across Europe", seats[0], seats[1:]...)
	return p.ID, users
}

// chatEvent is an event of the chat's stream.
type chatEvent struct {
	ID   string `json:"id"`
	HTML string `json:"html"`
}

// nextChat returns the stream's next event about message id (others,
// such as earlier ones sent again after a reconnection, are skipped).
func nextChat(t *testing.T, s *nodetest.EventStream, id string) (nodetest.Event, chatEvent) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ev := s.Next(t, time.Until(deadline))
		var ce chatEvent
		if err := json.Unmarshal([]byte(ev.Data), &ce); err != nil {
			t.Fatalf("event %+v: %v", ev, err)
		}
		if ce.ID == id {
			return ev, ce
		}
	}
	t.Fatalf("no event about %s", id)
	return nodetest.Event{}, chatEvent{}
}

func TestFederation_Chat(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 3)
	it, fr := startFedNode(t, cluster, "IT"), startFedNode(t, cluster, "FR")
	id, users := chatSpace(t, it, fr)
	itAPI, itCSRF := nodetest.APISession(t, it.base, users[0], "correct horse 1")
	frAPI, frCSRF := nodetest.APISession(t, fr.base, users[1], "correct horse 1")
	stream := func(n *fedNode, b *nodetest.Browser, lang, last string) *nodetest.EventStream {
		t.Helper()
		s, code := nodetest.OpenEvents(t, b.Stream(), n.base+"/twinspace/chat/events?id="+url.QueryEscape(id), lang, last)
		if s == nil {
			t.Fatalf("%s: event stream: %d", n.Config.Country, code)
		}
		return s
	}
	send := func(b *nodetest.Browser, csrf, text string) string {
		t.Helper()
		var o twinfed.SpaceObject
		if code := b.API("POST", "/api/v1/twinspace/chat", map[string]string{"id": id, "content": text}, csrf, &o); code != http.StatusCreated {
			t.Fatalf("send %q: %d %s", text, code, b.Last)
		}
		return o.ID
	}
	baseIT, baseFR := it.ts().Subscribers(), fr.ts().Subscribers()

	// Written on IT, shown live on FR in French; written on FR, live on IT
	// in Italian.
	onFR, onIT := stream(fr, frAPI, "fr", ""), stream(it, itAPI, "it", "")
	m1 := send(itAPI, itCSRF, "Ciao Jean! <3")
	if ev, ce := nextChat(t, onFR, m1); ev.Type != "message" || !strings.Contains(ce.HTML, "Ciao Jean! &lt;3") || !strings.Contains(ce.HTML, ">Retirer</button>") {
		t.Fatalf("FR's event: %+v", ev)
	}
	m2 := send(frAPI, frCSRF, "Bonjour Maria !")
	if ev, ce := nextChat(t, onIT, m2); ev.Type != "message" || !strings.Contains(ce.HTML, "Bonjour Maria !") || !strings.Contains(ce.HTML, ">Rimuovi</button>") {
		t.Fatalf("IT's event: %+v", ev)
	}
	if ev, _ := nextChat(t, onFR, m2); ev.Type != "message" {
		t.Fatalf("FR's own message on FR: %+v", ev)
	}

	// A reconnection on FR gets what IT wrote meanwhile (Last-Event-ID).
	m3 := send(itAPI, itCSRF, "Ci sei?")
	seen, _ := nextChat(t, onFR, m3)
	onFR.Close()
	m4, m5 := send(itAPI, itCSRF, "Rispondi quando puoi."), send(itAPI, itCSRF, "A domani!")
	consensustest.Eventually(t, 30*time.Second, func() bool {
		v, err := fr.ts().OpenView(context.Background(), teacher(users[1]), id, false)
		if err != nil {
			return false
		}
		msgs, _, err := fr.Node().TwinSpaces().Chat.History(v, "")
		return err == nil && len(msgs) == 5 && msgs[4].ID == m5
	}, "the messages written on IT never reached FR")
	onFR = stream(fr, frAPI, "fr", seen.ID)
	caught := map[string]string{} // the two may reach FR in either order
	for caught[m4] == "" || caught[m5] == "" {
		ev := onFR.Next(t, 30*time.Second)
		var ce chatEvent
		json.Unmarshal([]byte(ev.Data), &ce)
		caught[ce.ID] = ev.Type
	}
	if caught[m4] != "message" || caught[m5] != "message" {
		t.Fatalf("the catch-up: %v", caught)
	}

	// A teacher on FR removes IT's message: gone on both nodes' pages.
	if code := frAPI.API("POST", "/api/v1/twinspace/chat/remove", map[string]string{"id": id, "message": m1}, frCSRF, nil); code != http.StatusNoContent {
		t.Fatalf("remove: %d %s", code, frAPI.Last)
	}
	for _, s := range []*nodetest.EventStream{onIT, onFR} {
		if ev, _ := nextChat(t, s, m1); ev.Type != "remove" {
			t.Fatalf("the event of the removal: %+v", ev)
		}
	}
	for i, n := range []*fedNode{it, fr} {
		consensustest.Eventually(t, 30*time.Second, func() bool {
			v, err := n.ts().OpenView(context.Background(), teacher(users[i]), id, false)
			if err != nil {
				return false
			}
			msgs, _, err := n.Node().TwinSpaces().Chat.History(v, "")
			return err == nil && len(msgs) == 4 && msgs[0].ID == m2
		}, n.Config.Country+": the removal never applied")
	}

	// No stream outlives its reader.
	onFR.Close()
	onIT.Close()
	consensustest.Eventually(t, 10*time.Second, func() bool {
		return it.ts().Subscribers() == baseIT && fr.ts().Subscribers() == baseFR
	}, "subscriptions left open after the streams closed")
}
