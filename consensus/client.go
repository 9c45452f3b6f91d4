package consensus

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// ClientConfig configures a registry client.
type ClientConfig struct {
	Members    []string        // registry member base URLs
	Country    string          // the node's country, "" for a CSS tool
	Signer     *signing.Signer // signs node writes; nil for a CSS tool
	KeyID      string          // keyId to sign node writes with, e.g. twinfed.KeyID(twinfed.AgencyURL(base))
	CacheDir   string          // Badger dir for the local cache; "" = no cache
	AdminToken string          // optional: CSS operators' token, for admin writes
	Logger     *slog.Logger
	Metrics    *prometheus.Registry // may be nil
	HTTPClient *http.Client         // http.DefaultClient's settings when nil
	// TLS configures https:// members for the default HTTP client (when
	// HTTPClient is nil): the CAs to trust, and the client certificate to
	// show (see ClientTLS).
	TLS *tls.Config
	// FeedWait is how long one change-feed long poll waits (25s when 0).
	FeedWait time.Duration
	// WriteRetry is how long a write is sent again while the registry
	// answers EUNAVAILABLE (an election, a member down): 15s when 0,
	// negative for never. Every write carries a request id
	// (Idempotency-Key), so a write sent twice is applied once.
	WriteRetry time.Duration
	// NoBatch sends each of a node's writes in a request of its own
	// instead of gathering concurrent ones into batches (see
	// client_batch.go).
	NoBatch bool
}

// Client talks to the registry for a national node or a CSS tool. It tries
// the members in turn, sends writes and consistent reads to the leader it
// last heard of, and, with a CacheDir, keeps a local copy of the registry
// fed by the change feed: reads are then answered from the copy, which
// keeps working while the whole registry is unreachable.
type Client struct {
	cfg     ClientConfig
	logger  *slog.Logger
	http    *http.Client
	members []string

	mu     sync.Mutex
	next   int    // member to try first
	leader string // leader URL last heard of

	cache   *badger.DB
	index   atomic.Uint64 // cache index
	synced  atomic.Bool   // the cache has caught up once
	cmu     sync.Mutex
	changed chan struct{}
	// A reload of the whole state (since=0) in progress, used by the feed
	// goroutine only: the key to continue after, the index and lineage of
	// its first page.
	dumpAfter   string
	dumpIndex   uint64
	dumpLineage string

	batch     clientBatcher
	countries countryCache // the country records read from the cache, decoded

	cacheIndexG prometheus.Gauge
	feedErrors  prometheus.Counter

	done      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

var (
	_ twinfed.Registry  = (*Client)(nil)
	_ signing.KeySource = (*Client)(nil)
)

// OpenClient opens the cache (when configured) and starts following the
// change feed. It does not wait for the registry: a node with a cache from
// an earlier run starts even while the registry is down.
func OpenClient(ctx context.Context, cfg ClientConfig) (*Client, error) {
	if len(cfg.Members) == 0 {
		return nil, errors.New("consensus: client needs at least one registry member URL")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.FeedWait == 0 {
		cfg.FeedWait = 25 * time.Second
	}
	if cfg.WriteRetry == 0 {
		cfg.WriteRetry = 15 * time.Second
	}
	c := &Client{cfg: cfg, logger: cfg.Logger, http: cfg.HTTPClient, changed: make(chan struct{}), done: make(chan struct{})}
	if c.http == nil {
		c.http = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second,
			DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext, TLSClientConfig: cfg.TLS}}
	}
	for _, m := range cfg.Members {
		c.members = append(c.members, strings.TrimRight(m, "/"))
	}
	c.cacheIndexG = prometheus.NewGauge(prometheus.GaugeOpts{Name: "twinfed_registry_client_cache_index", Help: "Registry index the local cache has reached."})
	c.feedErrors = prometheus.NewCounter(prometheus.CounterOpts{Name: "twinfed_registry_client_feed_errors_total", Help: "Failed change-feed polls."})
	if cfg.Metrics != nil {
		if err := cfg.Metrics.Register(c.cacheIndexG); err != nil {
			return nil, fmt.Errorf("consensus: client metrics: %w", err)
		}
		if err := cfg.Metrics.Register(c.feedErrors); err != nil {
			return nil, fmt.Errorf("consensus: client metrics: %w", err)
		}
	}
	if cfg.CacheDir != "" {
		opts := badger.DefaultOptions(cfg.CacheDir).WithLogger(badgerLogger{c.logger}).WithNumVersionsToKeep(1).
			WithMemTableSize(16 << 20).WithBlockCacheSize(16 << 20).WithCompactL0OnClose(false)
		db, err := badger.Open(opts)
		if err != nil {
			return nil, fmt.Errorf("consensus: open registry cache %s: %w", cfg.CacheDir, err)
		}
		c.cache = db
		var idx uint64
		_ = db.View(func(txn *badger.Txn) error { idx, _ = getUint(txn, kCacheIdx); return nil })
		c.index.Store(idx)
		c.synced.Store(idx > 0)
		c.wg.Add(1)
		go func() { defer c.wg.Done(); c.follow() }()
	}
	return c, nil
}

