package certificate

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/bidi"
)

// A PDF shows glyphs left to right as they come, and fpdf neither shapes
// nor reorders: Arabic is shaped here (each letter replaced by its
// contextual form from Unicode's Arabic Presentation Forms-B, which the
// embedded DejaVu Sans has, lam-alef as one ligature) and every line is put
// in visual order with the Unicode bidirectional algorithm
// (golang.org/x/text/unicode/bidi) before it is written.

// arabicForms gives, for each Arabic letter that changes shape, its
// isolated form and whether it joins the letter after it (dual-joining);
// the final, initial and medial forms follow the isolated one in
// Presentation Forms-B (only the final for a right-joining letter).
var arabicForms = map[rune]struct {
	isolated rune
	dual     bool
}{
	'\u0621': {0xFE80, false}, '\u0622': {0xFE81, false}, '\u0623': {0xFE83, false}, '\u0624': {0xFE85, false},
	'\u0625': {0xFE87, false}, '\u0626': {0xFE89, true}, '\u0627': {0xFE8D, false}, '\u0628': {0xFE8F, true},
	'\u0629': {0xFE93, false}, '\u062A': {0xFE95, true}, '\u062B': {0xFE99, true}, '\u062C': {0xFE9D, true},
	'\u062D': {0xFEA1, true}, '\u062E': {0xFEA5, true}, '\u062F': {0xFEA9, false}, '\u0630': {0xFEAB, false},
	'\u0631': {0xFEAD, false}, '\u0632': {0xFEAF, false}, '\u0633': {0xFEB1, true}, '\u0634': {0xFEB5, true},
	'\u0635': {0xFEB9, true}, '\u0636': {0xFEBD, true}, '\u0637': {0xFEC1, true}, '\u0638': {0xFEC5, true},
	'\u0639': {0xFEC9, true}, '\u063A': {0xFECD, true}, '\u0641': {0xFED1, true}, '\u0642': {0xFED5, true},
	'\u0643': {0xFED9, true}, '\u0644': {0xFEDD, true}, '\u0645': {0xFEE1, true}, '\u0646': {0xFEE5, true},
	'\u0647': {0xFEE9, true}, '\u0648': {0xFEED, false}, '\u0649': {0xFEEF, false}, '\u064A': {0xFEF1, true},
}

// lamAlef gives the isolated lam-alef ligature for each alef; the final
// form follows it.
var lamAlef = map[rune]rune{'\u0622': 0xFEF5, '\u0623': 0xFEF7, '\u0625': 0xFEF9, '\u0627': 0xFEFB}

const tatweel = '\u0640' // joins on both sides, has no forms

// joinsBefore reports whether r connects to the letter before it: every
// letter of arabicForms but hamza (U+0621), listed only for its glyph.
func joinsBefore(r rune) bool {
	_, ok := arabicForms[r]
	return ok && r != '\u0621' || r == tatweel
}

// joinsAfter reports whether r connects to the letter after it.
func joinsAfter(r rune) bool {
	return arabicForms[r].dual || r == tatweel
}

// transparent marks (harakat) do not break the joining of the letters
// around them.
func transparent(r rune) bool { return unicode.Is(unicode.Mn, r) }

// shapeArabic replaces the Arabic letters of s by their contextual
// presentation forms; a text without them is returned as it is.
func shapeArabic(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { _, ok := arabicForms[r]; return ok }) {
		return s
	}
	rs := []rune(s)
	// neighbour returns the nearest letter before (step -1) or after (+1)
	// i, skipping marks; 0 if none.
	neighbour := func(i, step int) rune {
		for j := i + step; j >= 0 && j < len(rs); j += step {
			if !transparent(rs[j]) {
				return rs[j]
			}
		}
		return 0
	}
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		f, ok := arabicForms[r]
		if !ok {
			b.WriteRune(r)
			continue
		}
		prev := joinsAfter(neighbour(i, -1))
		if r == '\u0644' && i+1 < len(rs) {
			if lig, ok := lamAlef[rs[i+1]]; ok {
				if prev {
					lig++ // final
				}
				b.WriteRune(lig)
				i++
				continue
			}
		}
		next := f.dual && joinsBefore(neighbour(i, +1))
		prev = prev && r != '\u0621'
		switch {
		case prev && next:
			b.WriteRune(f.isolated + 3) // medial
		case next:
			b.WriteRune(f.isolated + 2) // initial
		case prev:
			b.WriteRune(f.isolated + 1) // final
		default:
			b.WriteRune(f.isolated)
		}
	}
	return b.String()
}

