// Package certificate writes the project start certificate of eTwinning
// as a one-page PDF (A4 landscape), in English, Italian, French or Spanish:
// the partner it is for, their school and country, the project, the date
// of its approval, the partner schools, the issuing agency and where the
// project card is. It renders only; who may have one is package project's
// business (twinfed.(*Project).Permissions, Certificates).
package certificate

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"golang.org/x/text/unicode/norm"

	"github.com/twinfed/twinfed"
)

// Certificate is what a project start certificate shows.
type Certificate struct {
	Lang    string           // "en", "it", "fr" or "es"; anything else: "en"
	Project *twinfed.Project // the project; its Approved date must be set
	Partner *twinfed.Partner // the partner the certificate is for
	Issued  time.Time        // zero: now
	Issuer  string           // the agency's name, e.g. "Indire — Unità nazionale eTwinning"
	URL     string           // where the project card is, printed at the bottom

	uncompressed bool // write the page content uncompressed (for tests)
}

// certText holds a certificate's texts in one language.
type certText struct {
	label    string // above the title
	title    string
	intro    string // %[1]s partner's name, %[2]s school, %[3]s country
	approved string // %s date
	partners string // heading of the list of partner schools
	more     string // %d partners left out of a list too long for the page
	issued   string // %[1]s issuer, %[2]s date
	url      string // %s URL
	quote    [2]string
	months   [12]string
	first    string // the first day of a month, if written differently
	date     string // %[1]s day, %[2]s month, %[3]d year
	regions  display.Namer
}

