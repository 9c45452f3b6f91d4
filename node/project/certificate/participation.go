package certificate

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// Participation is what a certificate of participation in an event shows
// (package event decides who has one: the attendees the organiser
// recorded, of an event marked as certifying). Its texts are the
// event.cert.* catalogue messages.
type Participation struct {
	Lang      string    // the holder's language; one Catalog lacks: English
	Catalog   Catalog   // the texts; required
	Holder    string    // the participant's name
	Event     string    // the event's title
	Start     time.Time // the event's start, in the zone to print its date in
	Minutes   int       // its duration
	Organiser string    // the organiser's name
	Issued    time.Time // zero: now
	Issuer    string    // the node's agency
	URL       string    // the event's page, printed at the bottom
	// A training's certificate (package training) names its own lines:
	// TookPart the line before the title, When the line of its dates
	// (given Date, End, Minutes and Organiser); "": the event's.
	TookPart, When string
	End            time.Time // the last day of a training, in the zone to print it in
}

// WriteParticipation writes a certificate of participation as a one-page
// PDF (A4 landscape), with the fonts and frame of the project start
// certificate.
func WriteParticipation(w io.Writer, c Participation) error {
	if c.Catalog == nil {
		return errors.New("node: certificate: no catalogue")
	}
	lang := c.Lang
	if !c.Catalog.Offered(lang) {
		lang = "en"
	}
	tx := newTexts(c.Catalog, lang)
	issued := c.Issued
	if issued.IsZero() {
		issued = time.Now()
	}
	title := tx.msg("event.cert.title", nil)
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(certMargin, 20, certMargin)
	pdf.SetCreationDate(issued)
	pdf.SetModificationDate(issued)
	pdf.SetTitle(title+" — "+c.Event, true)
	pdf.SetAuthor(c.Issuer, true)
	pdf.SetCreator("twinfed", false)
	pdf.SetLang(lang)
	pdf.AddUTF8FontFromBytes(family, "", fontRegular)
	pdf.AddUTF8FontFromBytes(family, "B", fontBold)
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("node: certificate: %w", err)
	}
	pg := &page{pdf: pdf, rtl: rtlLanguages[lang]}
	pdf.AddPage()
	pdf.SetDrawColor(0, 84, 147)
	pdf.SetLineWidth(1.2)
	pdf.Rect(10, 10, certPageW-20, certPageH-20, "D")
	pdf.SetLineWidth(0.3)
	pdf.Rect(13, 13, certPageW-26, certPageH-26, "D")

	pdf.SetTextColor(0, 84, 147)
	pdf.SetY(30)
	pg.write(pg.fit("B", []float64{26, 22}, title, certTextW, 2), certMargin, certTextW, 11, "C")
	pdf.SetTextColor(0, 0, 0)
	pdf.SetY(pdf.GetY() + 12)
	pg.write(pg.fit("", []float64{14}, tx.msg("event.cert.holder", nil), certTextW, 1), certMargin, certTextW, 7, "C")
	pdf.SetY(pdf.GetY() + 3)
	pg.write(pg.fit("B", []float64{22, 18}, oneLine(c.Holder), certTextW, 1), certMargin, certTextW, 10, "C")
	pdf.SetY(pdf.GetY() + 6)
	pg.write(pg.fit("", []float64{14}, tx.msg(cmp.Or(c.TookPart, "event.cert.took_part"), nil), certTextW, 1), certMargin, certTextW, 7, "C")
	pdf.SetY(pdf.GetY() + 3)
	pg.write(pg.fit("B", []float64{20, 16, 13}, oneLine(c.Event), certTextW, 2), certMargin, certTextW, 9, "C")
	pdf.SetY(pdf.GetY() + 6)
	data := map[string]any{"Date": tx.date(c.Start), "Minutes": c.Minutes, "Organiser": oneLine(c.Organiser)}
	if !c.End.IsZero() {
		data["End"] = tx.date(c.End)
	}
	when := tx.msg(cmp.Or(c.When, "event.cert.when"), data)
	pg.write(pg.fit("", []float64{13, 11}, when, certTextW, 2), certMargin, certTextW, 7, "C")
	pdf.SetY(certFooterY - 12)
	pg.write(pg.fit("", []float64{11}, tx.msg("event.cert.issued", map[string]any{"Date": tx.date(issued), "Issuer": oneLine(c.Issuer)}), certTextW, 1), certMargin, certTextW, 6, "C")
	if c.URL != "" {
		pdf.SetY(certURLY - 4)
		pdf.SetFont(family, "", 9)
		pdf.SetX(certMargin)
		pdf.CellFormat(certTextW, 5, drawable(c.URL), "", 2, "C", false, 0, "")
	}
	if n := pdf.PageCount(); n != 1 {
		return fmt.Errorf("node: certificate: %d pages instead of one", n)
	}
	pdf.Close()
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("node: certificate: %w", err)
	}
	return nil
}