// Close stops following the feed and closes the cache.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.done)
		c.wg.Wait()
		if c.cache != nil {
			err = c.cache.Close()
		}
		if c.cfg.Metrics != nil {
			c.cfg.Metrics.Unregister(c.cacheIndexG)
			c.cfg.Metrics.Unregister(c.feedErrors)
		}
	})
	return err
}

// Index returns the registry index the cache has reached (0 without a cache).
func (c *Client) Index() uint64 { return c.index.Load() }

// WaitIndex waits until the cache has reached index (at once without a
// cache). Writes return their index, so a caller can read its own writes.
func (c *Client) WaitIndex(ctx context.Context, index uint64) error {
	if c.cache == nil {
		return nil
	}
	for {
		c.cmu.Lock()
		ch := c.changed
		c.cmu.Unlock()
		if c.index.Load() >= index {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return twinfed.Errorf(twinfed.EUNAVAILABLE, "the registry cache has not reached index %d yet (at %d)", index, c.index.Load())
		case <-c.done:
			return twinfed.Errorf(twinfed.EUNAVAILABLE, "the registry client is closed")
		}
	}
}

func (c *Client) follow() {
	backoff := 100 * time.Millisecond
	for {
		select {
		case <-c.done:
			return
		default:
		}
		err := c.pollOnce()
		if err == nil {
			backoff = 100 * time.Millisecond
			continue
		}
		c.feedErrors.Inc()
		c.logger.Debug("registry: change feed poll failed", "err", err)
		c.rotate()
		select {
		case <-c.done:
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

func (c *Client) pollOnce() error {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.FeedWait+10*time.Second)
	defer cancel()
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	since := c.index.Load()
	base := c.member(0)
	u := fmt.Sprintf("%s/v1/changes?since=%d&wait=%s", base, since, c.cfg.FeedWait)
	if since == 0 && c.dumpAfter != "" {
		u += "&after=" + url.QueryEscape(c.dumpAfter)
	}
	if since > 0 {
		var lineage string
		_ = c.cache.View(func(txn *badger.Txn) error { lineage, _ = getString(txn, kLineage); return nil })
		u += "&lineage=" + url.QueryEscape(lineage)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusGone && since > 0 {
		// The feed no longer keeps the changes after our index.
		io.Copy(io.Discard, resp.Body)
		c.logger.Info("registry: the cache is older than the change feed keeps; reloading it", "index", since, "floor", resp.Header.Get(headerFeedFloor))
		return c.reload()
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("change feed: %s", resp.Status)
	}
	var cs ChangeSet
	if err := json.NewDecoder(resp.Body).Decode(&cs); err != nil {
		return fmt.Errorf("change feed: %w", err)
	}
	if since == 0 {
		return c.applyPage(&cs)
	}
	if cs.Index < since {
		return nil
	}
	return c.applyChanges(&cs)
}

// reload drops the cache; the feed then loads the whole state again.
func (c *Client) reload() error {
	c.synced.Store(false) // read over HTTP until the copy is whole again
	c.index.Store(0)
	c.dumpAfter = ""
	if err := c.cache.DropAll(); err != nil {
		return fmt.Errorf("registry cache: %w", err)
	}
	return nil
}

// applyPage stores a page of the whole state (since=0). The cache reaches
// the first page's index once the last page is stored.
func (c *Client) applyPage(cs *ChangeSet) error {
	if c.dumpAfter == "" {
		// A new load: drop what an interrupted one left.
		if err := c.reload(); err != nil {
			return err
		}
		c.dumpIndex, c.dumpLineage = cs.Index, cs.Lineage
	} else if cs.Lineage != c.dumpLineage {
		c.dumpAfter = "" // restored meanwhile: start again
		return nil
	} else {
		// Pages may come from members at different indexes: the copy is
		// as of the oldest page.
		c.dumpIndex = min(c.dumpIndex, cs.Index)
	}
	if cs.Next != "" {
		if err := c.store(cs.Changes, "", 0); err != nil {
			return err
		}
		c.dumpAfter = cs.Next
		return nil
	}
	c.dumpAfter = ""
	return c.store(cs.Changes, c.dumpLineage, c.dumpIndex)
}

func (c *Client) applyChanges(cs *ChangeSet) error {
	var lineage string
	_ = c.cache.View(func(txn *badger.Txn) error { lineage, _ = getString(txn, kLineage); return nil })
	if c.index.Load() > 0 && cs.Lineage != lineage {
		// The registry was restored from a backup: its history is not the
		// one this copy followed. Start again from nothing.
		c.logger.Info("registry: the registry was restored; reloading the cache", "lineage", cs.Lineage)
		return c.reload()
	}
	return c.store(cs.Changes, cs.Lineage, cs.Index)
}

// store writes changes into the cache and, when index > 0, records that
// the cache has reached index in lineage.
func (c *Client) store(changes []Change, lineage string, index uint64) error {
	wb := c.cache.NewWriteBatch()
	defer wb.Cancel()
	natnums, err := c.natnumChanges(changes)
	if err != nil {
		return fmt.Errorf("registry cache: %w", err)
	}
	for k, id := range natnums {
		if id == "" {
			err = wb.Delete([]byte(k))
		} else {
			err = wb.Set([]byte(k), []byte(id))
		}
		if err != nil {
			return err
		}
	}
	for _, ch := range changes {
		if !mirrored([]byte(ch.Key)) || strings.HasPrefix(ch.Key, pNatNum) {
			continue
		}
		var err error
		if ch.Deleted {
			err = wb.Delete([]byte(ch.Key))
		} else {
			v := ch.Value
			if v == nil {
				v = []byte{}
			}
			err = wb.Set([]byte(ch.Key), v)
		}
		if err != nil {
			return err
		}
	}
	if index == 0 {
		if err := wb.Flush(); err != nil {
			return fmt.Errorf("registry cache: %w", err)
		}
		return nil
	}
	if err := wb.Set([]byte(kLineage), []byte(lineage)); err != nil {
		return err
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], index)
	if err := wb.Set([]byte(kCacheIdx), b[:]); err != nil {
		return err
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("registry cache: %w", err)
	}
	c.index.Store(index)
	c.synced.Store(true)
	c.cacheIndexG.Set(float64(index))
	c.cmu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.cmu.Unlock()
	return nil
}

// natnumChanges is what changes do to the cache's index of national
// numbers (sn/<country>/<number> → school id), which the cache keeps
// itself: the registry keeps its index in memory (FSM.natnums), and an
// older registry's sn/ keys in the feed are left out. The result maps
// each index key to the id it now names, "" for a key to delete.
func (c *Client) natnumChanges(changes []Change) (map[string]string, error) {
	out := map[string]string{}
	set := func(k, id string) {
		if id != "" || out[k] == "" { // a new number wins over a dropped one
			out[k] = id
		}
	}
	err := c.cache.View(func(txn *badger.Txn) error {
		for _, ch := range changes {
			if !strings.HasPrefix(ch.Key, pSchool) {
				continue
			}
			var old twinfed.School
			switch err := getJSON(txn, ch.Key, &old); {
			case err == nil && old.NationalNumber != "":
				set(pNatNum+natKey(old.Country, old.NationalNumber), "")
			case err != nil && !errors.Is(err, badger.ErrKeyNotFound):
				return err
			}
			if ch.Deleted {
				continue
			}
			var s twinfed.School
			if err := json.Unmarshal(ch.Value, &s); err != nil {
				return fmt.Errorf("school %s in the feed: %w", ch.Key, err)
			}
			if s.NationalNumber != "" {
				set(pNatNum+natKey(s.Country, s.NationalNumber), s.ID)
			}
		}
		return nil
	})
	return out, err
}

func (c *Client) member(offset int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.members[(c.next+offset)%len(c.members)]
}

func (c *Client) rotate() {
	c.mu.Lock()
	c.next = (c.next + 1) % len(c.members)
	c.mu.Unlock()
}

// request sends one API call, trying the members in turn (the leader first
// when preferLeader). A write (id is its request id) is tried on another
// member only when it certainly did not reach one (connection refused);
// write retries the rest.
func (c *Client) request(ctx context.Context, method, path string, body []byte, contentType string, id string, preferLeader bool, out any) (uint64, error) {
	return c.requestWith(ctx, method, path, body, contentType, id, preferLeader, nil, out)
}

// requestWith is request with extra headers.
func (c *Client) requestWith(ctx context.Context, method, path string, body []byte, contentType string, id string, preferLeader bool, header http.Header, out any) (uint64, error) {
	write := id != ""
	targets := make([]string, 0, len(c.members)+1)
	c.mu.Lock()
	if preferLeader && c.leader != "" {
		targets = append(targets, c.leader)
	}
	for i := range c.members {
		targets = append(targets, c.members[(c.next+i)%len(c.members)])
	}
	c.mu.Unlock()
	var lastErr error
	for i, base := range targets {
		req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		for k, vs := range header {
			req.Header[k] = vs
		}
		if body != nil {
			req.Header.Set("Content-Type", contentType)
		} else {
			req.Body = nil
		}
		if write {
			req.Header.Set(HeaderIdempotencyKey, id)
			if err := c.authorize(req, body); err != nil {
				return 0, err
			}
		}
		resp, err := c.http.Do(req)
		if err != nil {
			lastErr = err
			var op *net.OpError
			if write && !(errors.As(err, &op) && op.Op == "dial") {
				return 0, twinfed.Errorf(twinfed.EUNAVAILABLE, "the registry did not answer: the write may or may not have been applied")
			}
			if ctx.Err() != nil {
				break
			}
			if i == 0 || base != c.leader {
				c.rotate()
			}
			continue
		}
		idx, retry, err := c.decode(resp, out)
		if l := resp.Header.Get(headerLeader); l != "" {
			c.mu.Lock()
			c.leader = l
			c.mu.Unlock()
		}
		if retry && !write {
			lastErr = err
			c.rotate()
			continue
		}
		return idx, err
	}
	return 0, twinfed.Errorf(twinfed.EUNAVAILABLE, "no registry member answered (%v)", lastErr)
}

func (c *Client) decode(resp *http.Response, out any) (uint64, bool, error) {
	defer resp.Body.Close()
	idx, _ := strconv.ParseUint(resp.Header.Get(headerIndex), 10, 64)
	if resp.StatusCode == http.StatusOK {
		if out == nil {
			io.Copy(io.Discard, resp.Body)
			return idx, false, nil
		}
		var dec *json.Decoder
		switch out.(type) {
		case *BatchResult, *WriteResult, *twinfed.School:
			// The hot paths' answers: read whole, decoded without
			// reflection when they have the form the registry writes.
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				return idx, true, twinfed.Errorf(twinfed.EUNAVAILABLE, "the registry's answer was cut short: %v", err)
			}
			if decodeHot(body, out) {
				return idx, false, nil
			}
			dec = json.NewDecoder(bytes.NewReader(body))
		default:
			dec = json.NewDecoder(resp.Body)
		}
		if err := dec.Decode(out); err != nil {
			return idx, true, twinfed.Errorf(twinfed.EUNAVAILABLE, "the registry sent an unreadable answer")
		}
		return idx, false, nil
	}
	var ae APIError
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ae)
	if ae.Error.Code == "" {
		ae.Error.Code = twinfed.CodeForStatus(resp.StatusCode)
		ae.Error.Message = "registry answered " + resp.Status
	}
	return idx, resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode >= 500, ae.Error.toError()
}

