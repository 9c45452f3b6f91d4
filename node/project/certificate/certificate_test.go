package certificate

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
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

// catalog returns the node's catalogue of langs, failing the test when
// one has none.
func catalog(t *testing.T, langs ...string) *web.Catalog {
	t.Helper()
	c, err := web.NewCatalog(langs)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// hasCatalogue reports whether node/web has a catalogue for lang.
func hasCatalogue(lang string) bool {
	_, err := web.NewCatalog([]string{lang})
	return err == nil
}

// poppler returns the path of one of poppler-utils' commands, failing the
// test when it is missing (.ci/run installs Debian's poppler-utils).
func poppler(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("no %s on PATH: the certificate tests read the PDFs with Debian's poppler-utils (apt-get install -y poppler-utils)", name)
	}
	return p
}

var spaces = regexp.MustCompile(`\s+`)

// pdfText returns the text of a PDF as pdftotext extracts it, every run of
// white space made one space.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	cmd := exec.Command(poppler(t, "pdftotext"), "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return spaces.ReplaceAllString(string(out), " ")
}

// pdfImage renders the PDF's page to PNG with pdftoppm and returns it,
// decoded; it keeps the file in $TWINFED_CERT_PNG (when set) as name.png,
// for a person to look at.
func pdfImage(t *testing.T, pdf []byte, name string) image.Image {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "cert.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(poppler(t, "pdftoppm"), "-png", "-r", "60", "-singlefile", in, filepath.Join(dir, "cert"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "cert.png"))
	if err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("TWINFED_CERT_PNG"); keep != "" {
		_ = os.MkdirAll(keep, 0o755)
		_ = os.WriteFile(filepath.Join(keep, name+".png"), raw, 0o644)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("pdftoppm's PNG: %v", err)
	}
	return img
}

// inked returns the share of the image's pixels that are dark (text).
func inked(img image.Image) float64 {
	b := img.Bounds()
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if (r+g+bl)/3 < 0x6000 {
				dark++
			}
		}
	}
	return float64(dark) / float64(b.Dx()*b.Dy())
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
	if !bytes.Contains(out, []byte("/FontFile2")) {
		t.Error("the font is not embedded")
	}
}

func write(t *testing.T, c Certificate) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, c); err != nil {
		t.Fatalf("%s, %s: %v", c.Lang, c.Partner.Name, err)
	}
	checkPDF(t, buf.Bytes())
	return buf.Bytes()
}

func TestCertificateLanguages(t *testing.T) {
	p := certificateProject()
	cat := catalog(t, "en", "it", "fr", "es")
	titles := map[string]string{
		"en": "Project start certificate",
		"it": "Certificato di avvio del progetto",
		"fr": "Certificat de démarrage de projet",
		"es": "Certificado de inicio de proyecto",
		"de": "Project start certificate", // no catalogue: English
		"":   "Project start certificate",
	}
	for lang, title := range titles {
		for i := range p.Partners[:2] {
			pt := &p.Partners[i]
			text := pdfText(t, write(t, Certificate{
				Lang: lang, Catalog: cat, Project: p, Partner: pt,
				Issued: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC),
				Issuer: "Indire — Unità nazionale eTwinning",
				URL:    "https://it.twinfed.example/projects/p1",
			}))
			for _, want := range []string{
				title,
				"Water, our common heritage",
				"Istituto Comprensivo Giosuè Carducci di Forlì", // both partners are listed
				"Collège Jean Moulin",
				"Unità nazionale eTwinning",
				"https://it.twinfed.example/projects/p1",
				pt.Name,
			} {
				if !strings.Contains(text, want) {
					t.Errorf("%s, %s: page lacks %q; it shows:\n%s", lang, pt.Name, want, text)
				}
			}
			if strings.Contains(text, "IES Pendiente") {
				t.Errorf("%s: a partner awaiting approval is listed", lang)
			}
		}
	}
}

