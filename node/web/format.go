package web

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the zones: the binary runs on a scratch image without /usr/share/zoneinfo

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"golang.org/x/text/message"
	"golang.org/x/text/number"

	"github.com/twinfed/twinfed"
)

// Dates, times and numbers in the reader's language and time zone.
//
// Numbers follow CLDR through golang.org/x/text/message (grouping and
// decimal separators of each language). golang.org/x/text has no CLDR
// date formatting and no well-kept Go library for it is on the approved
// list, so a date is written from catalogue messages: the month names
// (month.1 … month.12, in the form a date uses, genitive where the
// language has one) and three patterns, format.date ("{day} {month}
// {year}"), format.time ("{hour}:{minute}") and format.datetime ("{date},
// {time} {zone}"). Translators write them like any other message; the
// catalogue test checks that each keeps its placeholders. See
// docs/i18n-data.md.

// Formatter writes dates, times and numbers in one language's conventions
// and one time zone. The zero Formatter is not usable: ask the kit
// (Kit.Formatter) or a page (Page.Formatter).
type Formatter struct {
	cat  *Catalog
	lang string
	loc  *time.Location
	num  *message.Printer
}

// printers caches a number printer per language (a Printer is safe for
// concurrent use).
var printers sync.Map // language code → *message.Printer

func numberPrinter(lang string) *message.Printer {
	if p, ok := printers.Load(lang); ok {
		return p.(*message.Printer)
	}
	tag, err := language.Parse(lang)
	if err != nil {
		tag = language.English
	}
	p, _ := printers.LoadOrStore(lang, message.NewPrinter(tag))
	return p.(*message.Printer)
}

// NewFormatter returns the formatter of lang (its messages from cat) in
// zone loc; a nil loc is UTC.
func NewFormatter(cat *Catalog, lang string, loc *time.Location) Formatter {
	if loc == nil {
		loc = time.UTC
	}
	return Formatter{cat: cat, lang: lang, loc: loc, num: numberPrinter(lang)}
}

// Location is the zone the formatter writes times in.
func (f Formatter) Location() *time.Location { return f.loc }

// In returns the formatter for the same language in zone loc.
func (f Formatter) In(loc *time.Location) Formatter { f.loc = loc; return f }

// fill replaces the {name} placeholders of a catalogue pattern in turn
// (dates and times hold no braces): no strings.Replacer for each date.
func fill(pattern string, kv ...string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		pattern = strings.ReplaceAll(pattern, kv[i], kv[i+1])
	}
	return pattern
}

// Date writes t's day in the formatter's zone, e.g. "6 December 2026",
// "6 dicembre 2026", "6 de diciembre de 2026"; "—" for the zero time.
func (f Formatter) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(f.loc)
	return fill(f.cat.T(f.lang, "format.date"),
		"{day}", strconv.Itoa(t.Day()), "{month}", f.cat.T(f.lang, "month."+strconv.Itoa(int(t.Month()))), "{year}", strconv.Itoa(t.Year()))
}

// Time writes t's time of day in the formatter's zone, e.g. "14:05".
func (f Formatter) Time(t time.Time) string {
	t = t.In(f.loc)
	return fill(f.cat.T(f.lang, "format.time"), "{hour}", twoDigits(t.Hour()), "{minute}", twoDigits(t.Minute()))
}

// DateTime writes t's date, time and zone, e.g. "6 December 2026, 14:05
// CET"; "—" for the zero time.
func (f Formatter) DateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return fill(f.cat.T(f.lang, "format.datetime"), "{date}", f.Date(t), "{time}", f.Time(t), "{zone}", f.Zone(t))
}

// Zone names the formatter's zone at t as readers know it: its
// abbreviation (CET, CEST, EET, GMT) or, where the zone has none, its
// offset from UTC ("UTC+4", "UTC+5:30").
func (f Formatter) Zone(t time.Time) string {
	name, offset := t.In(f.loc).Zone()
	if name != "" && name[0] != '+' && name[0] != '-' {
		return name
	}
	sign := "+"
	if offset < 0 {
		sign, offset = "-", -offset
	}
	s := "UTC" + sign + strconv.Itoa(offset/3600)
	if m := offset % 3600 / 60; m != 0 {
		s += ":" + twoDigits(m)
	}
	return s
}

// Number writes an integer or a decimal number with the language's
// grouping and decimal separators, e.g. 12,345 (en), 12.345 (it), 12 345
// (fr).
func (f Formatter) Number(n any) string {
	switch v := n.(type) {
	case float32, float64:
		return f.num.Sprint(number.Decimal(v, number.MaxFractionDigits(2)))
	default:
		return f.num.Sprint(number.Decimal(v))
	}
}