func (c *Client) authorize(req *http.Request, body []byte) error {
	if c.cfg.AdminToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.AdminToken)
		return nil
	}
	if c.cfg.Signer == nil {
		return twinfed.Errorf(twinfed.EUNAUTHORIZED, "this registry client has neither a signing key nor an admin token: it cannot write")
	}
	return c.cfg.Signer.Sign(req, c.cfg.KeyID, body)
}

// useCache reports whether reads are answered from the cache.
func (c *Client) useCache() bool { return c.cache != nil && c.synced.Load() }

func (c *Client) view(fn func(txn *badger.Txn) error) error {
	return c.cache.View(fn)
}

// get reads from the registry over HTTP (stale), falling back to the cache.
func (c *Client) get(ctx context.Context, path string, out any) error {
	_, err := c.request(ctx, http.MethodGet, path, nil, "", "", false, out)
	return err
}

// read answers from the cache once it has caught up (local), from a
// member over HTTP (path) before that or without a cache.
func read[T any](ctx context.Context, c *Client, path string, local func(txn *badger.Txn) (T, error)) (T, error) {
	var out T
	if c.useCache() {
		err := c.view(func(txn *badger.Txn) (err error) { out, err = local(txn); return })
		return out, err
	}
	err := c.get(ctx, path, &out)
	return out, err
}