func TestCertificateDates(t *testing.T) {
	p := certificateProject()
	cat := catalog(t, "en", "it", "fr", "es")
	for lang, want := range map[string]string{
		"en": "approved on 1 March 2025.",
		"it": "approvato il 1º marzo 2025.",
		"fr": "approuvé le 1er mars 2025.",
		"es": "aprobado el 1 de marzo de 2025.",
	} {
		issued := time.Date(2025, 11, 23, 9, 0, 0, 0, time.UTC)
		text := pdfText(t, write(t, Certificate{Lang: lang, Catalog: cat, Project: p, Partner: &p.Partners[0], Issued: issued}))
		if !strings.Contains(text, want) {
			t.Errorf("%s: page lacks %q; it shows:\n%s", lang, want, text)
		}
		if day := cat.TData(lang, "cert.date", map[string]any{"Day": 23, "Month": cat.TData(lang, "cert.month.11", nil), "Year": "2025"}); !strings.Contains(text, day) {
			t.Errorf("%s: page lacks the issue date %q; it shows:\n%s", lang, day, text)
		}
	}
}

func TestCertificateCompressed(t *testing.T) {
	p := certificateProject()
	out := write(t, Certificate{Lang: "it", Catalog: catalog(t, "it"), Project: p, Partner: &p.Partners[0]})
	if !bytes.Contains(out, []byte("/FlateDecode")) {
		t.Error("page content is not compressed")
	}
	// The font is a subset: far smaller than the two embedded files.
	if len(out) > 200<<10 {
		t.Errorf("the PDF is %d KiB: the font is not subset", len(out)>>10)
	}
}

// TestCertificateScripts writes the certificates of teachers whose names
// are in Greek, Cyrillic and Armenian, each in their language, and of
// teachers with Georgian and Arabic names: the name is in the text
// extracted from the PDF, nothing prints as "?", the certificate is in the
// teacher's language when node/web has its catalogue, and the page renders
// to an image with text on it.
func TestCertificateScripts(t *testing.T) {
	for _, tc := range []struct {
		lang, name, school, country string
	}{
		{"el", "Γιώργος Παπαδόπουλος", "3ο Γυμνάσιο Αθηνών", "GR"},
		{"uk", "Олена Шевченко", "Ліцей № 157 м. Києва", "UA"},
		{"hy", "Վարդան", "Երևանի թիվ 55 դպրոց", "AM"},
		{"ka", "ნინო ბერიძე", "თბილისის 51-ე საჯარო სკოლა", "GE"},
		{"ar", "محمد بن علي", "المدرسة الإعدادية بتونس", "TN"},
		{"sr", "Јелена Петровић", "Гимназија Ниш", "RS"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			langs := []string{"en"}
			if hasCatalogue(tc.lang) {
				langs = append(langs, tc.lang)
			}
			cat := catalog(t, langs...)
			p := certificateProject()
			p.Title = "Water, our common heritage"
			p.Partners[1] = twinfed.Partner{Actor: "https://" + strings.ToLower(tc.country) + ".twinfed.example/users/t", Name: tc.name,
				Country: tc.country, SchoolName: tc.school, Role: twinfed.RoleCofounder, Status: twinfed.PartnerApproved}
			out := write(t, Certificate{Lang: tc.lang, Catalog: cat, Project: p, Partner: &p.Partners[1],
				Issuer: "Indire — Unità nazionale eTwinning", URL: "https://it.twinfed.example/projects/p1"})
			text := pdfText(t, out)
			if strings.ContainsAny(text, "?\uFFFD") {
				t.Errorf("a character prints as ?:\n%s", text)
			}
			// Arabic is drawn in its presentation forms; NFKC reads them as letters.
			for _, want := range []string{tc.name, tc.school, "Maria Rossi"} {
				if !strings.Contains(norm.NFKC.String(text), norm.NFKC.String(want)) {
					t.Errorf("page lacks %q; it shows:\n%s", want, text)
				}
			}
			if hasCatalogue(tc.lang) {
				title := cat.TData(tc.lang, "cert.title", nil)
				if title == cat.TData("en", "cert.title", nil) || !strings.Contains(norm.NFKC.String(text), norm.NFKC.String(title)) {
					t.Errorf("the certificate is not in %s (title %q):\n%s", tc.lang, title, text)
				}
			} else {
				t.Logf("no %s catalogue yet: the certificate is in English", tc.lang)
			}
			img := pdfImage(t, out, "certificate-"+tc.lang)
			if b := img.Bounds(); b.Dx() < 600 || b.Dx() <= b.Dy() {
				t.Errorf("the page renders %dx%d; want A4 landscape", b.Dx(), b.Dy())
			}
			if ink := inked(img); ink < 0.005 || ink > 0.3 {
				t.Errorf("%.1f%% of the image is dark: no text, or a black page", ink*100)
			}
		})
	}
}