var certTexts = map[string]*certText{
	"en": {
		label:    "eTwinning",
		title:    "Project start certificate",
		intro:    "%[1]s, of %[2]s (%[3]s), takes part in the eTwinning project",
		approved: "approved on %s.",
		partners: "Partner schools",
		more:     "and %d more",
		issued:   "Issued by %[1]s on %[2]s.",
		url:      "Project card: %s",
		quote:    [2]string{"“", "”"},
		months:   [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		date:     "%[1]s %[2]s %[3]d",
		regions:  display.English.Regions(),
	},
	"it": {
		label:    "eTwinning",
		title:    "Certificato di avvio del progetto",
		intro:    "%[1]s, della scuola %[2]s (%[3]s), partecipa al progetto eTwinning",
		approved: "approvato il %s.",
		partners: "Scuole partner",
		more:     "e altre %d",
		issued:   "Rilasciato da %[1]s il %[2]s.",
		url:      "Scheda del progetto: %s",
		quote:    [2]string{"«", "»"},
		months:   [12]string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"},
		first:    "1º",
		date:     "%[1]s %[2]s %[3]d",
		regions:  display.Italian.Regions(),
	},
	"fr": {
		label:    "eTwinning",
		title:    "Certificat de démarrage de projet",
		intro:    "%[1]s, de l'établissement %[2]s (%[3]s), participe au projet eTwinning",
		approved: "approuvé le %s.",
		partners: "Établissements partenaires",
		more:     "et %d autres",
		issued:   "Délivré par %[1]s le %[2]s.",
		url:      "Fiche du projet : %s",
		quote:    [2]string{"«\u00a0", "\u00a0»"},
		months:   [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		first:    "1er",
		date:     "%[1]s %[2]s %[3]d",
		regions:  display.French.Regions(),
	},
	"es": {
		label:    "eTwinning",
		title:    "Certificado de inicio de proyecto",
		intro:    "%[1]s, del centro %[2]s (%[3]s), participa en el proyecto eTwinning",
		approved: "aprobado el %s.",
		partners: "Centros socios",
		more:     "y %d más",
		issued:   "Expedido por %[1]s el %[2]s.",
		url:      "Ficha del proyecto: %s",
		quote:    [2]string{"«", "»"},
		months:   [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
		date:     "%[1]s de %[2]s de %[3]d",
		regions:  display.Spanish.Regions(),
	},
}

// formatDate writes t's date (in t's location) the way lang does.
func (tx *certText) formatDate(t time.Time) string {
	day := fmt.Sprint(t.Day())
	if t.Day() == 1 && tx.first != "" {
		day = tx.first
	}
	return fmt.Sprintf(tx.date, day, tx.months[t.Month()-1], t.Year())
}

// country returns the name of the country with the two-letter code, or the
// code itself if it is unknown.
func (tx *certText) country(code string) string {
	c := strings.ToUpper(strings.TrimSpace(code))
	if c == "EL" { // the EU's code for Greece
		c = "GR"
	}
	r, err := language.ParseRegion(c)
	if err != nil || r.String() == "ZZ" {
		return code
	}
	if name := tx.regions.Name(r); name != "" {
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

// Write writes the certificate as a one-page A4 landscape PDF to w.
//
// It uses the PDF core font Helvetica, whose texts are encoded in cp1252
// (Windows-1252): the letters of the Latin-script western European languages
// (à, é, ñ, ç, ü, ß, ø, œ…), typographic quotes and dashes print as they are.
// Any other character is replaced: by its base letter when it has one (ż → z,
// ő → o, č → c), by "?" otherwise (Greek, Cyrillic, CJK…). Texts that do not
// fit are shortened with "…", and a partner list too long for the page ends
// with "and N more", so that the certificate is always a single page.
//
// It returns an error if the project or the partner is nil or the project has
// no approval date.
func Write(w io.Writer, c Certificate) error {
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
	tx, ok := certTexts[lang]
	if !ok {
		lang, tx = "en", certTexts["en"]
	}
	issued := c.Issued
	if issued.IsZero() {
		issued = time.Now()
	}

	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetCompression(!c.uncompressed)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(certMargin, 20, certMargin)
	pdf.SetCreationDate(issued)
	pdf.SetModificationDate(issued)
	pdf.SetTitle(tx.title+" — "+c.Project.Title, true)
	pdf.SetSubject(c.Project.Title, true)
	pdf.SetAuthor(c.Issuer, true)
	pdf.SetCreator("twinfed", false)
	pdf.SetLang(lang)
	cp := pdf.UnicodeTranslatorFromDescriptor("") // cp1252
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("node: certificate: %w", err)
	}
	tr := func(s string) string { return toCP1252(cp, s) }

	pdf.AddPage()

	// A double frame.
	pdf.SetDrawColor(0, 84, 147)
	pdf.SetLineWidth(1.2)
	pdf.Rect(10, 10, certPageW-20, certPageH-20, "D")
	pdf.SetLineWidth(0.3)
	pdf.Rect(13, 13, certPageW-26, certPageH-26, "D")

	// Title.
	pdf.SetTextColor(0, 84, 147)
	pdf.SetFont("Helvetica", "B", 12)
	pdf.SetXY(certMargin, 22)
	pdf.CellFormat(certTextW, 6, tr(tx.label), "", 1, "C", false, 0, "")
	pdf.SetY(pdf.GetY() + 2)
	pdf.SetFont("Helvetica", "B", 26)
	pdf.MultiCell(certTextW, 11, fitText(pdf, "B", []float64{26, 22}, tr(tx.title), certTextW, 2), "", "C", false)

	// Who takes part in which project.
	pdf.SetTextColor(0, 0, 0)
	pdf.SetY(pdf.GetY() + 6)
	pt := c.Partner
	intro := fmt.Sprintf(tx.intro, pt.Name, pt.SchoolName, tx.country(pt.Country))
	var size float64
	intro = fitText(pdf, "", []float64{14, 13, 12, 11}, tr(intro), certTextW, 3)
	size, _ = pdf.GetFontSize()
	pdf.MultiCell(certTextW, size*0.5, intro, "", "C", false)
	pdf.SetY(pdf.GetY() + 2)
	title := tx.quote[0] + oneLine(c.Project.Title) + tx.quote[1]
	title = fitText(pdf, "B", []float64{18, 16, 14, 12}, tr(title), certTextW, 3)
	size, _ = pdf.GetFontSize()
	pdf.MultiCell(certTextW, size*0.5, title, "", "C", false)
	pdf.SetY(pdf.GetY() + 2)
	pdf.SetFont("Helvetica", "", 14)
	pdf.MultiCell(certTextW, 7, tr(fmt.Sprintf(tx.approved, tx.formatDate(c.Project.Approved))), "", "C", false)
	bodyY := pdf.GetY()

	// The footer, from the bottom up: the URL, then the issuer.
	if c.URL != "" {
		pdf.SetTextColor(90, 90, 90)
		pdf.SetFont("Helvetica", "", 9)
		u := fitText(pdf, "", []float64{9}, tr(fmt.Sprintf(tx.url, oneLine(c.URL))), certTextW, 1)
		pdf.SetXY(certMargin, certURLY)
		pdf.CellFormat(certTextW, 5, u, "", 1, "C", false, 0, c.URL)
		pdf.SetTextColor(0, 0, 0)
	}
	issuer := c.Issuer
	if issuer == "" {
		issuer = "eTwinning"
	}
	issuedText := fitText(pdf, "", []float64{11, 10}, tr(fmt.Sprintf(tx.issued, oneLine(issuer), tx.formatDate(issued))), certTextW, 2)
	size, _ = pdf.GetFontSize()
	issuedH := float64(len(pdf.SplitLines([]byte(issuedText), certTextW))) * size * 0.5
	issuedY := certFooterY - issuedH
	pdf.SetXY(certMargin, issuedY)
	pdf.MultiCell(certTextW, size*0.5, issuedText, "", "C", false)

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
		entries = append(entries, tr(e))
	}
	if len(entries) > 0 {
		y := bodyY + 5
		pdf.SetFont("Helvetica", "B", 12)
		pdf.SetTextColor(0, 84, 147)
		pdf.SetXY(certMargin, y)
		pdf.CellFormat(certTextW, 6, tr(tx.partners), "", 1, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		top := pdf.GetY() + 1
		writePartnerList(pdf, entries, top, issuedY-5-top, func(n int) string { return tr(fmt.Sprintf(tx.more, n)) })
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

// writePartnerList writes the entries, already in cp1252, as a bulleted list
// in one to three columns, starting at top and at most avail millimetres
// high. It picks the fewest columns and the largest font size at which
// everything fits; if nothing does, it writes one line per entry in three
// columns and ends the list with more(number of entries left out).
func writePartnerList(pdf *fpdf.Fpdf, entries []string, top, avail float64, more func(int) string) {
	const gap, bullet = 8.0, 5.0
	if avail <= 0 {
		return
	}
	for cols := 1; cols <= 3; cols++ {
		colW := (certTextW - float64(cols-1)*gap) / float64(cols)
		perCol := (len(entries) + cols - 1) / cols
		for _, size := range []float64{12, 11, 10, 9, 8} {
			pdf.SetFont("Helvetica", "", size)
			lineH := size * 0.45
			fits := true
			for i := 0; i < len(entries) && fits; i += perCol {
				h := 0.0
				for _, e := range entries[i:min(i+perCol, len(entries))] {
					h += float64(len(pdf.SplitLines([]byte(e), colW-bullet))) * lineH
				}
				fits = h <= avail
			}
			if !fits {
				continue
			}
			// One column of a few entries is centred as a block.
			x0 := certMargin
			if cols == 1 {
				wmax := 0.0
				for _, e := range entries {
					wmax = max(wmax, pdf.GetStringWidth(e)+2*pdf.GetCellMargin())
				}
				if wmax+bullet < colW {
					x0 = certMargin + (colW-wmax-bullet)/2
				}
			}
			for i := 0; i < len(entries); i += perCol {
				x := x0 + float64(i/perCol)*(colW+gap)
				pdf.SetY(top)
				for _, e := range entries[i:min(i+perCol, len(entries))] {
					listEntry(pdf, x, colW, bullet, lineH, e)
				}
			}
			return
		}
	}
	// Too many: one line each, as many as fit.
	const size = 8.0
	lineH := size * 0.45
	pdf.SetFont("Helvetica", "", size)
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
			listEntry(pdf, x, colW, bullet, lineH, fitText(pdf, "", []float64{size}, e, colW-bullet, 1))
		}
	}
}

// listEntry writes a bulleted entry at x and the current y.
func listEntry(pdf *fpdf.Fpdf, x, colW, bullet, lineH float64, e string) {
	pdf.SetX(x)
	pdf.CellFormat(bullet, lineH, "\x95", "", 0, "R", false, 0, "") // • in cp1252
	pdf.MultiCell(colW-bullet, lineH, e, "", "L", false)
}

// fitText sets the Helvetica font in style to the largest of sizes at which
// s (in cp1252) wraps into at most maxLines lines of width w, and returns s;
// if s does not fit even at the smallest size, it returns s shortened to
// maxLines lines with an ellipsis at the end.
func fitText(pdf *fpdf.Fpdf, style string, sizes []float64, s string, w float64, maxLines int) string {
	var lines [][]byte
	for _, size := range sizes {
		pdf.SetFont("Helvetica", style, size)
		lines = pdf.SplitLines([]byte(s), w)
		if len(lines) <= maxLines {
			return s
		}
	}
	const ellipsis = "\x85" // … in cp1252
	keep := make([]string, maxLines)
	for i := range keep {
		keep[i] = string(lines[i])
	}
	last := strings.TrimRight(keep[maxLines-1], " ")
	room := w - 2*pdf.GetCellMargin()
	for last != "" && pdf.GetStringWidth(last+ellipsis) > room {
		last = strings.TrimRight(last[:len(last)-1], " ")
	}
	keep[maxLines-1] = last + ellipsis
	// Lines break at spaces, so joining with spaces wraps the same way.
	return strings.Join(keep, " ")
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

// certFallback holds replacements for letters outside cp1252 that have no
// canonical decomposition.
var certFallback = map[rune]string{
	'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D", 'ı': "i", 'ħ': "h", 'Ħ': "H", 'ŧ': "t", 'Ŧ': "T",
	'\u202f': "\u00a0", '\u2011': "-", '\u2212': "-",
}

// toCP1252 encodes s in cp1252 with cp, the translator of the core fonts,
// replacing what cp1252 lacks (see Write) and control characters.
func toCP1252(cp func(string) string, s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80:
			if unicode.IsControl(r) {
				r = ' '
			}
			b.WriteRune(r)
			continue
		case r == utf8.RuneError:
			b.WriteByte('?')
			continue
		}
		if t := cp(string(r)); t != "." {
			b.WriteString(t)
			continue
		}
		if f, ok := certFallback[r]; ok {
			b.WriteString(cp(f))
			continue
		}
		// The base letter, if r is a letter with diacritics.
		if base, _ := utf8.DecodeRuneInString(norm.NFD.String(string(r))); base != r && base != utf8.RuneError {
			if t := cp(string(base)); t != "." && !unicode.IsControl(base) {
				b.WriteString(t)
				continue
			}
		}
		b.WriteByte('?')
	}
	return b.String()
}