// Country returns one country; ENOTFOUND for an unknown code.
func (c *Client) Country(ctx context.Context, code string) (*twinfed.Country, error) {
	return read(ctx, c, "/v1/countries/"+url.PathEscape(code), func(txn *badger.Txn) (*twinfed.Country, error) { return c.countries.read(txn, code) })
}

// Countries returns every country, active or not.
func (c *Client) Countries(ctx context.Context) ([]*twinfed.Country, error) {
	return read(ctx, c, "/v1/countries", readCountries)
}

// CountryByHost returns the country whose node has host; ENOTFOUND when none.
func (c *Client) CountryByHost(ctx context.Context, host string) (*twinfed.Country, error) {
	return read(ctx, c, "/v1/hosts/"+url.PathEscape(host), func(txn *badger.Txn) (*twinfed.Country, error) {
		code, err := hostCountry(txn, host)
		if err != nil {
			return nil, err
		}
		return c.countries.read(txn, code)
	})
}

// KeysForHost implements signing.KeySource: the keys the registry lists
// for the node at host, from the cache when there is one (no network call).
func (c *Client) KeysForHost(ctx context.Context, host string) (string, []twinfed.NodeKey, error) {
	co, err := c.CountryByHost(ctx, host)
	if err != nil {
		return "", nil, err
	}
	if !co.Active {
		return "", nil, twinfed.Errorf(twinfed.ENOTFOUND, "%s no longer takes part in the programme", co.Code)
	}
	return co.Code, co.Keys, nil
}

