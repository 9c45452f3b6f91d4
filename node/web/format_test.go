package web_test

import (
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed/node/web"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, ok := web.LoadZone(name)
	if !ok {
		t.Fatalf("no zone %s", name)
	}
	return loc
}

func TestFormatter_DatesInLanguagesAndZones(t *testing.T) {
	cat, err := web.NewCatalog([]string{"en", "it", "fr", "es"})
	if err != nil {
		t.Fatal(err)
	}
	y := time.Now().Year() + 1
	year := strconv.Itoa(y)
	winter := time.Date(y, time.January, 15, 13, 5, 0, 0, time.UTC)
	summer := time.Date(y, time.July, 15, 13, 5, 0, 0, time.UTC)
	late := time.Date(y, time.January, 15, 23, 30, 0, 0, time.UTC)
	rome, athens, yerevan, reykjavik := mustZone(t, "Europe/Rome"), mustZone(t, "Europe/Athens"), mustZone(t, "Asia/Yerevan"), mustZone(t, "Atlantic/Reykjavik")
	for _, c := range []struct {
		lang           string
		loc            *time.Location
		t              time.Time
		date, datetime string
	}{
		{"en", rome, winter, "15 January " + year, "15 January " + year + ", 14:05 CET"},
		{"it", rome, winter, "15 gennaio " + year, "15 gennaio " + year + ", 14:05 CET"},
		{"fr", rome, summer, "15 juillet " + year, "15 juillet " + year + " à 15:05 CEST"},
		{"es", rome, summer, "15 de julio de " + year, "15 de julio de " + year + ", 15:05 CEST"},
		// 23:30 UTC is the next day in Athens.
		{"it", athens, late, "16 gennaio " + year, "16 gennaio " + year + ", 01:30 EET"},
		{"en", time.UTC, late, "15 January " + year, "15 January " + year + ", 23:30 UTC"},
		// A zone without an abbreviation shows its offset.
		{"en", yerevan, winter, "15 January " + year, "15 January " + year + ", 17:05 UTC+4"},
		{"fr", reykjavik, winter, "15 janvier " + year, "15 janvier " + year + " à 13:05 GMT"},
		{"en", time.FixedZone("", 5*3600+1800), winter, "15 January " + year, "15 January " + year + ", 18:35 UTC+5:30"},
		{"es", time.FixedZone("", -3*3600), winter, "15 de enero de " + year, "15 de enero de " + year + ", 10:05 UTC-3"},
	} {
		f := web.NewFormatter(cat, c.lang, c.loc)
		if got := f.Date(c.t); got != c.date {
			t.Errorf("%s in %s: Date = %q, want %q", c.lang, c.loc, got, c.date)
		}
		if got := f.DateTime(c.t); got != c.datetime {
			t.Errorf("%s in %s: DateTime = %q, want %q", c.lang, c.loc, got, c.datetime)
		}
	}
	f := web.NewFormatter(cat, "it", rome)
	if f.Date(time.Time{}) != "—" || f.DateTime(time.Time{}) != "—" {
		t.Errorf("the zero time is written %q, %q", f.Date(time.Time{}), f.DateTime(time.Time{}))
	}
	if got := web.Machine(winter.In(rome)); got != year+"-01-15T13:05:00Z" {
		t.Errorf("Machine = %q", got)
	}
}

func TestFormatter_Numbers(t *testing.T) {
	cat, err := web.NewCatalog([]string{"en", "it", "fr", "es"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lang string
		n    any
		want string
	}{
		{"en", 12345, "12,345"},
		{"it", 12345, "12.345"},
		{"es", 1234567, "1.234.567"},
		{"fr", 12345, "12\u00a0345"},
		{"en", 7, "7"},
		{"it", 1234.5, "1.234,5"},
		{"en", 1234.5, "1,234.5"},
		{"fr", 0.25, "0,25"},
	} {
		if got := web.NewFormatter(cat, c.lang, nil).Number(c.n); got != c.want {
			t.Errorf("%s: Number(%v) = %q, want %q", c.lang, c.n, got, c.want)
		}
	}
}

// The kit's formatter is in the node's country's zone unless the reader
// chose another.
func TestKit_FormatterZone(t *testing.T) {
	winter := time.Date(time.Now().Year()+1, time.January, 15, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct{ country, zone, want string }{
		{"IT", "", "13:00 CET"},
		{"GR", "", "14:00 EET"},
		{"PT", "", "12:00 WET"},
		{"IT", "Europe/Athens", "14:00 EET"},
		{"IT", "Mars/Olympus", "13:00 CET"},
		{"", "", "12:00 UTC"},
	} {
		k, err := web.New(web.Config{Languages: []string{"en"}, Accounts: nobody{}, Country: c.country})
		if err != nil {
			t.Fatal(err)
		}
		if got := k.Formatter("en", c.zone).DateTime(winter); !strings.HasSuffix(got, c.want) {
			t.Errorf("node %q, zone %q: %q, want it to end with %q", c.country, c.zone, got, c.want)
		}
	}
}

var patternPlaceholder = regexp.MustCompile(`\{[a-z]+\}`)

// Every catalogue writes dates: the twelve months and the patterns, each
// pattern with the placeholders of English's.
func TestCatalog_DatePatterns(t *testing.T) {
	paths, err := filepath.Glob("locales/active.*.toml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no catalogues: %v", err)
	}
	var langs []string
	for _, p := range paths {
		l := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "active."), ".toml")
		if l == "en" {
			langs = append([]string{l}, langs...)
		} else {
			langs = append(langs, l)
		}
	}
	cat, err := web.NewCatalog(langs)
	if err != nil {
		t.Fatal(err)
	}
	holders := func(s string) []string {
		h := patternPlaceholder.FindAllString(s, -1)
		slices.Sort(h)
		return h
	}
	for _, l := range langs {
		for _, id := range []string{"format.date", "format.time", "format.datetime"} {
			if got, want := holders(cat.T(l, id)), holders(cat.T("en", id)); !slices.Equal(got, want) {
				t.Errorf("%s: %s = %q has placeholders %v, want %v", l, id, cat.T(l, id), got, want)
			}
		}
		seen := map[string]bool{}
		for m := 1; m <= 12; m++ {
			id := "month." + strconv.Itoa(m)
			name := cat.T(l, id)
			if name == id || name == "" || seen[name] {
				t.Errorf("%s: %s is %q", l, id, name)
			}
			seen[name] = true
		}
	}
}
