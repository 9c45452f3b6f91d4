package twinfed_test

import (
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
)

func TestCheckForumPost(t *testing.T) {
	good := func() *twinfed.ForumPost {
		return &twinfed.ForumPost{Thread: twinfed.ForumErasmus, Title: "  Songs  ", Subjects: []string{"Music", "music", "history"}, AgeBands: []string{"age_6_11"},
			Languages: []string{"it", "en", "it"}, Seeking: []string{"fr", " ES "}, Months: 12, Idea: " Sing. "}
	}
	p := good()
	if err := twinfed.CheckForumPost(p); err != nil {
		t.Fatal(err)
	}
	if p.Title != "Songs" || p.Idea != "Sing." || strings.Join(p.Subjects, ",") != "history,music" || strings.Join(p.Languages, ",") != "en,it" || strings.Join(p.Seeking, ",") != "ES,FR" {
		t.Fatalf("not normalised: %+v", p)
	}
	for _, c := range []struct {
		field string
		edit  func(*twinfed.ForumPost)
	}{
		{"title", func(p *twinfed.ForumPost) { p.Title = " " }},
		{"title", func(p *twinfed.ForumPost) { p.Title = strings.Repeat("é", twinfed.ForumTitleMax+1) }},
		{"idea", func(p *twinfed.ForumPost) { p.Idea = "" }},
		{"idea", func(p *twinfed.ForumPost) { p.Idea = strings.Repeat("x", twinfed.ForumIdeaMax+1) }},
		{"thread", func(p *twinfed.ForumPost) { p.Thread = "chat" }},
		{"subjects", func(p *twinfed.ForumPost) { p.Subjects = nil }},
		{"subjects", func(p *twinfed.ForumPost) { p.Subjects = []string{"astrology"} }},
		{"age_bands", func(p *twinfed.ForumPost) { p.AgeBands = []string{"age_99"} }},
		{"languages", func(p *twinfed.ForumPost) { p.Languages = []string{"xx"} }},
		{"languages", func(p *twinfed.ForumPost) { p.Languages = twinfed.Languages[:twinfed.ForumListMax+1] }},
		{"seeking", func(p *twinfed.ForumPost) { p.Seeking = []string{"ZZ"} }},
		{"months", func(p *twinfed.ForumPost) { p.Months = 0 }},
		{"months", func(p *twinfed.ForumPost) { p.Months = twinfed.ForumDurationMax + 1 }},
	} {
		p := good()
		c.edit(p)
		err := twinfed.CheckForumPost(p)
		if twinfed.ErrorCode(err) != twinfed.EINVALID || twinfed.ErrorFields(err)[c.field] == "" || len(twinfed.ErrorFields(err)) != 1 {
			t.Errorf("%s: %v", c.field, err)
		}
	}
	if _, err := twinfed.CheckForumReply(strings.Repeat("x", twinfed.ForumReplyMax+1)); twinfed.ErrorFields(err)["text"] == "" {
		t.Errorf("an oversized reply: %v", err)
	}
	if text, err := twinfed.CheckForumReply(" ok "); err != nil || text != "ok" {
		t.Errorf("a reply: %q %v", text, err)
	}
}

func TestForumRules(t *testing.T) {
	member := &twinfed.Principal{Username: "anna", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	pending := &twinfed.Principal{Username: "bea", Role: twinfed.RoleMember, Status: twinfed.StatusPending}
	officer := &twinfed.Principal{Username: "o", Role: twinfed.RoleAgencyOfficer, Status: twinfed.StatusValidated}
	if twinfed.CanPostInForum(member) != nil || twinfed.ErrorCode(twinfed.CanPostInForum(pending)) != twinfed.EFORBIDDEN ||
		twinfed.ErrorCode(twinfed.CanPostInForum(officer)) != twinfed.EFORBIDDEN || twinfed.ErrorCode(twinfed.CanPostInForum(nil)) != twinfed.EUNAUTHORIZED {
		t.Error("CanPostInForum")
	}
	if twinfed.CanReadForum(officer) != nil || twinfed.CanReadForum(pending) == nil {
		t.Error("CanReadForum")
	}
	post := &twinfed.ForumPost{ID: "https://it.example/forum/posts/1", Author: "https://it.example/users/anna", Country: "IT", Version: 1}
	if twinfed.CanHideForumPost(officer, post, "IT") != nil || twinfed.CanHideForumPost(officer, post, "FR") == nil || twinfed.CanHideForumPost(member, post, "IT") == nil {
		t.Error("CanHideForumPost")
	}
	post.Hidden = true
	if !twinfed.ForumPostVisible(member, post.Author, post, "IT") || twinfed.ForumPostVisible(member, "https://it.example/users/bruno", post, "IT") ||
		!twinfed.ForumPostVisible(officer, "", post, "IT") || twinfed.ForumPostVisible(officer, "", post, "FR") {
		t.Error("ForumPostVisible")
	}
	if twinfed.CanReplyForumPost(post) == nil {
		t.Error("a reply to a hidden post")
	}
	if twinfed.CanReplyForumPost(&twinfed.ForumPost{InReplyTo: post.ID}) == nil {
		t.Error("a reply to a reply")
	}
	for _, c := range []struct {
		sender, country string
		ok              bool
	}{{"it.example", "IT", true}, {"fr.example", "FR", false}, {"it.example", "FR", false}} {
		if err := twinfed.CheckForumOrigin(c.sender, c.country, post); (err == nil) != c.ok {
			t.Errorf("CheckForumOrigin(%s, %s): %v", c.sender, c.country, err)
		}
	}
	if twinfed.CheckForumOrigin("it.example", "IT", &twinfed.ForumPost{ID: post.ID, Author: post.Author, Country: "IT"}) == nil {
		t.Error("a post without a version")
	}
}

func TestCheckSameOrigin_ForumPost(t *testing.T) {
	a := &twinfed.Activity{ID: "https://it.example/activities/1", Type: twinfed.ActivityCreate, Actor: "https://it.example/users/anna", Object: "https://it.example/forum/posts/1",
		Forum: &twinfed.ForumPost{ID: "https://it.example/forum/posts/1", Author: "https://fr.example/users/jean"}}
	if err := twinfed.CheckSameOrigin("it.example", a); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("a post by another node's member: %v", err)
	}
	a.Forum.Author = "https://it.example/users/anna"
	if err := twinfed.CheckSameOrigin("it.example", a); err != nil {
		t.Fatal(err)
	}
}
