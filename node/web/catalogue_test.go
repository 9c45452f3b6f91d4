package web

import (
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/twinfed/twinfed"
)

// The catalogue check: every catalogue under locales/ against English,
// and English against the code that uses it. It reports every problem at
// once, each with its file and message id.

// dynamicPrefixes are the message id families built at run time, with
// where their ids come from. A message prefix+id is in use when id is a
// string literal of the module's Go sources or templates (the constant
// the code compares or stores, e.g. twinfed.ProjectApproved =
// "approved"), or a number (numbered steps). TestCatalogues_DynamicPrefixes
// holds this list to the families the sources build: a new family must
// be declared here, and a family no longer built must go.
var dynamicPrefixes = map[string]string{
	"ageband.":       `twinfed.AgeBands`,
	"cert.month.":    `the month of a date on a certificate, 1 to 12 (project/certificate)`,
	"eql.":           `the European Quality Label state of a project (label, project)`,
	"audience.":      `twinfed.EventAudience (node/event)`,
	"event.month.":   `the month of the events' calendar, 1 to 12 (node/event)`,
	"evview.":        `the events' lists: today, week, month, mine (node/event)`,
	"weekday.":       `the calendar's days of the week, 1 (Monday) to 7 (node/event)`,
	"flash.":         `?done=<id> after a form (web.RedirectDone's flash argument)`,
	"tsfedit.":       `the TwinSpace forum's kinds: discussion, thread, reply (node/twinspace/discuss)`,
	"thread.":        `twinfed.ForumThreads: the partner forum's threads besides the age bands (node/forum)`,
	"inst.":          `twinfed.Institutions`,
	"level.":         `twinfed.SchoolLevels, and "(none)" in the agency's statistics`,
	"month.":         `the month of a date, 1 to 12 (web.Formatter)`,
	"nav.":           `web.Kit.Later(item): the top-menu items not built yet`,
	"notice.":        `the notification kinds (node/notice)`,
	"noticekind.":    `the notification kinds (node/notice.Kinds), on the e-mail preferences page`,
	"noticemode.":    `the e-mail modes of a notification kind (node/notice.Modes)`,
	"projects.":      `the sections of the projects page (project.web's Key)`,
	"prole.":         `a partner's role in a project (twinfed)`,
	"pstate.":        `twinfed.ProjectState`,
	"pstatus.":       `a partner's participation status (twinfed)`,
	"pstep.":         `the project wizard's numbered steps`,
	"pub.":           `twinfed.PublicFields`,
	"role.":          `twinfed.SchoolRoles and the principals' roles`,
	"school_status.": `a school proposal's status`,
	"status.":        `twinfed.MemberStatuses`,
	"steps.":         `the registration wizard's numbered steps`,
	"tkind.":         `twinfed.TrainingKinds (node/training)`,
	"tstate.":        `twinfed.ApplicationState, where an application stands (node/training)`,
	"tdecide.":       `the agency's decisions on an application: accepted, waiting, refused (node/training)`,
	"taudience.":     `twinfed.TrainingAudience (node/training)`,
	"subject.":       `twinfed.Subjects`,
	"title.step":     `the registration steps' titles, "title.step" + the step's number`,
	"tstab.":         `the TwinSpace's tabs (node/twinspace's tabs)`,
	"tsrole.":        `twinfed.SpaceRoles`,
	"tsop.":          `what happened to a TwinSpace object: created, updated, deleted (node/twinspace.LogEntry)`,
	"tskind.":        `twinfed.SpaceKind, in the TwinSpace's latest actions`,
}

// vocabularies are the families whose ids are a list of the root
// package: every id of the list has its message, and every message of the
// family is an id of the list (not merely a literal somewhere).
var vocabularies = map[string]func() []string{
	"subject.": func() []string { return twinfed.Subjects },
	"pub.":     func() []string { return twinfed.PublicFields },
	"tsrole.":  func() []string { return strs(twinfed.SpaceRoles) },
	"inst.":    func() []string { return strs(twinfed.Institutions) },
	"status.":  func() []string { return strs(twinfed.MemberStatuses) },
	"level.": func() []string {
		return append(strs(twinfed.SchoolLevels), "(none)") // "(none)": the agency's statistics
	},
	"role.": func() []string {
		return append(slices.Clone(twinfed.SchoolRoles), string(twinfed.RoleMember), string(twinfed.RoleAgencyOfficer), string(twinfed.RoleAgencyAdmin))
	},
}

