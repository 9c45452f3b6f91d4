package search

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

// The federation at its full size, for BenchmarkDirectory1200k: 46
// countries of very different sizes, and names that repeat as in real
// populations. Each country has its own lists of 3,000 given names and
// 3,000 surnames (made of syllables, with the country's endings), and a
// profile draws from them with a heavy head: a few names are very common,
// most are rare. gen (the 250,000 benchmark's profiles) gives every
// profile a name of its own instead, so that the two are not comparable
// on names: the 250,000 figures stay comparable with their history.
// Subjects are the forms' (twinfed.Subjects), so that a profile reads back
// from JSON as it was written (the rebuild from Badger).

// popCountry is a country of the synthetic federation.
type popCountry struct {
	code      string
	weight    int // share of the federation's teachers
	regions   []string
	languages []string
	given     []string
	surnames  []string
	schools   []string // kinds of school, in the country's language
	towns     []string
}

var popCountries = func() []popCountry {
	codes := strings.Fields(`IT TR PL ES FR RO PT GR DE UA HR RS BG SK CZ BE NL AT HU LT LV EE SI FI SE DK NO IE IS MT
		CY LU AL MK ME BA MD GE AM AZ TN JO LB EG SM LI`)
	weights := []int{14, 13, 11, 8, 7, 6, 5, 5, 4, 4, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	syllables := strings.Fields(`ma ri an na lu ca gio to el ra ni ko sa be ta mi la do ve li ro se pa te fa da ju ka ze so vi po ne du bo ga le mo ki`)
	endings := [][]string{
		{"i", "o", "a", "ini", "etti"}, {"oglu", "can", "er", "dag", "soy"}, {"ski", "ak", "czyk", "ewicz", "ska"},
		{"ez", "es", "as", "ado", "ero"}, {"eau", "ier", "ard", "in", "et"}, {"escu", "eanu", "u", "ache", "ici"},
	}
	schools := [][]string{
		{"Istituto Comprensivo", "Liceo", "Scuola Primaria", "ITIS"}, {"Ortaokulu", "Lisesi", "Ilkokulu"},
		{"Szkoła Podstawowa nr", "Liceum", "Zespół Szkół"}, {"IES", "CEIP", "Colegio"},
		{"École élémentaire", "Collège", "Lycée"}, {"Școala Gimnazială", "Liceul Teoretic", "Colegiul Național"},
	}
	out := make([]popCountry, len(codes))
	for c, code := range codes {
		r := rand.New(rand.NewPCG(uint64(c), 46))
		end := endings[c%len(endings)]
		word := func(sylls int, endings bool) string {
			var b strings.Builder
			for range sylls {
				b.WriteString(syllables[r.IntN(len(syllables))])
			}
			if endings {
				b.WriteString(end[r.IntN(len(end))])
			}
			s := b.String()
			return strings.ToUpper(s[:1]) + s[1:]
		}
		list := func(n, minSylls int, endings bool) []string {
			seen := map[string]bool{}
			out := make([]string, 0, n)
			for len(out) < n {
				if w := word(minSylls+r.IntN(2), endings); !seen[w] {
					seen[w] = true
					out = append(out, w)
				}
			}
			return out
		}
		pc := popCountry{code: code, weight: weights[c], given: list(3000, 2, false), surnames: list(3000, 2, true),
			schools: schools[c%len(schools)], towns: list(400, 2, false)}
		for i := range 4 + c%5 {
			pc.regions = append(pc.regions, pc.code+" "+word(2, false)+" "+strconv.Itoa(i))
		}
		pc.languages = []string{strings.ToLower(pc.code), "en"}
		if c%3 == 0 {
			pc.languages = append(pc.languages, "fr")
		}
		out[c] = pc
	}
	return out
}()

// popPick maps a profile number to its country in proportion to the
// countries' weights.
var popPick = func() []int {
	var out []int
	for c, pc := range popCountries {
		for range pc.weight {
			out = append(out, c)
		}
	}
	return out
}()

// popTopics are the words of descriptions and interests.
var popTopics = strings.Fields(`robotics theatre climate reading coding europe water ecology poetry football chess astronomy
	music art history citizenship inclusion recycling biodiversity storytelling mathematics geometry photography
	cinema cooking traditions festivals migration democracy media literacy wellbeing sport dance painting tolerance
	heritage architecture energy oceans forests animals space physics chemistry entrepreneurship languages fairy tales
	games puzzles algorithms drones gardening nutrition health emotions friendship diversity peace volunteering`)

// skewed draws an index below n with a heavy head (the cube of a uniform
// number): the first few are drawn far more often than the last.
func skewed(r *rand.Rand, n int) int {
	u := r.Float64()
	return int(u * u * u * float64(n))
}

// genPopulation is the i-th profile of the synthetic federation.
func genPopulation(i int) *twinfed.Profile {
	r := rand.New(rand.NewPCG(uint64(i), 1200))
	pc := &popCountries[popPick[r.IntN(len(popPick))]]
	given, surname := pc.given[skewed(r, len(pc.given))], pc.surnames[skewed(r, len(pc.surnames))]
	username := strings.ToLower(given+"."+surname) + strconv.Itoa(i) // unique, as usernames are
	name := given + " " + surname
	if r.IntN(10) == 0 {
		name += " " + pc.surnames[skewed(r, len(pc.surnames))]
	}
	school := pc.schools[r.IntN(len(pc.schools))] + " " + pc.towns[skewed(r, len(pc.towns))]
	if r.IntN(3) == 0 {
		school += " " + strconv.Itoa(1+r.IntN(40))
	}
	var desc strings.Builder
	desc.WriteString("<p>I teach ")
	desc.WriteString(twinfed.Subjects[r.IntN(len(twinfed.Subjects))])
	desc.WriteString(" and love projects about ")
	for k := range 2 + r.IntN(4) {
		if k > 0 {
			desc.WriteString(", ")
		}
		desc.WriteString(popTopics[skewed(r, len(popTopics))])
	}
	desc.WriteString(".</p>")
	age := 3 + r.IntN(16)
	return &twinfed.Profile{
		ID: fmt.Sprintf("https://%s.twinfed.example/users/%s", strings.ToLower(pc.code), username), Username: username, Country: pc.code,
		Name: name, SchoolName: school, SchoolLevel: benchLevels[r.IntN(len(benchLevels))], Region: pc.regions[r.IntN(len(pc.regions))],
		Role:        []string{"teacher", "teacher", "teacher", "head", "librarian"}[r.IntN(5)],
		Subjects:    []string{twinfed.Subjects[skewed(r, len(twinfed.Subjects))], twinfed.Subjects[r.IntN(len(twinfed.Subjects))]},
		Languages:   pc.languages[:1+r.IntN(len(pc.languages))],
		PupilAges:   []int{age, age + 1, age + 2}[:1+r.IntN(3)],
		Description: desc.String(),
		Interests:   []string{popTopics[skewed(r, len(popTopics))]},
		Available:   twinfed.Available{Project: r.IntN(3) != 0, Erasmus: r.IntN(5) == 0, ProjKit: r.IntN(9) == 0},
		Updated:     time.Unix(1_600_000_000+int64(r.IntN(200_000_000)), 0),
	}
}

// popQueries is BenchmarkDirectory1200k's mix of searches over the
// synthetic federation: a keyword; country, subject and ages; a surname
// (a common or a rare one, as members type them), level and
// availability; region, language and role, page 2.
func popQueries(i int) Query {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	pc := &popCountries[popPick[r.IntN(len(popPick))]]
	switch i % 4 {
	case 0:
		return Query{Text: popTopics[skewed(r, len(popTopics))]}
	case 1:
		return Query{Country: pc.code, Subject: twinfed.Subjects[r.IntN(len(twinfed.Subjects))], AgeMin: 9, AgeMax: 11}
	case 2:
		surname := pc.surnames[r.IntN(len(pc.surnames))]
		if r.IntN(2) == 0 {
			surname = surname[:4] // the start of a name, as members type it
		}
		return Query{Text: surname, Level: benchLevels[r.IntN(len(benchLevels))], Available: twinfed.Available{Project: true}}
	default:
		return Query{Region: pc.regions[r.IntN(len(pc.regions))], Language: "en", Role: "teacher", Offset: 20}
	}
}

// TestSuggest_SameAsPlainCount checks the bit-sliced suggestions against
// a plain count of what each profile shares with the member, over the
// synthetic federation with changed and removed profiles.
func TestSuggest_SameAsPlainCount(t *testing.T) {
	ix := New()
	const n = 6000
	all := map[string]*twinfed.Profile{}
	b := ix.NewBatch()
	for i := range n {
		p := genPopulation(i)
		_ = b.Put(p)
		all[p.ID] = p
	}
	for i := 0; i < n; i += 7 {
		p := genPopulation(i)
		if i%2 == 0 {
			b.Remove(p.ID)
			delete(all, p.ID)
			continue
		}
		p.Subjects, p.Updated = []string{"art"}, p.Updated.Add(time.Hour)
		_ = b.Put(p)
		all[p.ID] = p
	}
	if err := ix.Apply(b); err != nil {
		t.Fatal(err)
	}
	has := func(list []string, v string) bool {
		for _, w := range list {
			if keyOf(w) == keyOf(v) {
				return true
			}
		}
		return false
	}
	for m := 0; m < n; m += 97 {
		me := genPopulation(m)
		exclude := []string{genPopulation(m + 1).ID, genPopulation(m + 2).ID}
		type scored struct {
			id    string
			score int
		}
		var want []scored
		for id, p := range all {
			if id == me.ID || id == exclude[0] || id == exclude[1] || !p.Available.Project {
				continue
			}
			score := 0
			for _, s := range me.Subjects {
				if has(p.Subjects, s) && !has(me.Subjects[:slices.Index(me.Subjects, s)], s) {
					score += suggestSubject
				}
			}
			for _, a := range me.PupilAges {
				for _, b := range p.PupilAges {
					if a == b {
						score += suggestAge
					}
				}
			}
			for _, l := range me.Languages {
				if has(p.Languages, l) {
					score += suggestLanguage
				}
			}
			if keyOf(string(me.SchoolLevel)) == keyOf(string(p.SchoolLevel)) {
				score += suggestLevel
			}
			if score == 0 {
				continue
			}
			if keyOf(p.Country) != keyOf(me.Country) {
				score += suggestAbroad
			}
			want = append(want, scored{id, score})
		}
		got, err := ix.Suggest(me, exclude, 10)
		if err != nil {
			t.Fatal(err)
		}
		sortScored := func(a, b scored) int {
			if a.score != b.score {
				return b.score - a.score
			}
			if ua, ub := all[a.id].Updated.UnixNano(), all[b.id].Updated.UnixNano(); ua != ub {
				return int(min(max(ub-ua, -1), 1))
			}
			na, _ := ix.ids.find(a.id)
			nb, _ := ix.ids.find(b.id)
			return int(nb) - int(na)
		}
		slices.SortFunc(want, sortScored)
		if len(want) > 10 {
			want = want[:10]
		}
		if len(got) != len(want) {
			t.Fatalf("member %d: %d suggestions, want %d", m, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i].id {
				t.Fatalf("member %d, suggestion %d: %s, want %s (score %d)", m, i, got[i], want[i].id, want[i].score)
			}
		}
	}
}