// School returns one school; ENOTFOUND for an unknown id.
func (c *Client) School(ctx context.Context, id string) (*twinfed.School, error) {
	return read(ctx, c, "/v1/schools/"+url.PathEscape(id), func(txn *badger.Txn) (*twinfed.School, error) { return readSchool(txn, id) })
}

// FindSchools returns a page of schools and the total number matching.
func (c *Client) FindSchools(ctx context.Context, f twinfed.SchoolFilter) ([]*twinfed.School, int, error) {
	if c.useCache() {
		var out []*twinfed.School
		var n int
		err := c.view(func(txn *badger.Txn) (err error) {
			out, n, err = readFindSchools(txn, f, func(country, number string) string {
				id, _ := getString(txn, pNatNum+natKey(country, number))
				return id
			})
			return
		})
		return out, n, err
	}
	q := url.Values{}
	for k, v := range map[string]string{"country": f.Country, "q": f.Query, "city": f.City, "region": f.Region,
		"national_number": f.NationalNumber, "status": string(f.Status)} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Offset > 0 {
		q.Set("offset", strconv.Itoa(f.Offset))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(min(f.Limit, MaxPage)))
	}
	var page SchoolPage
	if err := c.get(ctx, "/v1/schools?"+q.Encode(), &page); err != nil {
		return nil, 0, err
	}
	return page.Schools, page.Total, nil
}

