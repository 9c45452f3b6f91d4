package certificate

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

func certificateProject() *twinfed.Project {
	return &twinfed.Project{
		ID:       "https://it.twinfed.example/projects/p1",
		Title:    "Water, our common heritage: a journey along the rivers of Europe, from the springs in the mountains to the sea, told by pupils through science, stories and art",
		State:    twinfed.ProjectApproved,
		Approved: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
		Partners: []twinfed.Partner{
			{Actor: "https://it.twinfed.example/members/rossi", Name: "Maria Rossi", Country: "IT",
				SchoolName: "Istituto Comprensivo Giosuè Carducci di Forlì", Role: twinfed.RoleFounder, Status: twinfed.PartnerApproved},
			{Actor: "https://fr.twinfed.example/members/durand", Name: "Hélène Durand", Country: "FR",
				SchoolName: "Collège Jean Moulin", Role: twinfed.RoleCofounder, Status: twinfed.PartnerApproved},
			{Actor: "https://es.twinfed.example/members/garcia", Name: "Pilar García", Country: "ES",
				SchoolName: "IES Pendiente", Role: twinfed.RolePartner, Status: twinfed.PartnerPending},
		},
	}
}

// pdfStrings returns the strings shown by Tj operators in an uncompressed
// PDF, still in cp1252 and with their escapes.
func pdfStrings(pdf []byte) string {
	var b strings.Builder
	for _, m := range regexp.MustCompile(`\(((?:[^()\\]|\\.)*)\) ?Tj`).FindAllSubmatch(pdf, -1) {
		b.Write(m[1])
		b.WriteByte('\n')
	}
	return b.String()
}

func checkPDF(t *testing.T, out []byte) {
	t.Helper()
	if !bytes.HasPrefix(out, []byte("%PDF-")) {
		t.Errorf("does not start with %%PDF-: %q", out[:min(len(out), 20)])
	}
	if !bytes.HasSuffix(bytes.TrimSpace(out), []byte("%%EOF")) {
		t.Errorf("does not end with %%%%EOF")
	}
	if n := bytes.Count(out, []byte("/Type /Page\n")); n != 1 {
		t.Errorf("%d pages, want 1", n)
	}
}

func TestCertificateLanguages(t *testing.T) {
	p := certificateProject()
	titles := map[string]string{
		"en": "Project start certificate",
		"it": "Certificato di avvio del progetto",
		"fr": "Certificat de d\xe9marrage de projet", // é in cp1252
		"es": "Certificado de inicio de proyecto",
		"de": "Project start certificate", // unknown: English
		"":   "Project start certificate",
	}
	for lang, title := range titles {
		for i := range p.Partners[:2] {
			pt := &p.Partners[i]
			var buf bytes.Buffer
			err := Write(&buf, Certificate{
				Lang: lang, Project: p, Partner: pt,
				Issued: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC),
				Issuer: "Indire — Unità nazionale eTwinning",
				URL:    "https://it.twinfed.example/projects/p1",

				uncompressed: true,
			})
			if err != nil {
				t.Fatalf("%s, %s: %v", lang, pt.Name, err)
			}
			out := buf.Bytes()
			checkPDF(t, out)
			text := pdfStrings(out)
			for _, want := range []string{
				title,
				"Water, our common heritage",
				"Istituto Comprensivo Giosu\xe8 Carducci di Forl\xec", // both partners are listed
				"Coll\xe8ge Jean Moulin",
				"Unit\xe0 nazionale eTwinning",
				"https://it.twinfed.example/projects/p1",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("%s, %s: page lacks %q; it shows:\n%s", lang, pt.Name, want, text)
				}
			}
			if strings.Contains(text, "IES Pendiente") {
				t.Errorf("%s: a partner awaiting approval is listed", lang)
			}
			if !strings.Contains(text, encodeCP1252(t, pt.Name)) {
				t.Errorf("%s: page lacks the partner's name %q", lang, pt.Name)
			}
		}
	}
}

