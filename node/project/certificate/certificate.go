// Package certificate writes the project start certificate of eTwinning
// as a one-page PDF (A4 landscape) in the holder's language: the partner
// it is for, their school and country, the project, the date of its
// approval, the partner schools, the issuing agency and where the project
// card is. Its texts are catalogue messages (cert.* in node/web's
// locales); its font, DejaVu Sans (fonts/, embedded and subset in each
// PDF), has every script of the node's languages: Latin, Greek, Cyrillic,
// Armenian, Georgian and Arabic, which is shaped and laid out right to
// left (bidi.go). It renders only; who may have one is package project's
// business (twinfed.(*Project).Permissions, Certificates).
package certificate

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/twinfed/twinfed"
)

// The embedded font: DejaVu Sans, regular and bold (fonts/LICENSE).
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

const family = "DejaVuSans"

// Catalog gives the certificate's texts in a language (node/web's
// Catalog).
type Catalog interface {
	// TData returns message id in lang, its placeholders filled from data.
	TData(lang, id string, data map[string]any) string
	// TN returns the plural message id in lang for the count n.
	TN(lang, id string, n int) string
	// Offered reports whether the catalogue has lang.
	Offered(lang string) bool
}

// Certificate is what a project start certificate shows.
type Certificate struct {
	Lang    string           // the holder's language: the texts', the dates' and the country names'; one Catalog lacks: English
	Catalog Catalog          // the texts; required
	Project *twinfed.Project // the project; its Approved date must be set
	Partner *twinfed.Partner // the partner the certificate is for
	Issued  time.Time        // zero: now
	Issuer  string           // the agency's name, e.g. "Indire — Unità nazionale eTwinning"
	URL     string           // where the project card is, printed at the bottom

	uncompressed bool // write the page content uncompressed (for tests)
}

// rtlLanguages are the languages of the node written right to left.
var rtlLanguages = map[string]bool{"ar": true}

// texts writes the certificate's texts in one language.
type texts struct {
	cat     Catalog
	lang    string
	regions display.Namer // country names in lang; English when x/text has none
}

func newTexts(cat Catalog, lang string) *texts {
	t := &texts{cat: cat, lang: lang, regions: display.Regions(language.Make(lang))}
	if t.regions == nil {
		t.regions = display.English.Regions()
	}
	return t
}

// msg returns message id filled with data.
func (t *texts) msg(id string, data map[string]any) string { return t.cat.TData(t.lang, id, data) }

// date writes d's date (in d's location) the way the language does
// (cert.date, cert.date_first for the first day of a month, cert.month.N).
func (t *texts) date(d time.Time) string {
	id := "cert.date"
	if d.Day() == 1 {
		id = "cert.date_first"
	}
	return t.msg(id, map[string]any{"Day": d.Day(), "Month": t.msg("cert.month."+strconv.Itoa(int(d.Month())), nil), "Year": strconv.Itoa(d.Year())})
}

// country returns the name of the country with the two-letter code, or the
// code itself if it is unknown.
func (t *texts) country(code string) string {
	c := strings.ToUpper(strings.TrimSpace(code))
	if c == "EL" { // the EU's code for Greece
		c = "GR"
	}
	r, err := language.ParseRegion(c)
	if err != nil || r.String() == "ZZ" {
		return code
	}
	if name := t.regions.Name(r); name != "" {
		return name
	}
	return code
}

// Page layout, in millimetres (A4 landscape: 297 × 210).
const (
	certPageW   = 297.0
	certPageH   = 210.0
	certMargin  = 25.0 // left and right
	certTextW   = certPageW - 2*certMargin
	certFooterY = 182.0 // the bottom of the issuer's line
	certURLY    = 186.0
)

