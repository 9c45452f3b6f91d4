package search

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

func project(slug, title string, countries []string, subj, langs []string, ages []int, state twinfed.ProjectState) *twinfed.Project {
	p := &twinfed.Project{ID: "https://it.example/projects/" + slug, Title: title, Subjects: subj, Languages: langs, PupilAges: ages, State: state,
		Description: "<p>Pupils <b>measure</b> the water they use.</p>", Aims: "<p>Saving energy</p>", Updated: time.Unix(1e9, 0)}
	for i, c := range countries {
		p.Partners = append(p.Partners, twinfed.Partner{Actor: fmt.Sprintf("https://%s.example/users/t%d", strings.ToLower(c), i), Country: c,
			SchoolName: "Liceo Galilei " + c, Status: twinfed.PartnerApproved})
	}
	return p
}

func TestSearchProjects_FiltersAndText(t *testing.T) {
	ix := New()
	defer ix.Close()
	a := project("water", "Water for tomorrow", []string{"IT", "FR"}, []string{"science"}, []string{"en"}, []int{10, 11}, twinfed.ProjectApproved)
	b := project("robots", "Robots at school", []string{"IT"}, []string{"technology", "mathematics"}, []string{"it", "en"}, []int{12}, twinfed.ProjectClosed)
	b.Description, b.Aims = "<p>Coding with Scratch</p>", ""
	b.Updated = a.Updated.Add(time.Hour)
	c := project("histoire", "Histoire européenne", []string{"FR", "ES"}, []string{"history"}, []string{"fr"}, []int{15}, twinfed.ProjectApproved)
	c.Updated = a.Updated.Add(-time.Hour)
	c.Partners = append(c.Partners, twinfed.Partner{Actor: "https://de.example/users/x", Country: "DE", SchoolName: "Gymnasium Berlin", Status: twinfed.PartnerDeclined})
	for _, p := range []*twinfed.Project{a, b, c} {
		if err := ix.PutProject(p); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		q    Query
		want []string
	}{
		{"all, newest first", Query{}, []string{b.ID, a.ID, c.ID}},
		{"any partner's country", Query{Country: "fr"}, []string{a.ID, c.ID}},
		{"a declined partner's country does not count", Query{Country: "DE"}, nil},
		{"state", Query{State: twinfed.ProjectClosed}, []string{b.ID}},
		{"subject", Query{Subject: "Mathematics"}, []string{b.ID}},
		{"language", Query{Language: "EN"}, []string{b.ID, a.ID}},
		{"age", Query{AgeMin: 12, AgeMax: 12}, []string{b.ID}},
		{"title word", Query{Text: "robots"}, []string{b.ID}},
		{"accents folded", Query{Text: "europeenne"}, []string{c.ID}},
		{"title prefix", Query{Text: "tomor"}, []string{a.ID}},
		{"description, not markup", Query{Text: "measure"}, []string{a.ID, c.ID}},
		{"markup is not indexed", Query{Text: "b"}, nil},
		{"aims", Query{Text: "energy"}, []string{a.ID, c.ID}},
		{"subjects as text", Query{Text: "histo"}, []string{c.ID}},
		{"partner's school", Query{Text: "galilei es"}, []string{c.ID}},
		{"a declined partner's school does not count", Query{Text: "gymnasium"}, nil},
		{"text and filters", Query{Text: "water", Country: "IT", State: twinfed.ProjectApproved}, []string{a.ID}},
		{"state and text that do not meet", Query{Text: "water", State: twinfed.ProjectClosed}, nil},
		{"an unknown state", Query{State: "draft"}, nil},
	}
	for _, tc := range cases {
		got := search(t, ix, tc.q)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	// The title ranks above the text.
	if got := search(t, ix, Query{Text: "water"}); len(got) != 2 || got[0] != a.ID {
		t.Errorf("water: got %v, want the project titled so first", got)
	}
	if err := ix.Remove(a.ID); err != nil {
		t.Fatal(err)
	}
	if got := search(t, ix, Query{Text: "water"}); !slices.Equal(got, []string{c.ID}) {
		t.Errorf("after removing %s: got %v", a.ID, got)
	}
	if n, _ := ix.Count(); n != 2 {
		t.Errorf("count %d, want 2", n)
	}
}

// projectVocab are the words of the random projects: none is a stop word,
// several share their first letters so that prefixes find more than one.
var projectVocab = []string{"water", "waters", "watermelon", "robot", "robotics", "robots", "music", "musical", "europe", "european",
	"history", "historical", "climate", "climb", "energy", "energetic", "garden", "gardening", "poetry", "poem", "art", "artists", "math", "maths"}

// randomProject is project i with filters and words drawn by r.
func randomProject(r *rand.Rand, i int) *twinfed.Project {
	pick := func(list []string, most int) []string {
		var out []string
		for range r.IntN(most + 1) {
			out = append(out, list[r.IntN(len(list))])
		}
		return out
	}
	text := func(n int) string { return strings.Join(pick(projectVocab, n), " ") }
	states := []twinfed.ProjectState{twinfed.ProjectApproved, twinfed.ProjectClosed}
	p := &twinfed.Project{ID: fmt.Sprintf("https://it.example/projects/p%d", i), Title: text(3), Description: "<p>" + text(6) + "</p>", Aims: text(2),
		Subjects: pick([]string{"science", "art", "history", "music"}, 2), Languages: pick([]string{"en", "fr", "it", "de"}, 2),
		State: states[r.IntN(2)], Updated: time.Unix(int64(r.IntN(1e6)), 0)}
	for _, a := range r.Perm(18)[:r.IntN(3)] {
		p.PupilAges = append(p.PupilAges, a)
	}
	for j, c := range pick([]string{"IT", "FR", "ES", "DE", "PL"}, 3) {
		st := twinfed.PartnerApproved
		if r.IntN(5) == 0 {
			st = twinfed.PartnerDeclined
		}
		p.Partners = append(p.Partners, twinfed.Partner{Actor: fmt.Sprintf("%s-%d", p.ID, j), Country: c, SchoolName: text(2), Status: st})
	}
	return p
}

// bruteForce is what a query should find among ps: every filter exact,
// every word of the text a word of the project or, from three letters, the
// start of a longer one.
func bruteForce(ps map[string]*twinfed.Project, q Query) map[string]bool {
	out := map[string]bool{}
	for id, p := range ps {
		if q.State != "" && p.State != q.State ||
			q.Country != "" && !slices.ContainsFunc(p.Countries(), func(c string) bool { return strings.EqualFold(c, q.Country) }) ||
			q.Subject != "" && !slices.ContainsFunc(p.Subjects, func(s string) bool { return strings.EqualFold(s, q.Subject) }) ||
			q.Language != "" && !slices.ContainsFunc(p.Languages, func(s string) bool { return strings.EqualFold(s, q.Language) }) ||
			q.AgeMin > 0 && !slices.Contains(p.PupilAges, q.AgeMin) {
			continue
		}
		all := p.Title + " " + StripTags(p.Description) + " " + p.Aims + " " + strings.Join(p.Subjects, " ")
		for _, pt := range p.Partners {
			if pt.Status != twinfed.PartnerDeclined {
				all += " " + pt.SchoolName
			}
		}
		words := Words(all)
		ok := true
		for _, w := range Words(q.Text) {
			if !slices.ContainsFunc(words, func(v string) bool { return v == w || len([]rune(w)) >= 3 && strings.HasPrefix(v, w) }) {
				ok = false
			}
		}
		if ok {
			out[id] = true
		}
	}
	return out
}

func TestSearchProjects_SameAsBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	ix := New()
	defer ix.Close()
	ps := map[string]*twinfed.Project{}
	const n = 6000
	check := func(round string) {
		t.Helper()
		for range 300 {
			q := Query{Limit: 100}
			if r.IntN(2) == 0 {
				w := projectVocab[r.IntN(len(projectVocab))]
				q.Text = strings.Join([]string{w[:min(len(w), 3+r.IntN(2))], projectVocab[r.IntN(len(projectVocab))]}[:1+r.IntN(2)], " ")
			}
			switch r.IntN(6) {
			case 0:
				q.Country = []string{"it", "FR", "es", "pl", "se"}[r.IntN(5)]
			case 1:
				q.Subject = []string{"Science", "art", "music"}[r.IntN(3)]
			case 2:
				q.Language = []string{"en", "DE"}[r.IntN(2)]
			case 3:
				q.AgeMin = 1 + r.IntN(17)
				q.AgeMax = q.AgeMin
			}
			if r.IntN(3) == 0 {
				q.State = []twinfed.ProjectState{twinfed.ProjectApproved, twinfed.ProjectClosed}[r.IntN(2)]
			}
			want := bruteForce(ps, q)
			res, err := ix.Search(q)
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != len(want) {
				t.Fatalf("%s: %+v: total %d, the brute force finds %d", round, q, res.Total, len(want))
			}
			for i, id := range res.IDs {
				if !want[id] {
					t.Fatalf("%s: %+v: %s found, the brute force does not", round, q, id)
				}
				if q.Text == "" && i > 0 && ps[id].Updated.After(ps[res.IDs[i-1]].Updated) {
					t.Fatalf("%s: %+v: %s is newer than the one before it", round, q, id)
				}
			}
			if len(res.IDs) != min(len(want), 100) {
				t.Fatalf("%s: %+v: %d ids on the page of %d", round, q, len(res.IDs), len(want))
			}
		}
	}
	b := ix.NewBatch()
	for i := range n {
		p := randomProject(r, i)
		ps[p.ID] = p
		b.PutProject(p)
	}
	if err := ix.Apply(b); err != nil {
		t.Fatal(err)
	}
	check("built")
	// Changes, enough to compact the index: replaced and removed projects.
	for round := range 3 {
		b := ix.NewBatch()
		for range n / 2 {
			id := fmt.Sprintf("https://it.example/projects/p%d", r.IntN(n))
			if r.IntN(4) == 0 {
				delete(ps, id)
				b.Remove(id)
				continue
			}
			p := randomProject(r, 0)
			p.ID = id
			ps[id] = p
			b.PutProject(p)
		}
		if err := ix.Apply(b); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("changed %d", round))
	}
	if c, _ := ix.Count(); int(c) != len(ps) {
		t.Errorf("count %d, want %d", c, len(ps))
	}
}
