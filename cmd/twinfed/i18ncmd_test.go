package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
)

// runApp runs twinfed with args in process and returns its output and error.
func runI18nApp(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := newApp(&out, &errOut).Run(append([]string{"twinfed"}, args...))
	return out.String() + errOut.String(), err
}

// TestI18nMissing: the built-in catalogues have no problem; a working
// copy with a message added to English and one renamed lists them.
func TestI18nMissing(t *testing.T) {
	out, err := runI18nApp(t, "i18n", "missing")
	if err != nil {
		t.Fatalf("i18n missing on the built-in catalogues: %v\n%s", err, out)
	}
	if !strings.Contains(out, "it: 100%") || !strings.Contains(out, "problem(s)") {
		t.Errorf("output:\n%s", out)
	}

	dir := t.TempDir()
	src := filepath.Join("..", "..", "node", "web", "locales")
	for _, f := range []string{"active.en.toml", "active.it.toml", "same-as-english.txt"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if f == "active.en.toml" {
			s = strings.Replace(s, `"nav.skip" = "Skip to main content"`, `"nav.skip" = "Skip to main content"`+"\n"+`"nav.brand_new" = "A new message"`, 1)
			s = strings.Replace(s, `"nav.main" =`, `"nav.main_menu" =`, 1)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err = runI18nApp(t, "i18n", "missing", "--dir", dir, "--lang", "it")
	if err == nil {
		t.Fatalf("no error with problems:\n%s", out)
	}
	for _, want := range []string{`missing "nav.brand_new": English "A new message"`, `missing "nav.main_menu"`, `stale "nav.main"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	// One language only: Georgian (every message to translate while it
	// has no catalogue).
	out, _ = runI18nApp(t, "i18n", "missing", "--lang", "ka")
	if !strings.HasPrefix(out, "ka: ") || strings.Contains(out, "\nit: ") || strings.Contains(out, "no catalogue yet") && !strings.Contains(out, `missing "nav.skip": English "Skip to main content"`) {
		t.Errorf("ka:\n%.500s", out)
	}
	if out, err := runI18nApp(t, "i18n", "missing", "--lang", "xx"); err == nil || !strings.Contains(err.Error(), `"xx" is not a UI language`) {
		t.Errorf("--lang xx: %v\n%s", err, out)
	}
}

// TestConfigCheck_Languages: `twinfed config check node` accepts each of
// the 36 languages and refuses an unknown code with the list of known ones.
func TestConfigCheck_Languages(t *testing.T) {
	dir := t.TempDir()
	write := func(langs string) string {
		path := filepath.Join(dir, "node.toml")
		if err := os.WriteFile(path, []byte("country = \"DE\"\nlanguages = "+langs+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	all := `["` + strings.Join(twinfed.UILanguageCodes(), `", "`) + `"]`
	if out, err := runI18nApp(t, "config", "check", "node", write(all)); err != nil || !strings.Contains(out, "ok:") {
		t.Fatalf("the 36 languages: %v\n%s", err, out)
	}
	out, err := runI18nApp(t, "config", "check", "node", write(`["de", "tlh"]`))
	if err == nil {
		t.Fatalf("an unknown language is accepted:\n%s", out)
	}
	for _, want := range []string{`languages[1]: "tlh" is unknown; use one of`, "bg cs da de el en es", "tr hy az ka uk ar"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no %q in %v", want, err)
		}
	}
}
