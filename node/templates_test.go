package node_test

import (
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

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

// BenchmarkTemplatesByLanguage measures what parsing the pages per
// language on first use saves and costs, on a node that offers the 36 UI
// languages: the live heap after start (only the default language
// parsed), the first render of /login in each other language (its
// language's set parsed then), the live heap once all 36 are parsed (what
// every node held before, when it parsed them all at start), and a second
// render in each language. Run it once: -benchtime=1x.
func BenchmarkTemplatesByLanguage(b *testing.B) {
	langs := twinfed.UILanguageCodes()
	for range b.N {
		n := nodetest.MustOpenNode(b, nodetest.Options{Languages: langs})
		started := liveHeap()
		h := n.Handler()
		render := func(lang string) time.Duration {
			r := httptest.NewRequest("GET", "/login", nil)
			r.Header.Set("Accept-Language", lang)
			w := httptest.NewRecorder()
			t0 := time.Now()
			h.ServeHTTP(w, r)
			d := time.Since(t0)
			if w.Code != 200 || w.Header().Get("Content-Language") != lang {
				b.Fatalf("/login in %s: %d, Content-Language %q", lang, w.Code, w.Header().Get("Content-Language"))
			}
			return d
		}
		render(langs[0])
		var first, again, worst time.Duration
		for _, lang := range langs[1:] {
			d := render(lang)
			first += d
			worst = max(worst, d)
		}
		for _, lang := range langs[1:] {
			again += render(lang)
		}
		all := liveHeap()
		others := float64(len(langs) - 1)
		b.ReportMetric(float64(started)/(1<<20), "heap-at-start-MiB")
		b.ReportMetric(float64(all)/(1<<20), "heap-all-36-MiB")
		b.ReportMetric(float64(all-started)/(1<<20)/others, "MiB/language")
		b.ReportMetric(first.Seconds()*1000/others, "first-render-ms")
		b.ReportMetric(worst.Seconds()*1000, "first-render-max-ms")
		b.ReportMetric(again.Seconds()*1000/others, "render-after-ms")
		n.Close()
	}
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
