package web_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed/node/web"
)

func TestCatalog_FormatDuration(t *testing.T) {
	c, err := web.NewCatalog([]string{"en", "it", "fr", "es"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d              time.Duration
		en, it, fr, es string
	}{
		{48 * time.Hour, "48 hours", "48 ore", "48 heures", "48 horas"},
		{time.Hour, "1 hour", "1 ora", "1 heure", "1 hora"},
		{30 * time.Minute, "30 minutes", "30 minuti", "30 minutes", "30 minutos"},
		{90 * time.Minute, "90 minutes", "90 minuti", "90 minutes", "90 minutos"},
		{4*time.Minute + time.Second, "5 minutes", "5 minuti", "5 minutes", "5 minutos"}, // a wait is never shortened
		{time.Minute, "1 minute", "1 minuto", "1 minute", "1 minuto"},
		{59*time.Second + 500*time.Millisecond, "1 minute", "1 minuto", "1 minute", "1 minuto"},
		{59 * time.Second, "59 seconds", "59 secondi", "59 secondes", "59 segundos"},
		{14 * 24 * time.Hour, "14 days", "14 giorni", "14 jours", "14 días"},
		{3 * 24 * time.Hour, "3 days", "3 giorni", "3 jours", "3 días"},
		{2*time.Hour + 20*time.Minute, "2 hours", "2 ore", "2 heures", "2 horas"},
		{1500 * time.Millisecond, "2 seconds", "2 secondi", "2 secondes", "2 segundos"},
		{time.Second, "1 second", "1 secondo", "1 seconde", "1 segundo"},
		{-time.Second, "0 seconds", "0 secondi", "0 seconde", "0 segundos"},
	} {
		for lang, want := range map[string]string{"en": tc.en, "it": tc.it, "fr": tc.fr, "es": tc.es} {
			if got := c.FormatDuration(lang, tc.d); got != want {
				t.Errorf("FormatDuration(%s, %v) = %q, want %q", lang, tc.d, got, want)
			}
		}
	}
}

// TestCatalog_Mail writes a letter in each language: the subject and
// every paragraph come from that language's catalogue with their
// placeholders filled, the link is in both parts, and the HTML part
// escapes what it quotes.
func TestCatalog_Mail(t *testing.T) {
	c, err := web.NewCatalog([]string{"it", "en", "fr", "es"})
	if err != nil {
		t.Fatal(err)
	}
	l := web.Letter{Subject: "mail.email_old.subject", Name: "Anna", Site: "https://it.example/",
		Parts: []web.LetterPart{web.Para("mail.email_old.body"), web.QuotePart("<b>1 < 2</b>"), web.LinkPart("https://it.example/account?a=1&b=2")},
		Data:  map[string]any{"Username": "anna", "NewEmail": "new@example.org", "Email": "old@example.org"}}
	for lang, want := range map[string][]string{
		"en": {"Hello Anna,", "(username anna) to new@example.org", "your address stays old@example.org."},
		"it": {"Ciao Anna,", "(nome utente anna) in new@example.org", "il tuo indirizzo resta old@example.org."},
		"fr": {"Bonjour Anna,", "(nom d'utilisateur anna) vers new@example.org", "votre adresse reste old@example.org."},
		"es": {"Hola, Anna:", "(nombre de usuario anna) a new@example.org", "tu dirección sigue siendo old@example.org."},
	} {
		m := c.Mail(c.MailLang(lang), "anna@example.org", l)
		if m.To != "anna@example.org" || m.Subject == "" || m.Subject == "mail.email_old.subject" {
			t.Errorf("%s: To %q, subject %q", lang, m.To, m.Subject)
		}
		for _, w := range append(want, "<b>1 < 2</b>", "https://it.example/account?a=1&b=2", "https://it.example/") {
			if !strings.Contains(m.Body, w) {
				t.Errorf("%s: the text lacks %q:\n%s", lang, w, m.Body)
			}
		}
		for _, w := range []string{`<html lang="` + lang + `" dir="ltr">`, "&lt;b&gt;1 &lt; 2&lt;/b&gt;", `<a href="https://it.example/account?a=1&amp;b=2">`, `<a href="https://it.example/">https://it.example/</a>`} {
			if !strings.Contains(m.HTML, w) {
				t.Errorf("%s: the HTML lacks %q:\n%s", lang, w, m.HTML)
			}
		}
	}
	if c.MailLang("de") != "it" || c.MailLang("") != "it" || c.MailLang("fr") != "fr" {
		t.Error("MailLang: a language the node does not offer is not its default")
	}
}

// TestCatalog_MailMessages checks that every mail.* and duration.* message
// of the English catalogue is translated in it, fr and es (not English,
// same placeholders), so that no mail falls back to English.
func TestCatalog_MailMessages(t *testing.T) {
	c, err := web.NewCatalog([]string{"en", "it", "fr", "es"})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("locales", "active.en.toml"))
	if err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile(`(?m)^\[?"((?:mail|duration|rate_limited|cert)\.[a-z_.0-9]+)"`).FindAllStringSubmatch(string(raw), -1)
	if len(ids) < 20 {
		t.Fatalf("only %d mail messages found", len(ids))
	}
	placeholders := regexp.MustCompile(`\{\{\.[A-Za-z]+\}\}`)
	data := map[string]any{"Name": "{{.Name}}", "Site": "{{.Site}}", "Duration": "{{.Duration}}", "Username": "{{.Username}}", "NewEmail": "{{.NewEmail}}",
		"Email": "{{.Email}}", "Partner": "{{.Partner}}", "School": "{{.School}}", "Country": "{{.Country}}", "Date": "{{.Date}}", "Issuer": "{{.Issuer}}",
		"URL": "{{.URL}}", "Day": "{{.Day}}", "Month": "{{.Month}}", "Year": "{{.Year}}"}
	for _, m := range ids {
		id := m[1]
		en := c.TData("en", id, data)
		if strings.HasPrefix(id, "duration.") {
			en = c.TN("en", id, 5)
		}
		for _, lang := range []string{"it", "fr", "es"} {
			tr := c.TData(lang, id, data)
			if strings.HasPrefix(id, "duration.") {
				tr = c.TN(lang, id, 5)
			}
			if tr == id || (tr == en && !slices.Contains(sameAsEnglish, id)) {
				t.Errorf("%s: %s is not translated (%q)", lang, id, tr)
			}
			if a, b := placeholders.FindAllString(en, -1), placeholders.FindAllString(tr, -1); !sameSet(a, b) {
				t.Errorf("%s: %s has placeholders %v, English %v", lang, id, b, a)
			}
		}
	}
}

// sameAsEnglish are the messages that may read the same in a language as
// in English (a proper name, a number and its unit, a date pattern).
var sameAsEnglish = []string{"cert.label", "cert.date", "duration.minutes"}

func sameSet(a, b []string) bool {
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