// Machine writes t as RFC 3339 in UTC, for the datetime attribute of a
// <time> element (never shown).
func Machine(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// zones caches the time zones loaded by name.
var zones sync.Map // IANA name → *time.Location

// LoadZone returns the IANA zone name (from the zone data embedded in the
// binary, time/tzdata), ok false when there is none.
func LoadZone(name string) (*time.Location, bool) {
	if name == "" {
		return nil, false
	}
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), true
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	zones.Store(name, l)
	return l, true
}

// Formatter returns the formatter of lang in the IANA zone named zone, or
// in the node's country's zone when zone is empty or unknown.
func (k *Kit) Formatter(lang, zone string) Formatter {
	loc, ok := LoadZone(zone)
	if !ok {
		loc = k.loc
	}
	return NewFormatter(k.cat, lang, loc)
}

// nodeZone is the zone of the node's country (twinfed.CountryZone), UTC
// for a country without one.
func nodeZone(country string) *time.Location {
	if z, ok := twinfed.CountryZone(country); ok {
		if loc, ok := LoadZone(z); ok {
			return loc
		}
	}
	return time.UTC
}

// Date writes t's day in the reader's language and zone (Formatter.Date).
func (p *Page) Date(t time.Time) string { return p.Fmt.Date(t) }

// DateTime writes t's date, time and zone in the reader's language and
// zone (Formatter.DateTime).
func (p *Page) DateTime(t time.Time) string { return p.Fmt.DateTime(t) }

// Time writes t's time of day in the reader's zone (Formatter.Time).
func (p *Page) Time(t time.Time) string { return p.Fmt.Time(t) }

// Number writes n in the reader's language's conventions
// (Formatter.Number).
func (p *Page) Number(n any) string { return p.Fmt.Number(n) }

// Bytes writes a size of n bytes in the reader's language: "1.2 GB", "340
// MB", "12 KB" (a file's size, a quota's use).
func (p *Page) Bytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf(p.T("mat.gb"), p.Number(float64(n*10>>30)/10))
	case n >= 1<<20:
		return fmt.Sprintf(p.T("mat.mb"), p.Number(float64(n*10>>20)/10))
	default:
		return fmt.Sprintf(p.T("mat.kb"), p.Number((n+1023)>>10))
	}
}

// ZoneChoice is one time zone a member may choose, as a form offers it.
type ZoneChoice struct {
	Value string // IANA name
	Label string // the countries (or islands) that use it and its zone now, in the reader's language
}

// zoneIslands names the zones that are no country's capital by catalogue
// messages.
var zoneIslands = map[string]string{"Atlantic/Azores": "zone.azores", "Atlantic/Canary": "zone.canary", "Atlantic/Madeira": "zone.madeira", "Asia/Gaza": "zone.gaza"}

// ZoneChoices lists the zones of twinfed.TimeZones for the page's
// language, sorted by label: "Italia (CET)", "Armenia (UTC+4)".
func (p *Page) ZoneChoices() []ZoneChoice {
	tag, err := language.Parse(p.Lang)
	if err != nil {
		tag = language.English
	}
	regions := display.Regions(tag)
	countries := map[string][]string{}
	for _, c := range twinfed.SeedCountries() {
		z, _ := twinfed.CountryZone(c.Code)
		name := c.Name
		if r, err := language.ParseRegion(c.Code); err == nil {
			if n := regions.Name(r); n != "" {
				name = n
			}
		}
		countries[z] = append(countries[z], name)
	}
	now := p.k.cfg.Now()
	coll := collate.New(tag)
	var out []ZoneChoice
	for _, z := range twinfed.TimeZones() {
		loc, ok := LoadZone(z)
		if !ok {
			continue
		}
		names := countries[z]
		if id, ok := zoneIslands[z]; ok {
			names = []string{p.T(id)}
		}
		coll.SortStrings(names)
		label := strings.Join(names, p.T("format.list_separator")) + " (" + p.Fmt.In(loc).Zone(now) + ")"
		out = append(out, ZoneChoice{Value: z, Label: label})
	}
	slices.SortFunc(out, func(a, b ZoneChoice) int { return coll.CompareString(a.Label, b.Label) })
	return out
}

// NodeZone names the node's country's zone as it is now ("CET"), for the
// choice that goes back to it.
func (p *Page) NodeZone() string { return p.Fmt.In(p.k.loc).Zone(p.k.cfg.Now()) }
