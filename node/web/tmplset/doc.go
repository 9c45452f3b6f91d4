// Package tmplset is the web kit's set of page templates: every feature's
// pages with the shared partials, one parsed set per UI language, the
// translations of fixed message ids written into each language's source
// before parsing (so that a page renders them as static text).
//
// A language's set is parsed when it is first needed: the node's default
// language (the first) when the set is built and whenever a feature adds
// its templates, so that a template error stops the node at start; any
// other language the first time a page is asked for in it (Page), once,
// even when many requests ask at the same moment. After that a page is
// found without a lock (an atomic pointer per language). A node that
// offers 36 languages but is read in three holds three sets, not 36.
//
// A language's set is one html/template namespace: every partial and
// every page parsed once (a clone per page, as before, copied every
// partial for each page: 13 MiB a language, now 1.8). Template names are
// therefore unique across features: Add refuses a {{define}} another
// file already defines differently.
//
// ParseAll parses every language at once: the tests do it (a template
// error in any language fails them) and an operator can ask for it at
// start (the node's parse_all_languages setting).
//
// tmplset imports only the standard library; the kit gives it the
// translation function and the template functions.
package tmplset