func strs[S ~string](list []S) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}

// moduleRoot is the module's directory, from node/web.
const moduleRoot = "../.."

// sourceLiterals returns every string literal of the module's non-test Go
// files and every quoted string of its templates, and the id families
// the sources build: `print "x."` in templates, "x." + … in Go (a Go
// literal such as "agency." + code, a username, is a family only when
// English has messages under it).
func sourceLiterals(t *testing.T) (lits map[string]bool, prefixes map[string]bool) {
	lits, prefixes, _ = scanSources(t)
	return lits, prefixes
}

// scanSources is sourceLiterals, and the message ids the templates
// translate by name ({{.T "id"}}, {{$.TN "id" n}}), with the file of each.
func scanSources(t *testing.T) (lits, prefixes map[string]bool, translated map[string]string) {
	t.Helper()
	lits, prefixes, translated = map[string]bool{}, map[string]bool{}, map[string]string{}
	tmplT := regexp.MustCompile(`\.TN?\s+"([^"]+)"`)
	tmplString := regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)
	tmplPrefix := regexp.MustCompile(`print "([a-z_]+\.)"`)
	goPrefix := regexp.MustCompile(`"([a-z_]+\.(?:[a-z_]+\.?)*)"\s*\+`)
	flash := regexp.MustCompile(`done=([a-z_]+)`)
	action := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	err := filepath.WalkDir(moduleRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != moduleRoot && (strings.HasPrefix(name, ".") || name == "testdata" || name == "locales" || name == "demo-data") {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go"):
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			var s scanner.Scanner
			fset := token.NewFileSet()
			s.Init(fset.AddFile(path, -1, len(src)), src, nil, 0)
			for {
				_, tok, lit := s.Scan()
				if tok == token.EOF {
					break
				}
				if tok != token.STRING {
					continue
				}
				v, err := strconv.Unquote(lit)
				if err != nil {
					continue
				}
				lits[v] = true
				for _, m := range flash.FindAllStringSubmatch(v, -1) {
					lits[m[1]] = true // "/?done=deleted": flash.deleted
				}
			}
			for _, m := range goPrefix.FindAllStringSubmatch(string(src), -1) {
				prefixes[m[1]] = true
			}
		case strings.HasSuffix(path, ".html"):
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, a := range action.FindAllString(string(src), -1) {
				for _, m := range tmplString.FindAllStringSubmatch(a, -1) {
					if v, err := strconv.Unquote(`"` + m[1] + `"`); err == nil {
						lits[v] = true
					}
				}
				for _, m := range tmplPrefix.FindAllStringSubmatch(a, -1) {
					prefixes[m[1]] = true
				}
				for _, m := range tmplT.FindAllStringSubmatch(a, -1) {
					translated[m[1]] = path
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read the module's sources: %v", err)
	}
	return lits, prefixes, translated
}

// used reports whether message id is used by the sources.
func used(id string, lits map[string]bool) bool {
	for prefix, list := range vocabularies {
		if rest, ok := strings.CutPrefix(id, prefix); ok {
			return slices.Contains(list(), rest)
		}
	}
	if lits[id] {
		return true
	}
	for prefix := range dynamicPrefixes {
		if rest, ok := strings.CutPrefix(id, prefix); ok {
			if _, err := strconv.Atoi(rest); err == nil || lits[rest] {
				return true
			}
		}
	}
	return false
}

// TestCatalogues is the catalogue check of `make test`: for every
// catalogue under locales/, no message of English missing, none that
// English no longer has, placeholders as English's, every plural form
// that the language's CLDR rules pick for the counts of
// PluralSampleCounts (rendered through go-i18n as the pages render them),
// no text left identical to English unless locales/same-as-english.txt
// allows it; and for English, no message the code does not use. Every
// problem is reported at once.
func TestCatalogues(t *testing.T) {
	c, err := NewCatalog([]string{"en"})
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, st := range c.Audit() {
		if !st.Exists {
			continue
		}
		for _, p := range st.Problems {
			problems = append(problems, p.String())
		}
		if st.Lang != "en" {
			t.Logf("%s: %d of %d messages translated (%d%%)", st.Lang, st.Translated, st.Messages, st.Percent())
		}
	}

	lits, _, translated := scanSources(t)
	var ids []string
	for _, m := range c.files["en"].Messages {
		ids = append(ids, m.ID)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if !used(id, lits) {
			problems = append(problems, "active.en.toml: unused "+strconv.Quote(id)+
				": no Go source or template names it (a family built at run time is declared in dynamicPrefixes)")
		}
	}

	for prefix, list := range vocabularies {
		for _, v := range list() {
			if !slices.Contains(ids, prefix+v) {
				problems = append(problems, "active.en.toml: missing "+strconv.Quote(prefix+v)+": the root package's vocabulary has "+strconv.Quote(v))
			}
		}
	}
	for id, file := range translated {
		if !slices.Contains(ids, id) {
			problems = append(problems, strings.TrimPrefix(file, moduleRoot+"/")+": translates "+strconv.Quote(id)+", which active.en.toml lacks (the page would show the id)")
		}
	}

	// The allowlist names real messages that are identical to English.
	en := map[string]string{}
	for _, m := range c.files["en"].Messages {
		en[m.ID] = m.Other
	}
	for lang, allowed := range c.allow {
		for id := range allowed {
			if _, ok := en[id]; !ok {
				problems = append(problems, "same-as-english.txt: "+lang+" "+strconv.Quote(id)+": no such message in English")
				continue
			}
			if lang == "*" {
				continue
			}
			if mf := c.files[lang]; mf != nil {
				for _, m := range mf.Messages {
					if m.ID == id && m.Other != en[id] {
						problems = append(problems, "same-as-english.txt: "+lang+" "+strconv.Quote(id)+": the translation differs from English; remove the line")
					}
				}
			}
		}
	}
	if len(problems) > 0 {
		t.Errorf("%d catalogue problem(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
}

// TestCatalogues_DynamicPrefixes: the families of message ids that the
// sources build at run time are exactly those dynamicPrefixes declares.
func TestCatalogues_DynamicPrefixes(t *testing.T) {
	for p := range vocabularies {
		if _, ok := dynamicPrefixes[p]; !ok {
			t.Errorf("vocabularies has %q, which dynamicPrefixes does not declare", p)
		}
	}
	_, found := sourceLiterals(t)
	c, err := NewCatalog([]string{"en"})
	if err != nil {
		t.Fatal(err)
	}
	for p := range found {
		if !slices.ContainsFunc(c.files["en"].Messages, func(m *i18n.Message) bool { return strings.HasPrefix(m.ID, p) }) {
			delete(found, p)
			continue
		}
		if _, ok := dynamicPrefixes[p]; !ok {
			t.Errorf("the sources build message ids %q+…, which dynamicPrefixes does not declare: declare it with where its ids come from", p)
		}
	}
	for p := range dynamicPrefixes {
		if !found[p] {
			t.Errorf("dynamicPrefixes declares %q, which no source builds any more: remove it", p)
		}
	}
}

// TestAudit_FindsEachProblem runs the audit on catalogues made to hold
// one problem of each kind.
func TestAudit_FindsEachProblem(t *testing.T) {
	fsys := fstest.MapFS{
		"same-as-english.txt": {Data: []byte("# a comment\n* title.twinspace the programme's name\n")},
		"active.en.toml": {Data: []byte(`"a" = "Hello {{.Name}}"
"b" = "Projects"
"c" = "Gone soon"
"d" = "Welcome"
"title.twinspace" = "TwinSpace"
"e" = "Empty"
["n"]
one = "{{.Count}} school"
other = "{{.Count}} schools"
`)},
		// Irish: one, two, few (3-6), many (7-10), other.
		"active.ga.toml": {Data: []byte(`"a" = "Dia duit"
"b" = "Projects"
"d" = "Fáilte {{.Extra}}"
"title.twinspace" = "TwinSpace"
"e" = " "
"old" = "Sean"
["n"]
one = "{{.Count}} scoil"
two = "{{.Count}} scoil"
other = "{{.Count}} scoil"
`)},
		"active.it.toml": {Data: []byte(`"a" = "Ciao {{.Name}}"
"b" = "Progetti"
"c" = "Presto via"
"d" = "Benvenuto"
"title.twinspace" = "TwinSpace"
"e" = "Vuoto"
["n"]
one = "{{.Count}} scuola"
many = "{{.Count}} di scuole"
other = "{{.Count}} scuole"
`)},
	}
	c, err := LoadCatalog(fsys, []string{"en", "ga", "it"})
	if err != nil {
		t.Fatal(err)
	}
	var ga, it CatalogueStatus
	for _, st := range c.Audit() {
		switch st.Lang {
		case "ga":
			ga = st
		case "it":
			it = st
		case "de":
			if st.Exists {
				t.Error("de has no catalogue here")
			}
		}
	}
	if len(it.Problems) != 0 || it.Percent() != 100 {
		t.Errorf("it: %d%%, problems %v", it.Percent(), it.Problems)
	}
	var got []string
	for _, p := range ga.Problems {
		got = append(got, p.Kind+" "+p.ID+" "+p.Detail)
	}
	want := []string{
		"placeholders a [], English has [{{.Name}}]",
		"untranslated b \"Projects\"",
		"missing c ",
		"placeholders d [{{.Extra}}], English has []",
		"empty e ",
		`plural n message "n" has no plural form "few" (first needed for 3)`,
		`plural n message "n" has no plural form "many" (first needed for 7)`,
		"stale old not in active.en.toml any more: remove it, or rename it as English did",
	}
	if !slices.Equal(got, want) {
		t.Errorf("ga's problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if ga.Translated != 1 || ga.Messages != 7 { // title.twinspace, on the allowlist
		t.Errorf("ga: %d of %d translated", ga.Translated, ga.Messages)
	}
	if s := ga.Problems[0].String(); s != `active.ga.toml: placeholders "a": [], English has [{{.Name}}]` {
		t.Errorf("a problem reads %q", s)
	}
}

// TestCatalogues_EveryUILanguage holds the promise of issue 20: every one
// of the 36 UI languages ships a catalogue (which TestCatalogues then
// holds to being complete), and no catalogue is of a language the
// configuration would refuse.
func TestCatalogues_EveryUILanguage(t *testing.T) {
	files, err := fs.Glob(os.DirFS("locales"), "active.*.toml")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range files {
		code := strings.TrimSuffix(strings.TrimPrefix(f, "active."), ".toml")
		have[code] = true
		if !twinfed.IsUILanguage(code) {
			t.Errorf("locales/%s is the catalogue of %q, which is not one of the UI languages (language.go)", f, code)
		}
	}
	for _, code := range twinfed.UILanguageCodes() {
		if !have[code] {
			t.Errorf("no catalogue for %q: write locales/active.%s.toml (twinfed i18n missing --lang %s lists what it needs)", code, code, code)
		}
	}
	if len(twinfed.UILanguageCodes()) != 36 {
		t.Errorf("%d UI languages, want the 36 of the participating countries", len(twinfed.UILanguageCodes()))
	}
}

// TestPlaceholders_FmtVerbs: a formatted message's translation keeps its
// fmt verbs, in order (Catalog.ErrorText formats it with the same
// arguments), as it keeps its {{.X}}.
func TestPlaceholders_FmtVerbs(t *testing.T) {
	en := "There is no member %q on this node; step %d."
	for tr, same := range map[string]bool{
		"Su questo nodo non c'è nessun iscritto %q; passo %d.": true,
		"Passo %d: nessun iscritto %q.":                        false, // the order changed
		"Su questo nodo non c'è nessun iscritto.":              false, // verbs lost
		"Nessun iscritto %q %q; passo %d.":                     false, // one added
	} {
		if got := placeholders(tr) == placeholders(en); got != same {
			t.Errorf("%q against %q: same placeholders %v, want %v", tr, en, got, same)
		}
	}
}