func TestCertificateManyPartners(t *testing.T) {
	p := certificateProject()
	for i := range 300 {
		p.Partners = append(p.Partners, twinfed.Partner{Name: "Teacher with a rather long name", Country: "DE",
			SchoolName: "Gymnasium am Stadtpark with a long name, Musterstadt", Status: twinfed.PartnerApproved,
			Actor: "https://de.twinfed.example/members/" + string(rune('a'+i%26))})
	}
	for _, lang := range []string{"en", "it"} {
		text := pdfText(t, write(t, Certificate{Lang: lang, Catalog: catalog(t, "en", "it"), Project: p, Partner: &p.Partners[0]}))
		if re := map[string]string{"en": `and \d+ more`, "it": `e ancora \d+`}[lang]; !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("%s: a list too long for the page does not end with %q:\n%s", lang, re, text)
		}
	}
}

func TestCertificateErrors(t *testing.T) {
	p := certificateProject()
	cat := catalog(t, "en")
	unapproved := certificateProject()
	unapproved.Approved = time.Time{}
	for name, c := range map[string]Certificate{
		"nil catalogue": {Lang: "en", Project: p, Partner: &p.Partners[0]},
		"nil project":   {Lang: "en", Catalog: cat, Partner: &p.Partners[0]},
		"nil partner":   {Lang: "en", Catalog: cat, Project: p},
		"unapproved":    {Lang: "en", Catalog: cat, Project: unapproved, Partner: &unapproved.Partners[0]},
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

// arabicCatalog is node/web's catalogue with a few certificate messages in
// Arabic, until node/web has an Arabic catalogue: enough to lay out a
// certificate right to left.
type arabicCatalog struct{ *web.Catalog }

var arabic = map[string]string{
	"cert.title":    "شهادة بدء المشروع",
	"cert.intro":    "{{.Partner}}، من {{.School}} ({{.Country}})، يشارك في مشروع eTwinning",
	"cert.quoted":   "«{{.Title}}»",
	"cert.approved": "تمت الموافقة عليه في {{.Date}}.",
	"cert.partners": "المدارس الشريكة",
	"cert.month.3":  "مارس",
}

func (c arabicCatalog) Offered(lang string) bool { return lang == "ar" || c.Catalog.Offered(lang) }

func (c arabicCatalog) TData(lang, id string, data map[string]any) string {
	if s, ok := arabic[id]; ok && lang == "ar" {
		for k, v := range data {
			s = strings.ReplaceAll(s, "{{."+k+"}}", fmt.Sprint(v))
		}
		return s
	}
	return c.Catalog.TData(lang, id, data)
}

// TestCertificateRightToLeft writes a certificate in Arabic: the texts are
// shaped (their letters joined: presentation forms) and laid out right to
// left, a Latin name keeps its order inside them, and the text extracted
// from the PDF reads back as written.
func TestCertificateRightToLeft(t *testing.T) {
	if hasCatalogue("ar") {
		t.Log("node/web has an Arabic catalogue: this test still uses its own messages")
	}
	p := certificateProject()
	p.Partners[1] = twinfed.Partner{Actor: "https://tn.twinfed.example/users/t", Name: "محمد بن علي", Country: "TN",
		SchoolName: "المدرسة الإعدادية بتونس", Role: twinfed.RoleCofounder, Status: twinfed.PartnerApproved}
	cat := arabicCatalog{catalog(t, "en")}
	out := write(t, Certificate{Lang: "ar", Catalog: cat, Project: p, Partner: &p.Partners[1], URL: "https://it.twinfed.example/projects/p1"})
	text := pdfText(t, out)
	if !strings.ContainsFunc(text, func(r rune) bool { return r >= 0xFE70 && r <= 0xFEFC }) {
		t.Errorf("no Arabic presentation form: the text is not shaped:\n%s", text)
	}
	read := norm.NFKC.String(text)
	for _, want := range []string{"شهادة بدء المشروع", "محمد بن علي", "المدرسة الإعدادية بتونس", "تونس", "Water, our common heritage", "مارس"} {
		if !strings.Contains(read, want) {
			t.Errorf("page lacks %q; it reads:\n%s", want, read)
		}
	}
	if ink := inked(pdfImage(t, out, "certificate-ar-rtl")); ink < 0.005 {
		t.Errorf("%.1f%% of the image is dark: no text", ink*100)
	}
}

func TestVisualLines(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		rtl  bool
		want []string
	}{
		{[]string{"abc def"}, false, []string{"abc def"}},
		{[]string{"abc"}, true, []string{"abc"}},
		{[]string{"אבג (x) דה"}, true, []string{"הד (x) גבא"}},                  // runs in reverse order; each RTL run reversed
		{[]string{"of אבג, yes"}, false, []string{"of גבא, yes"}},               // an RTL name inside LTR text
		{[]string{"\u0628\u064E\u0628"}, false, []string{"\u0628\u0628\u064E"}}, // a mark stays after its letter
		// A Latin title quoted in an Arabic page, on two lines: the comma
		// ending the first line is between two Latin words of the
		// paragraph, so it stays with them; the quotation marks are the
		// page's, at each line's right (opening) and left (closing) ends,
		// mirrored.
		{[]string{"«Water, rivers of Europe,", "from the springs»"}, true, []string{"Water, rivers of Europe,»", "«from the springs"}},
		{[]string{"אב גד", "הו"}, true, []string{"דג בא", "וה"}}, // each line reversed on its own
	} {
		if got := visualLines(tc.in, tc.rtl); !slices.Equal(got, tc.want) {
			t.Errorf("visualLines(%q, %v) = %q, want %q", tc.in, tc.rtl, got, tc.want)
		}
	}
}

func TestShapeArabic(t *testing.T) {
	for in, want := range map[string]string{
		"بب":   "\uFE91\uFE90",       // initial, final
		"ببب":  "\uFE91\uFE92\uFE90", // initial, medial, final
		"با":   "\uFE91\uFE8E",       // alef joins only the letter before it
		"اب":   "\uFE8D\uFE8F",       // so a letter after alef starts afresh
		"لا":   "\uFEFB",             // lam-alef ligature
		"بلا":  "\uFE91\uFEFC",       // its final form
		"بَب":  "\uFE91\u064E\uFE90", // a mark does not break the joining
		"ء":    "\uFE80",             // hamza never joins
		"Ab c": "Ab c",
	} {
		if got := shapeArabic(in); got != want {
			t.Errorf("shapeArabic(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCertificateControlAndMissingGlyphs: control characters in a name
// become spaces, and letters the font lacks (CJK, emoji) neither fail the
// certificate nor disturb what is around them.
func TestCertificateControlAndMissingGlyphs(t *testing.T) {
	p := certificateProject()
	p.Title = "Zażółć gęślą jaźń — Ελληνικά — 日本語 🎵 — Łódź"
	p.Partners[0].Name = "Dvořák\x00\n\tŁukasz"
	text := pdfText(t, write(t, Certificate{Lang: "en", Catalog: catalog(t, "en"), Project: p, Partner: &p.Partners[0]}))
	for _, want := range []string{"Zażółć gęślą jaźń — Ελληνικά —", "— Łódź", "Dvořák Łukasz"} {
		if !strings.Contains(text, want) {
			t.Errorf("page lacks %q; it shows:\n%s", want, text)
		}
	}
}