// ConsistentSchool reads a school linearizably from the leader, bypassing
// the cache.
func (c *Client) ConsistentSchool(ctx context.Context, id string) (*twinfed.School, uint64, error) {
	var out twinfed.School
	idx, err := c.request(ctx, http.MethodGet, "/v1/schools/"+url.PathEscape(id)+"?consistency=consistent", nil, "", "", true, &out)
	if err != nil {
		return nil, idx, err
	}
	return &out, idx, nil
}

// writeCacheWait bounds how long a write waits for the cache to reach it;
// after that the write returns anyway (it is applied; only the copy is late).
const writeCacheWait = 10 * time.Second

// write sends a write and, with a cache, waits for the cache to reach it
// (up to writeCacheWait) so that the caller reads its own write.
func (c *Client) write(ctx context.Context, method, path string, v any, out any) (uint64, error) {
	return c.writeWith(ctx, method, path, nil, v, out)
}

// writeWith is write with extra headers.
func (c *Client) writeWith(ctx context.Context, method, path string, header http.Header, v any, out any) (uint64, error) {
	var body []byte // none for nil v (a DELETE)
	if s, ok := v.(*twinfed.School); ok && s != nil {
		body = appendSchoolJSON(make([]byte, 0, 512), s) // json.Marshal's bytes, without reflection
	} else if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			return 0, err
		}
	}
	var res WriteResult
	if out == nil {
		out = &res
	}
	idx, err := c.send(ctx, method, path, header, body, out)
	if err != nil {
		return idx, err
	}
	if c.cache != nil && idx > 0 {
		wctx, cancel := context.WithTimeout(ctx, writeCacheWait)
		_ = c.WaitIndex(wctx, idx)
		cancel()
	}
	return idx, nil
}

// send sends a write with a new request id, and sends it again with the
// same id while the registry answers EUNAVAILABLE, for up to WriteRetry:
// the registry applies it once, and a repeat answers the first result and
// index.
func (c *Client) send(ctx context.Context, method, path string, header http.Header, body []byte, out any) (uint64, error) {
	if c.batches(method, path, header) {
		return c.sendBatched(ctx, method, path, body, out)
	}
	return c.sendWithID(ctx, newRequestID(), method, path, header, body, out)
}

