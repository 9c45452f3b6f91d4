// Package web is the national node's HTTP kit: what every feature's web
// pages and JSON API are built with, so that a feature writes only its
// handlers and its templates.
//
// The kit holds:
//
//   - the mux and ServeHTTP (Kit): route metrics, panic recovery, the
//     security headers, the static files (/static/, static/) and /metrics;
//   - the request state (State): who asks (a session cookie, checked by
//     the Authenticator the account feature implements, or the agency's
//     bearer token), the session token, the page language, the anonymous
//     cookie that binds the CSRF token of a visitor's forms;
//   - sessions (SetSession, ClearSession), CSRF checks, form and body
//     limits, in the wrappers of routes: Web (any visitor), Member (a
//     logged-in account), Agency (agency staff) and API (JSON);
//   - pages: Page is what every template receives; NewPage, Render, Fail
//     and ErrorPage build and send them in the visitor's language; 403,
//     404, 405 and 500 (the mux's own answers and panics included) are
//     pages of the site, JSON under /api/;
//   - the JSON helpers: WriteJSON, APIFail (the domain error's code mapped
//     to its HTTP status), Decode and Action;
//   - the message catalogues (Catalog, locales/active.<lang>.toml: one
//     catalogue per language for every feature, any of the 36 UI
//     languages), Accept-Language matching (Pick), the page's lang and
//     dir; names of languages and countries in each language (names.go,
//     CLDR through x/text); the catalogue check (Audit, audit.go, with
//     its allowlist locales/same-as-english.txt) that the tests, `twinfed
//     i18n missing` and the public /languages page share; the layout and
//     the partials several features share (templates/_*.html), and the
//     pages of no feature (home, error, later, languages); the parsed
//     templates themselves are node/web/tmplset's (each language's set
//     parsed when first rendered, the default one at start).
//   - dates, times and numbers in the reader's language and time zone
//     (format.go: Formatter, Page.Date, Page.DateTime, Page.Time,
//     Page.Number; the zone data is embedded with time/tzdata), and the
//     vocabularies' names (Page.SubjectName, Page.RoleName, Page.LevelName);
//   - the page editor (editor.go, templates/_editor.html, static/editor.js):
//     a formatting editor over a textarea of HTML for TwinSpace pages, its
//     toolbar labelled in the reader's language; a page that shows it runs
//     the node's own scripts (Page.Scripts), one with embeds frames their
//     services (Page.Frames), every other page neither. What a page may
//     hold is node/web/pagehtml's;
//   - the members' e-mails in their language (letter.go: a feature
//     describes a Letter of catalogue messages, Catalog.Mail writes its
//     plain-text and HTML parts) and durations in words
//     (duration.go: Catalog.FormatDuration, "48 hours", "48 ore").
//
// docs/i18n.md is the design of the languages.
//
// A feature embeds its own templates and hands them to the kit with
// AddTemplates; its page names must be unique across features. It then
// registers its routes through the wrappers:
//
//	//go:embed templates/*.html
//	var templates embed.FS
//
//	func (h *Web) Routes(k *web.Kit) error {
//		if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
//			return err
//		}
//		k.HandleFunc("GET /projects/view", k.Web(h.card))
//		k.HandleFunc("POST /projects/edit", k.Member(h.edit))
//		k.HandleFunc("GET /api/v1/projects", k.API(true, h.apiMine))
//		return nil
//	}
//
// web imports the standard library, the root package and its libraries
// (prometheus, go-i18n), never node nor a feature: what it needs of the
// accounts it asks through Authenticator and Counter.
package web
