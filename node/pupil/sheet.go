package pupil

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"codeberg.org/go-pdf/fpdf"

	"github.com/twinfed/twinfed"
)

// The credentials sheet: an A4 page (or several) of slips to cut out and
// hand to pupils, each with the node, the login page's address, the
// pupil's name, username and password. It is written from what the
// teacher's form sends back (the credentials just shown), never from the
// store, which keeps no password.

const (
	sheetFamily = "DejaVuSans"
	sheetMargin = 10.0 // mm
	slipCols    = 2
	slipRows    = 5
	slipW       = (210 - 2*sheetMargin) / slipCols
	slipH       = (297 - 2*sheetMargin) / slipRows
	// SlipsPerPage is how many slips an A4 page holds.
	SlipsPerPage = slipCols * slipRows
)

// WriteSheet writes the credentials sheet of creds in lang (its texts'
// language) to w: one slip per credential, SlipsPerPage a page, with cut
// lines.
func (s *Service) WriteSheet(w io.Writer, lang string, creds []Credential) error {
	if len(creds) == 0 {
		return errors.New("pupil: no credentials for the sheet")
	}
	if len(s.d.Fonts[0]) == 0 || len(s.d.Fonts[1]) == 0 {
		return errors.New("pupil: no font for the sheet")
	}
	t := func(id string) string { return s.d.Catalog.T(lang, id) }
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(sheetMargin, sheetMargin, sheetMargin)
	now := s.now()
	pdf.SetCreationDate(now)
	pdf.SetModificationDate(now)
	pdf.SetTitle(t("pupils.sheet.title"), true)
	pdf.SetCreator("twinfed", false)
	pdf.SetLang(lang)
	pdf.AddUTF8FontFromBytes(sheetFamily, "", s.d.Fonts[0])
	pdf.AddUTF8FontFromBytes(sheetFamily, "B", s.d.Fonts[1])
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("pupil: sheet: %w", err)
	}
	login := s.LoginURL()
	rtl := twinfed.TextDirection(lang) == "rtl"
	align := "L"
	if rtl {
		align = "R"
	}
	visual := s.d.Visual
	if visual == nil {
		visual = func(s string, _ bool) string { return printable(s) }
	}
	for i, c := range creds {
		slot := i % SlipsPerPage
		if slot == 0 {
			pdf.AddPage()
			cutLines(pdf)
		}
		x := sheetMargin + float64(slot%slipCols)*slipW + 6
		y := sheetMargin + float64(slot/slipCols)*slipH + 6
		w := slipW - 12
		line := func(style string, size float64, h float64, text string) {
			pdf.SetFont(sheetFamily, style, size)
			pdf.SetXY(x, y)
			pdf.CellFormat(w, h, fit(pdf, visual(text, rtl), w, rtl), "", 0, align, false, 0, "")
			y += h
		}
		pdf.SetTextColor(0, 84, 147)
		line("B", 9, 5, s.cfg.Node)
		pdf.SetTextColor(0, 0, 0)
		line("", 8, 4.5, t("pupils.sheet.login_at"))
		line("B", 8, 6, login)
		y += 2
		line("B", 14, 8, c.DisplayName)
		line("", 11, 6.5, t("pupils.sheet.username")+" "+c.Username)
		line("", 11, 6.5, t("pupils.sheet.password")+" "+c.Password)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("pupil: sheet: %w", err)
	}
	return nil
}

// cutLines draws the dashed lines between the slips of a page.
func cutLines(pdf *fpdf.Fpdf) {
	pdf.SetDrawColor(140, 140, 140)
	pdf.SetLineWidth(0.2)
	pdf.SetDashPattern([]float64{2, 1.5}, 0)
	for c := 0; c <= slipCols; c++ {
		x := sheetMargin + float64(c)*slipW
		pdf.Line(x, sheetMargin, x, 297-sheetMargin)
	}
	for r := 0; r <= slipRows; r++ {
		y := sheetMargin + float64(r)*slipH
		pdf.Line(sheetMargin, y, 210-sheetMargin, y)
	}
	pdf.SetDashPattern(nil, 0)
}

// fit shortens a line laid out for drawing with "…" until it is at most
// w wide in the current font: at its end, which is its left for a
// right-to-left page.
func fit(pdf *fpdf.Fpdf, s string, w float64, rtl bool) string {
	if pdf.GetStringWidth(s) <= w {
		return s
	}
	r := []rune(s)
	if rtl {
		for len(r) > 1 && pdf.GetStringWidth("…"+string(r)) > w {
			r = r[1:]
		}
		return "…" + string(r)
	}
	for len(r) > 1 && pdf.GetStringWidth(string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// printable turns control characters into spaces and the characters
// beyond Unicode's first plane (emoji), which fpdf cannot subset, into
// U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r):
			return ' '
		case r > 0xFFFF:
			return '\uFFFD'
		}
		return r
	}, s)
}