// hasRTL reports whether s holds a right-to-left letter.
func hasRTL(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		if r < 0x0590 {
			return false
		}
		p, _ := bidi.LookupRune(r)
		return p.Class() == bidi.R || p.Class() == bidi.AL
	})
}

// visualLines returns the lines of a paragraph (already shaped, wrapped
// where its spaces were) in the order their glyphs are drawn, left to
// right. The bidirectional algorithm resolves the directions on the whole
// paragraph, so that a neutral at a line's end takes the direction of what
// follows it on the next line; then each line is reordered on its own:
// its runs in visual order, each right-to-left run reversed by grapheme (a
// letter keeps its marks after it) with its brackets mirrored. rtl is the
// direction of the page's language, the paragraph's base direction.
func visualLines(lines []string, rtl bool) []string {
	text := strings.Join(lines, " ")
	if !rtl && !hasRTL(text) {
		return lines
	}
	rtlAt, ok := directions(text, rtl)
	if !ok {
		return lines
	}
	out := make([]string, len(lines))
	start := 0
	for i, l := range lines {
		rs := []rune(l)
		var runs []string
		for a := 0; a < len(rs); {
			b := a + 1
			for b < len(rs) && rtlAt[start+b] == rtlAt[start+a] {
				b++
			}
			run := string(rs[a:b])
			if rtlAt[start+a] {
				run = reverseRTL(run)
			}
			runs = append(runs, run)
			a = b
		}
		if rtl {
			slices.Reverse(runs)
		}
		out[i] = strings.Join(runs, "")
		start += len(rs) + 1
	}
	return out
}

// directions returns, for each rune of text, whether the bidirectional
// algorithm lays it out right to left in a paragraph of base direction
// rtl; false if the algorithm fails.
func directions(text string, rtl bool) ([]bool, bool) {
	const lrm, rlm = "\u200e", "\u200f"
	mark, opt := lrm, bidi.DefaultDirection(bidi.LeftToRight)
	if rtl {
		mark, opt = rlm, bidi.DefaultDirection(bidi.RightToLeft)
	}
	var p bidi.Paragraph
	// The mark makes the base direction the page's, whatever the text
	// starts with; it is the first rune of the result, dropped.
	if _, err := p.SetString(mark+text, opt); err != nil {
		return nil, false
	}
	o, err := p.Order()
	if err != nil {
		return nil, false
	}
	at := make([]bool, 0, len(text)+1)
	for i := range o.NumRuns() {
		r := o.Run(i)
		n := len([]rune(r.String()))
		for range n {
			at = append(at, r.Direction() == bidi.RightToLeft)
		}
	}
	if len(at) != len([]rune(text))+1 {
		return nil, false
	}
	return at[1:], true
}

// mirrored are the paired characters a right-to-left run shows mirrored.
var mirrored = map[rune]rune{'(': ')', ')': '(', '[': ']', ']': '[', '{': '}', '}': '{', '<': '>', '>': '<', '«': '»', '»': '«'}

// reverseRTL reverses a right-to-left run by grapheme: a letter and the
// marks after it stay together, in that order.
func reverseRTL(s string) string {
	var clusters [][]rune
	for _, r := range s {
		if m, ok := mirrored[r]; ok {
			r = m
		}
		if len(clusters) > 0 && transparent(r) {
			clusters[len(clusters)-1] = append(clusters[len(clusters)-1], r)
			continue
		}
		clusters = append(clusters, []rune{r})
	}
	var b strings.Builder
	for i := len(clusters) - 1; i >= 0; i-- {
		b.WriteString(string(clusters[i]))
	}
	return b.String()
}