// Write writes the certificate as a one-page A4 landscape PDF to w, in
// c.Lang (a language the catalogue lacks a message of shows English's).
//
// Every text is in DejaVu Sans, embedded: names in any script of the
// node's languages print as they are, whatever the certificate's language
// (a Greek teacher's name on an Italian certificate). Texts that do not fit
// are shortened with "…", and a partner list too long for the page ends
// with "and N more", so that the certificate is always a single page.
//
// It returns an error if the catalogue, the project or the partner is nil
// or the project has no approval date.
func Write(w io.Writer, c Certificate) error {
	if c.Catalog == nil {
		return errors.New("node: certificate: no catalogue")
	}
	if c.Project == nil {
		return errors.New("node: certificate: no project")
	}
	if c.Partner == nil {
		return errors.New("node: certificate: no partner")
	}
	if c.Project.Approved.IsZero() {
		return fmt.Errorf("node: certificate: project %s is not approved", c.Project.ID)
	}
	lang := c.Lang
	if !c.Catalog.Offered(lang) {
		lang = "en" // the messages' own fallback: the page's direction and the country names follow it
	}
	tx := newTexts(c.Catalog, lang)
	issued := c.Issued
	if issued.IsZero() {
		issued = time.Now()
	}
	title := tx.msg("cert.title", nil)

	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetCompression(!c.uncompressed)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(certMargin, 20, certMargin)
	pdf.SetCreationDate(issued)
	pdf.SetModificationDate(issued)
	pdf.SetTitle(title+" — "+c.Project.Title, true)
	pdf.SetSubject(c.Project.Title, true)
	pdf.SetAuthor(c.Issuer, true)
	pdf.SetCreator("twinfed", false)
	pdf.SetLang(lang)
	pdf.AddUTF8FontFromBytes(family, "", fontRegular)
	pdf.AddUTF8FontFromBytes(family, "B", fontBold)
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("node: certificate: %w", err)
	}
	pg := &page{pdf: pdf, rtl: rtlLanguages[lang]}
	align := "L" // of the partner list
	if pg.rtl {
		align = "R"
	}

	pdf.AddPage()

	// A double frame.
	pdf.SetDrawColor(0, 84, 147)
	pdf.SetLineWidth(1.2)
	pdf.Rect(10, 10, certPageW-20, certPageH-20, "D")
	pdf.SetLineWidth(0.3)
	pdf.Rect(13, 13, certPageW-26, certPageH-26, "D")

	// Title.
	pdf.SetTextColor(0, 84, 147)
	pdf.SetY(22)
	pg.write(pg.fit("B", []float64{12}, tx.msg("cert.label", nil), certTextW, 1), certMargin, certTextW, 6, "C")
	pdf.SetY(pdf.GetY() + 2)
	pg.write(pg.fit("B", []float64{26, 22}, title, certTextW, 2), certMargin, certTextW, 11, "C")

	// Who takes part in which project.
	pdf.SetTextColor(0, 0, 0)
	pdf.SetY(pdf.GetY() + 6)
	pt := c.Partner
	intro := tx.msg("cert.intro", map[string]any{"Partner": oneLine(pt.Name), "School": oneLine(pt.SchoolName), "Country": tx.country(pt.Country)})
	lines := pg.fit("", []float64{14, 13, 12, 11}, intro, certTextW, 3)
	pg.write(lines, certMargin, certTextW, pg.size()*0.5, "C")
	pdf.SetY(pdf.GetY() + 2)
	quoted := tx.msg("cert.quoted", map[string]any{"Title": oneLine(c.Project.Title)})
	lines = pg.fit("B", []float64{18, 16, 14, 12}, quoted, certTextW, 3)
	pg.write(lines, certMargin, certTextW, pg.size()*0.5, "C")
	pdf.SetY(pdf.GetY() + 2)
	lines = pg.fit("", []float64{14}, tx.msg("cert.approved", map[string]any{"Date": tx.date(c.Project.Approved)}), certTextW, 2)
	pg.write(lines, certMargin, certTextW, 7, "C")
	bodyY := pdf.GetY()

	// The footer, from the bottom up: the URL, then the issuer.
	if c.URL != "" {
		pdf.SetTextColor(90, 90, 90)
		u := pg.fit("", []float64{9}, tx.msg("cert.url", map[string]any{"URL": oneLine(c.URL)}), certTextW, 1)
		pdf.SetXY(certMargin, certURLY)
		pdf.CellFormat(certTextW, 5, visualLines(u, pg.rtl)[0], "", 1, "C", false, 0, c.URL)
		pdf.SetTextColor(0, 0, 0)
	}
	issuer := c.Issuer
	if issuer == "" {
		issuer = "eTwinning"
	}
	issuedLines := pg.fit("", []float64{11, 10}, tx.msg("cert.issued", map[string]any{"Issuer": oneLine(issuer), "Date": tx.date(issued)}), certTextW, 2)
	issuedH := float64(len(issuedLines)) * pg.size() * 0.5
	issuedY := certFooterY - issuedH
	pdf.SetY(issuedY)
	pg.write(issuedLines, certMargin, certTextW, pg.size()*0.5, "C")

	// The partner schools, in what room is left.
	var entries []string
	for _, p := range c.Project.Partners {
		if p.Status != twinfed.PartnerApproved {
			continue
		}
		e := oneLine(p.Name)
		if s := oneLine(p.SchoolName); s != "" {
			if e != "" {
				e += " — "
			}
			e += s
		}
		if p.Country != "" {
			e += " (" + tx.country(p.Country) + ")"
		}
		entries = append(entries, drawable(shapeArabic(e)))
	}
	if len(entries) > 0 {
		y := bodyY + 5
		pdf.SetTextColor(0, 84, 147)
		pdf.SetY(y)
		pg.write(pg.fit("B", []float64{12}, tx.msg("cert.partners", nil), certTextW, 1), certMargin, certTextW, 6, "C")
		pdf.SetTextColor(0, 0, 0)
		top := pdf.GetY() + 1
		pg.partnerList(entries, top, issuedY-5-top, align, func(n int) string { return shapeArabic(tx.cat.TN(lang, "cert.more", n)) })
	}

	if err := pdf.Error(); err != nil {
		return fmt.Errorf("node: certificate: %w", err)
	}
	if n := pdf.PageCount(); n != 1 {
		return fmt.Errorf("node: certificate: %d pages instead of one", n)
	}
	pdf.Close()
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("node: certificate: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("node: certificate: %w", err)
	}
	return nil
}

