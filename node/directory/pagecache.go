package directory

import (
	"bytes"
	"container/list"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed/node/web"
)

// The profile page cache keeps public profile pages (/users/{username}) as
// rendered for visitors without a session, so that a repeated page costs a
// map lookup, an atomic load and a write instead of a Badger transaction,
// decoding the record and executing the templates.
//
// What such a page depends on, and how the cache follows it:
//   - the directory record dp/<actor> it was rendered from: each entry keeps
//     the record's stamp (stamps), taken before the record was read, and
//     a hit checks it is still the current one. Every committed write or
//     removal of the record changes the stamp before the write is
//     acknowledged: Put and Remove, the only writers of dp/ records in a
//     transaction (the account's SaveMember, a deletion, the directory's
//     own writes), bump it after the commit, and a bulk import bumps them
//     all (Imported).
//     So a changed, hidden or deleted profile is rendered again at once. A
//     page rendered from the member's record instead (a member the
//     directory does not hold) is not cached.
//   - the language (the key holds it) and the path (the key, and the
//     footer's "next" field): requests with a query string are not cached,
//     so the flash message (?done=) and anything else read from the query
//     take the rendering path;
//   - the visitor: a visitor's profile page has no POST form (the
//     footer's language form is a GET for them, see the account's
//     setLanguage), so it carries no CSRF token and sets no cookie, and
//     it is the same bytes
//     for every visitor. A page whose template did ask for a token (see
//     web.Page.CSRF) is not cached;
//   - the node's configuration (country, agency name, languages), which is
//     fixed while the process runs.
//
// Members and agency staff with a session, and the API token, always get
// the rendered page: theirs shows the menu's counts and relation buttons.

// DefaultPageCacheBytes is the memory the profile page cache may hold
// when WebConfig.PageCacheBytes is zero: about 12,000 profile pages
// of 2.5 to 3 KiB.
const DefaultPageCacheBytes = 32 << 20

// pageCache is a least-recently-used cache of rendered pages bounded by
// the bytes it holds. It is safe for concurrent use.
type pageCache struct {
	max int64

	mu   sync.Mutex
	size int64
	lru  list.List // of *cachedPage, most recently used first
	byK  map[string]*list.Element

	lookups *prometheus.CounterVec // result: hit, miss
	hit     prometheus.Counter
	miss    prometheus.Counter
}

// cachedPage is one rendered page.
type cachedPage struct {
	key    string
	record string // the directory record's key
	stamp  uint64 // its stamp (stamps) before it was read for the page
	body   []byte
	size   int64 // what the entry costs in memory, roughly
}

func newPageCache(maxBytes int64) *pageCache {
	c := &pageCache{max: maxBytes, byK: map[string]*list.Element{},
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twinfed_node_page_cache_lookups_total",
			Help: "Public profile pages asked by visitors without a session, by result: hit (served from the cache) or miss (rendered).",
		}, []string{"result"})}
	c.hit, c.miss = c.lookups.WithLabelValues("hit"), c.lookups.WithLabelValues("miss")
	return c
}

// collectors are the cache's metrics.
func (c *pageCache) collectors() []prometheus.Collector {
	return []prometheus.Collector{c.lookups, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "twinfed_node_page_cache_bytes",
		Help: "Bytes of rendered profile pages the cache holds (at most ServerConfig.PageCacheBytes).",
	}, func() float64 {
		c.mu.Lock()
		defer c.mu.Unlock()
		return float64(c.size)
	})}
}

func (c *pageCache) get(key string) *cachedPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byK[key]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(el)
	return el.Value.(*cachedPage)
}

// put adds or replaces e and evicts the least recently used pages beyond
// the bound. A page larger than a sixteenth of the bound is not kept.
func (c *pageCache) put(e *cachedPage) {
	if e.size > c.max/16 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byK[e.key]; ok {
		c.removeLocked(el)
	}
	c.byK[e.key] = c.lru.PushFront(e)
	c.size += e.size
	for c.size > c.max {
		c.removeLocked(c.lru.Back())
	}
}

// remove drops e if it is still the entry of its key.
func (c *pageCache) remove(e *cachedPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byK[e.key]; ok && el.Value.(*cachedPage) == e {
		c.removeLocked(el)
	}
}

func (c *pageCache) removeLocked(el *list.Element) {
	e := c.lru.Remove(el).(*cachedPage)
	delete(c.byK, e.key)
	c.size -= e.size
}

// len is the number of pages held.
func (c *pageCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byK)
}

// newCachedPage keeps a copy of body.
func newCachedPage(key, record string, stamp uint64, body []byte) *cachedPage {
	return &cachedPage{key: key, record: record, stamp: stamp, body: bytes.Clone(body), size: int64(len(body) + len(key) + len(record) + 160)}
}

// cachedUserPage serves the public profile page of username to a visitor
// without a session and with no query string, from the cache when the
// page there is still current.
func (h *Web) cachedUserPage(w http.ResponseWriter, r *http.Request, st *web.RequestState, username string) {
	key := st.Lang + "\x00" + r.URL.Path
	if e := h.pc.get(key); e != nil {
		if e.stamp == h.svc.ProfileStamp(e.record) {
			h.pc.hit.Inc()
			web.SendPage(w, http.StatusOK, st.Lang, e.body)
			return
		}
		h.pc.remove(e)
	}
	h.pc.miss.Inc()
	prof, record, stamp, err := h.svc.StampedProfile(r.Context(), username)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.userPageOf(w, r, prof)
	buf, ok := h.kit.Execute(w, "user", p)
	if !ok {
		return
	}
	defer web.Release(buf)
	if record != "" && !p.AskedCSRF() {
		h.pc.put(newCachedPage(key, record, stamp, buf.Bytes()))
	}
	web.SendPage(w, http.StatusOK, p.Lang, buf.Bytes())
}

// pageCacheable reports whether a profile page may come from the cache
// for the request: a visitor without a session, no query string.
func (h *Web) pageCacheable(r *http.Request, st *web.RequestState) bool {
	return h.pc != nil && st.Principal == nil && st.Scoped == nil && r.URL.RawQuery == ""
}