// sendWithID is send with the request id id.
func (c *Client) sendWithID(ctx context.Context, id, method, path string, header http.Header, body []byte, out any) (uint64, error) {
	deadline := time.Now().Add(c.cfg.WriteRetry)
	backoff := 50 * time.Millisecond
	for {
		idx, err := c.requestWith(ctx, method, path, body, "application/json", id, true, header, out)
		if twinfed.ErrorCode(err) != twinfed.EUNAVAILABLE || time.Now().Add(backoff).After(deadline) {
			return idx, err
		}
		c.logger.Debug("registry: write unavailable, sending it again", "path", path, "err", err)
		select {
		case <-ctx.Done():
			return idx, err
		case <-c.done:
			return idx, err
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Second)
	}
}

// newRequestID returns a random request id (128 bits, hex).
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// PutSchool creates (empty ID) or updates a school and returns it as stored.
func (c *Client) PutSchool(ctx context.Context, s *twinfed.School) (*twinfed.School, error) {
	var res WriteResult
	path, method := "/v1/schools", http.MethodPost
	if s.ID != "" {
		path, method = "/v1/schools/"+url.PathEscape(s.ID), http.MethodPut
	}
	if _, err := c.write(ctx, method, path, s, &res); err != nil {
		return nil, err
	}
	return res.School, nil
}

// RecordQualityLabel records a National Quality Label.
func (c *Client) RecordQualityLabel(ctx context.Context, l twinfed.QualityLabel) error {
	_, err := c.write(ctx, http.MethodPost, "/v1/labels/national", l, nil)
	return err
}

// ProjectLabels returns the national and European labels of a project.
func (c *Client) ProjectLabels(ctx context.Context, projectID string) ([]twinfed.QualityLabel, *twinfed.EuropeanLabel, error) {
	pl, err := read(ctx, c, "/v1/labels?project="+url.QueryEscape(projectID), func(txn *badger.Txn) (ProjectLabels, error) {
		n, e, err := readProjectLabels(txn, projectID)
		return ProjectLabels{National: n, European: e}, err
	})
	return pl.National, pl.European, err
}

// EuropeanLabels returns the European Quality Labels of a school year,
// eligible and awarded.
func (c *Client) EuropeanLabels(ctx context.Context, schoolYear string) ([]twinfed.EuropeanLabel, error) {
	if !ValidSchoolYear(schoolYear) {
		return nil, twinfed.FieldError("school_year", "give a school year such as 2025-2026")
	}
	return read(ctx, c, "/v1/labels/european?school_year="+url.QueryEscape(schoolYear), func(txn *badger.Txn) ([]twinfed.EuropeanLabel, error) {
		return readEuropeanLabels(txn, schoolYear)
	})
}

// Prizes returns the European prize entries of a year (every year for 0).
func (c *Client) Prizes(ctx context.Context, year int) ([]twinfed.PrizeEntry, error) {
	return read(ctx, c, "/v1/prizes?year="+strconv.Itoa(year), func(txn *badger.Txn) ([]twinfed.PrizeEntry, error) { return readPrizes(txn, year) })
}

// PutCountry sets a country's agency, node URL, keys and active flag
// (admin token required).
func (c *Client) PutCountry(ctx context.Context, co twinfed.Country) error {
	_, err := c.write(ctx, http.MethodPut, "/v1/countries/"+url.PathEscape(co.Code), co, nil)
	return err
}

// ReplaceCountry sets a country's agency, node URL, keys and active flag
// (admin token required) if its record is still at version, the Version
// of the copy that was read: ECONFLICT when it changed since, and then
// nothing is written. It returns the record as written.
func (c *Client) ReplaceCountry(ctx context.Context, co twinfed.Country, version uint64) (*twinfed.Country, error) {
	var res WriteResult
	h := http.Header{"If-Match": {strconv.Quote(strconv.FormatUint(version, 10))}}
	if _, err := c.writeWith(ctx, http.MethodPut, "/v1/countries/"+url.PathEscape(co.Code), h, co, &res); err != nil {
		return nil, err
	}
	return res.Country, nil
}