// page writes the certificate's lines: shaped (Arabic) before they are
// measured, in visual order when they are written.
type page struct {
	pdf *fpdf.Fpdf
	rtl bool // the certificate's language is written right to left
}

// size returns the current font size in points.
func (pg *page) size() float64 { s, _ := pg.pdf.GetFontSize(); return s }

// write writes lines (shaped, in logical order) one under the other from
// the current y, in a box of width w at x, aligned L, C or R.
func (pg *page) write(lines []string, x, w, lineH float64, align string) {
	for _, l := range visualLines(lines, pg.rtl) {
		pg.pdf.SetX(x)
		pg.pdf.CellFormat(w, lineH, l, "", 2, align, false, 0, "")
	}
}

// fit shapes s, sets the font in style to the largest of sizes at which s
// wraps into at most maxLines lines of width w, and returns the lines; if
// s does not fit even at the smallest size, the lines are shortened to
// maxLines with an ellipsis at the end of the last.
func (pg *page) fit(style string, sizes []float64, s string, w float64, maxLines int) []string {
	s = drawable(shapeArabic(s))
	var lines []string
	for _, size := range sizes {
		pg.pdf.SetFont(family, style, size)
		lines = pg.pdf.SplitText(s, w)
		if len(lines) <= maxLines {
			return lines
		}
	}
	return pg.shorten(lines[:maxLines], w)
}

// shorten ends the last of lines with an ellipsis, cutting it to fit w.
func (pg *page) shorten(lines []string, w float64) []string {
	const ellipsis = "…"
	room := w - 2*pg.pdf.GetCellMargin()
	last := []rune(strings.TrimRight(lines[len(lines)-1], " "))
	for len(last) > 0 && pg.pdf.GetStringWidth(string(last)+ellipsis) > room {
		last = []rune(strings.TrimRight(string(last[:len(last)-1]), " "))
	}
	lines[len(lines)-1] = string(last) + ellipsis
	return lines
}