func encodeCP1252(t *testing.T, s string) string {
	t.Helper()
	var b strings.Builder
	for _, r := range s {
		if r >= 0x100 {
			t.Fatalf("%q: not Latin-1", s)
		}
		b.WriteByte(byte(r))
	}
	return b.String()
}

func TestCertificateDates(t *testing.T) {
	p := certificateProject()
	for lang, want := range map[string]string{
		"en": "approved on 1 March 2025.",
		"it": "approvato il 1\xba marzo 2025.",
		"fr": "approuv\xe9 le 1er mars 2025.",
		"es": "aprobado el 1 de marzo de 2025.",
	} {
		var buf bytes.Buffer
		if err := Write(&buf, Certificate{Lang: lang, Project: p, Partner: &p.Partners[0], uncompressed: true}); err != nil {
			t.Fatal(err)
		}
		if text := pdfStrings(buf.Bytes()); !strings.Contains(text, want) {
			t.Errorf("%s: page lacks %q; it shows:\n%s", lang, want, text)
		}
	}
}

func TestCertificateCompressed(t *testing.T) {
	p := certificateProject()
	var buf bytes.Buffer
	if err := Write(&buf, Certificate{Lang: "it", Project: p, Partner: &p.Partners[0]}); err != nil {
		t.Fatal(err)
	}
	checkPDF(t, buf.Bytes())
	if !bytes.Contains(buf.Bytes(), []byte("/FlateDecode")) {
		t.Error("page content is not compressed")
	}
}

func TestCertificateNotCP1252(t *testing.T) {
	p := certificateProject()
	p.Title = "Zażółć gęślą jaźń — Ελληνικά — 日本語 — Łódź"
	p.Partners[0].Name = "Dvořák\x00\n\tŁukasz"
	var buf bytes.Buffer
	if err := Write(&buf, Certificate{Lang: "en", Project: p, Partner: &p.Partners[0], uncompressed: true}); err != nil {
		t.Fatal(err)
	}
	checkPDF(t, buf.Bytes())
	text := pdfStrings(buf.Bytes())
	for _, want := range []string{"Zaz\xf3lc gesla jazn", "???????? \x97 ??? \x97 L\xf3dz", "Dvor\xe1k", "Lukasz"} {
		if !strings.Contains(text, want) {
			t.Errorf("page lacks %q; it shows:\n%s", want, text)
		}
	}
}

func TestCertificateManyPartners(t *testing.T) {
	p := certificateProject()
	for i := range 300 {
		p.Partners = append(p.Partners, twinfed.Partner{Name: "Teacher with a rather long name", Country: "DE",
			SchoolName: "Gymnasium am Stadtpark with a long name, Musterstadt", Status: twinfed.PartnerApproved,
			Actor: "https://de.twinfed.example/members/" + string(rune('a'+i%26))})
	}
	var buf bytes.Buffer
	if err := Write(&buf, Certificate{Lang: "en", Project: p, Partner: &p.Partners[0], uncompressed: true}); err != nil {
		t.Fatal(err)
	}
	checkPDF(t, buf.Bytes())
	if text := pdfStrings(buf.Bytes()); !regexp.MustCompile(`and \d+ more`).MatchString(text) {
		t.Errorf("a list too long for the page does not end with \"and N more\":\n%s", text)
	}
}

func TestCertificateErrors(t *testing.T) {
	p := certificateProject()
	unapproved := certificateProject()
	unapproved.Approved = time.Time{}
	for name, c := range map[string]Certificate{
		"nil project": {Lang: "en", Partner: &p.Partners[0]},
		"nil partner": {Lang: "en", Project: p},
		"unapproved":  {Lang: "en", Project: unapproved, Partner: &unapproved.Partners[0]},
	} {
		var buf bytes.Buffer
		if err := Write(&buf, c); err == nil {
			t.Errorf("%s: no error", name)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes", name, buf.Len())
		}
	}
}
