package directory

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

func profile(id, country, name string, subj []string, ages []int, avail bool) *twinfed.Profile {
	return &twinfed.Profile{ID: "https://" + country + ".example/users/" + id, Username: id, Country: country, Name: name,
		SchoolName: "Scuola " + name, SchoolLevel: twinfed.LevelPrimary, Region: "Lazio", Role: "teacher",
		Subjects: subj, Languages: []string{"en", "fr"}, PupilAges: ages, Available: twinfed.Available{Project: avail},
		Description: "<p>We love <b>robotics</b> and music</p>"}
}

func ids(r *Result) []string { return r.IDs }

func TestSearch_FiltersAndText(t *testing.T) {
	ix, fresh, err := Open(t.TempDir() + "/idx")
	if err != nil || !fresh {
		t.Fatalf("open: %v fresh=%v", err, fresh)
	}
	defer ix.Close()
	a := profile("maria", "IT", "Maria Rossi", []string{"mathematics"}, []int{9, 10}, true)
	b := profile("jean", "FR", "Jean Dupont", []string{"mathematics", "music"}, []int{10, 11}, true)
	c := profile("ana", "ES", "Ana García", []string{"history"}, []int{15}, false)
	c.SchoolLevel, c.Region = twinfed.LevelUpperSecondary, "Madrid"
	for _, p := range []*twinfed.Profile{a, b, c} {
		if err := ix.Put(p); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		q    Query
		want []string
	}{
		{"country", Query{Country: "fr"}, []string{b.ID}},
		{"subject", Query{Subject: "Mathematics"}, []string{a.ID, b.ID}},
		{"ages overlap", Query{AgeMin: 11, AgeMax: 12}, []string{b.ID}},
		{"level and region", Query{Level: twinfed.LevelUpperSecondary, Region: "madrid"}, []string{c.ID}},
		{"available", Query{Available: twinfed.Available{Project: true}, Subject: "history"}, nil},
		{"text in description, not markup", Query{Text: "robotics"}, []string{a.ID, b.ID, c.ID}},
		{"markup is not indexed", Query{Text: "b"}, nil},
		{"name prefix", Query{Text: "dupo"}, []string{b.ID}},
		{"text and filter", Query{Text: "Rossi", Language: "fr"}, []string{a.ID}},
		{"exclude", Query{Subject: "mathematics", Exclude: []string{a.ID}}, []string{b.ID}},
	}
	for _, tc := range cases {
		r, err := ix.Search(tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := ids(r)
		slices.Sort(got)
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if !slices.Equal(got, want) || r.Total != len(want) {
			t.Errorf("%s: got %v (total %d), want %v", tc.name, got, r.Total, want)
		}
	}
	// Remove, then reopen: the index persists.
	if err := ix.Remove(c.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.Count(); n != 2 {
		t.Fatalf("count after remove = %d", n)
	}
}

func TestSuggest(t *testing.T) {
	ix, _, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	me := profile("maria", "IT", "Maria Rossi", []string{"mathematics"}, []int{10}, true)
	same := profile("luca", "IT", "Luca Bianchi", []string{"mathematics"}, []int{10}, true)
	abroad := profile("jean", "FR", "Jean Dupont", []string{"mathematics"}, []int{10}, true)
	busy := profile("paul", "FR", "Paul Martin", []string{"mathematics"}, []int{10}, false)
	other := profile("ana", "ES", "Ana García", []string{"history"}, []int{17}, true)
	other.Languages, other.SchoolLevel = []string{"es"}, twinfed.LevelUpperSecondary
	contact := profile("eva", "ES", "Eva Ruiz", []string{"mathematics"}, []int{10}, true)
	b := ix.NewBatch()
	for _, p := range []*twinfed.Profile{me, same, abroad, busy, other, contact} {
		if err := b.Put(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Apply(b); err != nil {
		t.Fatal(err)
	}
	got, err := ix.Suggest(me, []string{contact.ID}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != abroad.ID || got[1] != same.ID {
		t.Fatalf("suggestions = %v, want [%s %s]", got, abroad.ID, same.ID)
	}
}

func TestOpen_DamagedIndexIsRecreated(t *testing.T) {
	dir := t.TempDir() + "/idx"
	ix, _, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_ = ix.Put(profile("x", "IT", "X Y", nil, nil, true))
	ix.Close()
	// Damage: replace the index metadata with garbage.
	if err := writeFile(dir+"/index_meta.json", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	ix, fresh, err := Open(dir)
	if err != nil || !fresh {
		t.Fatalf("reopen damaged: err=%v fresh=%v", err, fresh)
	}
	defer ix.Close()
	if n, _ := ix.Count(); n != 0 {
		t.Fatalf("recreated index has %d docs", n)
	}
}

// BenchmarkDirectory250k indexes 250,000 synthetic public profiles (the
// indexing rate) and then runs a mix of searches, one at a time: keyword,
// filters, both, and suggestions (p50 and p99). It does a fixed amount of
// work whatever b.N is. DIRECTORY_BENCH_PROFILES scales it down for a quick
// look.
func BenchmarkDirectory250k(b *testing.B) {
	n := 250_000
	if v, err := strconv.Atoi(os.Getenv("DIRECTORY_BENCH_PROFILES")); err == nil && v > 0 {
		n = v
	}
	countries := []string{"IT", "FR", "ES", "DE", "PL", "PT", "GR", "RO", "NL", "BE"}
	regions := []string{"Lazio", "Toscana", "Bretagne", "Occitanie", "Madrid", "Andalucía", "Bayern", "Mazowieckie"}
	levels := []twinfed.SchoolLevel{twinfed.LevelPrimary, twinfed.LevelLowerSecondary, twinfed.LevelUpperSecondary, twinfed.LevelEarlyChildhood, twinfed.LevelVocational}
	subjects := []string{"mathematics", "science", "history", "music", "languages", "art", "geography", "ict", "physical_education", "biology"}
	words := []string{"robotics", "theatre", "climate", "reading", "coding", "europe", "water", "ecology", "poetry", "football", "chess", "astronomy"}
	names := []string{"Maria", "Jean", "Ana", "Hans", "Zofia", "João", "Eleni", "Ion", "Anouk", "Lucas", "Giulia", "Marie"}
	surnames := []string{"Rossi", "Dupont", "García", "Müller", "Nowak", "Silva", "Papadopoulou", "Popescu", "Jansen", "Peeters"}
	gen := func(i int) *twinfed.Profile {
		c := countries[i%len(countries)]
		return &twinfed.Profile{
			ID: fmt.Sprintf("https://%s.example/users/m%06d", c, i), Username: fmt.Sprintf("m%06d", i), Country: c,
			Name:       names[i%len(names)] + " " + surnames[(i/7)%len(surnames)] + strconv.Itoa(i),
			SchoolName: "School " + strconv.Itoa(i%20000), SchoolLevel: levels[i%len(levels)], Region: regions[(i/3)%len(regions)], Role: "teacher",
			Subjects:    []string{subjects[i%len(subjects)], subjects[(i/11)%len(subjects)]},
			Languages:   []string{"en", strings.ToLower(c)},
			PupilAges:   []int{6 + i%12, 7 + i%12},
			Description: "I teach and like " + words[i%len(words)] + " and " + words[(i/13)%len(words)] + " projects with other schools.",
			Interests:   []string{words[(i/5)%len(words)]},
			Available:   twinfed.Available{Project: i%3 != 0, Erasmus: i%5 == 0},
		}
	}
	for range b.N {
		dir := b.TempDir() + "/idx"
		ix, _, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		const chunk = 2000
		for i := 0; i < n; i += chunk {
			batch := ix.NewBatch()
			for j := i; j < min(i+chunk, n); j++ {
				if err := batch.Put(gen(j)); err != nil {
					b.Fatal(err)
				}
			}
			if err := ix.Apply(batch); err != nil {
				b.Fatal(err)
			}
		}
		// Close writes what is still in memory; reopening measures searches
		// on the settled index rather than against background merges.
		if err := ix.Close(); err != nil {
			b.Fatal(err)
		}
		indexRate := float64(n) / time.Since(start).Seconds()
		if ix, _, err = Open(dir); err != nil {
			b.Fatal(err)
		}
		queries := []func(i int) error{
			func(i int) error { _, err := ix.Search(Query{Text: words[i%len(words)]}); return err },
			func(i int) error {
				_, err := ix.Search(Query{Country: countries[i%len(countries)], Subject: subjects[i%len(subjects)], AgeMin: 9, AgeMax: 11})
				return err
			},
			func(i int) error {
				_, err := ix.Search(Query{Text: surnames[i%len(surnames)], Level: levels[i%len(levels)], Available: twinfed.Available{Project: true}})
				return err
			},
			func(i int) error {
				_, err := ix.Search(Query{Region: regions[i%len(regions)], Language: "en", Role: "teacher", Offset: 20})
				return err
			},
			func(i int) error { _, err := ix.Suggest(gen(i*7919%n), nil, 10); return err },
		}
		const searches = 2000
		lat := make([]time.Duration, 0, searches)
		for i := range searches {
			t0 := time.Now()
			if err := queries[i%len(queries)](i); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.ReportMetric(float64(n), "profiles")
		b.ReportMetric(indexRate, "indexed/s")
		b.ReportMetric(ms(lat[len(lat)/2]), "search_p50_ms")
		b.ReportMetric(ms(lat[len(lat)*99/100]), "search_p99_ms")
		_ = ix.Close()
	}
}

func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o600) }