// partnerList writes the entries (shaped) as a bulleted list in one to
// three columns, starting at top and at most avail millimetres high. It
// picks the fewest columns and the largest font size at which everything
// fits; if nothing does, it writes one line per entry in three columns and
// ends the list with more(number of entries left out).
func (pg *page) partnerList(entries []string, top, avail float64, align string, more func(int) string) {
	const gap, bullet = 8.0, 5.0
	pdf := pg.pdf
	if avail <= 0 {
		return
	}
	for cols := 1; cols <= 3; cols++ {
		colW := (certTextW - float64(cols-1)*gap) / float64(cols)
		perCol := (len(entries) + cols - 1) / cols
		for _, size := range []float64{12, 11, 10, 9, 8} {
			pdf.SetFont(family, "", size)
			lineH := size * 0.45
			fits := true
			for i := 0; i < len(entries) && fits; i += perCol {
				h := 0.0
				for _, e := range entries[i:min(i+perCol, len(entries))] {
					h += float64(len(pdf.SplitText(e, colW-bullet))) * lineH
				}
				fits = h <= avail
			}
			if !fits {
				continue
			}
			// One column of a few entries is centred as a block.
			x0, w := certMargin, colW
			if cols == 1 {
				wmax := 0.0
				for _, e := range entries {
					wmax = max(wmax, pdf.GetStringWidth(e)+2*pdf.GetCellMargin())
				}
				if wmax+bullet < colW {
					x0, w = certMargin+(colW-wmax-bullet)/2, wmax+bullet
				}
			}
			for i := 0; i < len(entries); i += perCol {
				x := x0 + float64(i/perCol)*(colW+gap)
				pdf.SetY(top)
				for _, e := range entries[i:min(i+perCol, len(entries))] {
					pg.listEntry(x, w, bullet, lineH, pdf.SplitText(e, w-bullet), align)
				}
			}
			return
		}
	}
	// Too many: one line each, as many as fit.
	const size = 8.0
	lineH := size * 0.45
	pdf.SetFont(family, "", size)
	colW := (certTextW - 2*gap) / 3
	perCol := int(math.Floor(avail / lineH))
	if perCol < 1 {
		return
	}
	shown := entries
	if len(entries) > 3*perCol {
		shown = append(entries[:3*perCol-1:3*perCol-1], more(len(entries)-(3*perCol-1)))
	}
	for i := 0; i < len(shown); i += perCol {
		x := certMargin + float64(i/perCol)*(colW+gap)
		pdf.SetY(top)
		for _, e := range shown[i:min(i+perCol, len(shown))] {
			lines := pdf.SplitText(e, colW-bullet)
			if len(lines) > 1 {
				lines = pg.shorten(lines[:1], colW-bullet)
			}
			pg.listEntry(x, colW, bullet, lineH, lines, align)
		}
	}
}

// listEntry writes a bulleted entry of lines in the column of width colW
// at x, from the current y: the bullet on the side the language starts
// from.
func (pg *page) listEntry(x, colW, bullet, lineH float64, lines []string, align string) {
	bx, tx := x, x+bullet
	if pg.rtl {
		bx, tx = x+colW-bullet, x
	}
	y := pg.pdf.GetY()
	pg.pdf.SetXY(bx, y)
	pg.pdf.CellFormat(bullet, lineH, "•", "", 0, "C", false, 0, "")
	pg.pdf.SetXY(tx, y)
	pg.write(lines, tx, colW-bullet, lineH, align)
}

// drawable replaces the characters beyond Unicode's first plane (emoji,
// rare CJK), which fpdf's TrueType subsetting cannot write, by U+FFFD. A
// character of the first plane the font lacks (CJK) is drawn as the font's
// missing glyph.
func drawable(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r > 0xFFFF }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r > 0xFFFF {
			return '\uFFFD'
		}
		return r
	}, s)
}

// oneLine turns line breaks and other control characters into spaces and
// trims the result.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s))
}

// Fonts returns the embedded DejaVu Sans, regular and bold, for the
// node's other PDFs (node/pupil's credentials sheet), which get them
// through the node's assembly.
func Fonts() (regular, bold []byte) { return fontRegular, fontBold }

// VisualLine returns a line of text as a PDF draws it, left to right:
// Arabic shaped, right-to-left runs reordered (rtl: the base direction,
// the page language's), characters fpdf cannot write replaced; for the
// node's other PDFs (node/pupil's credentials sheet).
func VisualLine(s string, rtl bool) string {
	return visualLines([]string{drawable(shapeArabic(oneLine(s)))}, rtl)[0]
}
