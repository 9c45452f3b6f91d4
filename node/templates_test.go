package node_test

import (
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/nodetest"
)

// TestTemplates_EveryLanguage parses every feature's pages in each of
// the 36 UI languages (ParseAllLanguages, what parse_all_languages does
// at start): a node parses a language only when a page is first
// rendered in it, so a translation that breaks a template in one
// language would otherwise be found by its first reader.
func TestTemplates_EveryLanguage(t *testing.T) {
	langs := twinfed.UILanguageCodes()
	if len(langs) != 36 {
		t.Fatalf("%d UI languages, want 36", len(langs))
	}
	nodetest.MustOpenNode(t, nodetest.Options{Languages: langs, Tune: func(o *node.Options) { o.Server.ParseAllLanguages = true }})
}