// countryWrite sends a change to one part of a country's record and
// returns the record as the change left it.
func (c *Client) countryWrite(ctx context.Context, method, path string, v any) (*twinfed.Country, error) {
	var res WriteResult
	if _, err := c.write(ctx, method, path, v, &res); err != nil {
		return nil, err
	}
	if res.Country == nil {
		return nil, twinfed.Errorf(twinfed.EUNAVAILABLE, "the registry did not answer with the country record: is every member up to date?")
	}
	return res.Country, nil
}

// AddCountryKey adds k to the keys allowed to sign for the node of
// country code (admin token required); ECONFLICT when a key with its id
// is listed already. The change is applied to the record as the registry
// holds it, so no concurrent change is lost.
func (c *Client) AddCountryKey(ctx context.Context, code string, k twinfed.NodeKey) (*twinfed.Country, error) {
	return c.countryWrite(ctx, http.MethodPost, "/v1/countries/"+url.PathEscape(code)+"/keys", k)
}

// RemoveCountryKey stops accepting the key keyID for the node of country
// code (admin token required); ENOTFOUND when the country lists no such
// key.
func (c *Client) RemoveCountryKey(ctx context.Context, code, keyID string) (*twinfed.Country, error) {
	return c.countryWrite(ctx, http.MethodDelete, "/v1/countries/"+url.PathEscape(code)+"/keys/"+url.PathEscape(keyID), nil)
}

// SetCountryNode records the node URL of country code and marks the
// country active; a non-empty agency also replaces the agency's name
// (admin token required). The keys stay as they are.
func (c *Client) SetCountryNode(ctx context.Context, code, nodeURL, agency string) (*twinfed.Country, error) {
	return c.countryWrite(ctx, http.MethodPut, "/v1/countries/"+url.PathEscape(code)+"/node", CountryNode{NodeURL: nodeURL, Agency: agency})
}

// SetCountryActive records whether country code takes part in the
// programme (admin token required).
func (c *Client) SetCountryActive(ctx context.Context, code string, active bool) (*twinfed.Country, error) {
	return c.countryWrite(ctx, http.MethodPut, "/v1/countries/"+url.PathEscape(code)+"/active", CountryActive{Active: active})
}

// ConsistentCountry reads a country linearizably from the leader,
// bypassing the cache: it reflects every write acknowledged before.
func (c *Client) ConsistentCountry(ctx context.Context, code string) (*twinfed.Country, error) {
	var out twinfed.Country
	if _, err := c.request(ctx, http.MethodGet, "/v1/countries/"+url.PathEscape(code)+"?consistency=consistent", nil, "", "", true, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Import imports schools in bulk (admin token required) and returns the
// ids given, in order.
func (c *Client) Import(ctx context.Context, schools []twinfed.School) (*WriteResult, error) {
	var res WriteResult
	if _, err := c.write(ctx, http.MethodPost, "/v1/schools/import", schools, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// ImportSchools imports schools in bulk and returns how many were stored.
func (c *Client) ImportSchools(ctx context.Context, schools []twinfed.School) (int, error) {
	res, err := c.Import(ctx, schools)
	if err != nil {
		return 0, err
	}
	return res.Count, nil
}

// ConfirmEuropeanLabels awards the year's European Quality Labels to the
// listed eligible projects, or all eligible ones (admin token required).
func (c *Client) ConfirmEuropeanLabels(ctx context.Context, schoolYear string, projects ...string) (int, error) {
	var res WriteResult
	_, err := c.write(ctx, http.MethodPost, "/v1/labels/european/confirm", ConfirmEQLCommand{SchoolYear: schoolYear, Projects: projects}, &res)
	return res.Count, err
}

// PutPrize records a European prize entry or result (admin token required).
func (c *Client) PutPrize(ctx context.Context, p twinfed.PrizeEntry) error {
	_, err := c.write(ctx, http.MethodPost, "/v1/prizes", p, nil)
	return err
}
