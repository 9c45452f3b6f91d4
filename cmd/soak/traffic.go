package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The request classes of the mix, and each one's share of it.
const (
	classBrowse   = "browse"   // home feed, profiles, the project's card, its TwinSpace pages
	classSearch   = "search"   // people search in the federated directory
	classMessage  = "message"  // a contact message between the IT and FR teachers
	classProject  = "project"  // a post on the project's TwinSpace home
	classRegistry = "registry" // the registry's /v1 API
)

// Classes lists the request classes in the order the reports use.
var Classes = []string{classBrowse, classSearch, classMessage, classProject, classRegistry}

// mix is each class's weight in a hundred requests.
var mix = map[string]int{classBrowse: 50, classSearch: 20, classMessage: 10, classProject: 10, classRegistry: 10}

// demoPassword is every demo teacher's password (cmd/twinfed/demo_nodes.go).
const demoPassword = "eTwinning-demo"

// demoTeachers are the demo's teachers by node. Marco Bianchi (IT) and
// Lucas Bernard (FR) are contacts and run the demo project.
var demoTeachers = map[string][]string{
	"IT": {"marco.bianchi", "giulia.rossi", "chiara.esposito"},
	"FR": {"lucas.bernard", "camille.martin", "ines.dubois"},
	"ES": {"lucia.garcia", "javier.lopez", "marta.sanchez"},
}

// contactPairs are the teachers who write to each other: Marco Bianchi
// and Lucas Bernard are contacts in the demo, the driver makes the others
// contacts (through the web UI, across nodes) before it starts. Spread over
// five conversations, the messages are a teacher's pace, not one
// conversation written to by dozens of requests at once.
var contactPairs = [][2]string{
	{"marco.bianchi", "lucas.bernard"}, {"giulia.rossi", "camille.martin"}, {"chiara.esposito", "lucia.garcia"},
	{"ines.dubois", "javier.lopez"}, {"marta.sanchez", "marco.bianchi"},
}

// searches are the people searches: free text, and a country or none.
var searches = []url.Values{
	{"q": {"Rossi"}}, {"q": {"Martin"}, "country": {"FR"}}, {"q": {"science"}}, {"q": {"García"}, "country": {"ES"}},
	{"q": {"history"}, "country": {"IT"}}, {"q": {"Bernard"}}, {"q": {"teacher"}}, {"country": {"ES"}},
}

// session is a logged-in teacher's browser: cookies, and the session's
// CSRF token, which every form of the session carries.
type session struct {
	user, node, base string
	client           *http.Client
	csrf             string
}

// driver holds the logged-in sessions and sends the mix's requests.
type driver struct {
	fed      *federation
	sessions []*session
	byUser   map[string]*session
	project  string // the demo project's id
	client   *http.Client
	seq      atomic.Int64
}

var (
	csrfRE    = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	projectRE = regexp.MustCompile(`href="/projects/view\?id=([^"]+)"`)
)

// newDriver logs every demo teacher in and finds the demo project.
func newDriver(ctx context.Context, fed *federation) (*driver, error) {
	// One transport for every session, with a bounded pool of connections
	// per process that stay open between requests, as a reverse proxy's
	// would: a new connection per request would be churn the soak does
	// not mean to measure.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost, tr.MaxIdleConns, tr.IdleConnTimeout = maxConnsPerProcess, maxConnsPerProcess, 0, 0
	d := &driver{fed: fed, byUser: map[string]*session{}, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
	for _, n := range demoNodes {
		for _, u := range demoTeachers[n.Code] {
			s, err := login(ctx, tr, fed.Nodes[n.Code], u)
			if err != nil {
				return nil, err
			}
			s.node = n.Code
			d.sessions = append(d.sessions, s)
			d.byUser[u] = s
		}
	}
	_, body, err := d.byUser["marco.bianchi"].get(ctx, "/projects")
	if err != nil {
		return nil, err
	}
	m := projectRE.FindStringSubmatch(body)
	if m == nil {
		return nil, errors.New("marco.bianchi's projects page links no project: was the demo seeded?")
	}
	if d.project, err = url.QueryUnescape(html.UnescapeString(m[1])); err != nil {
		return nil, fmt.Errorf("the demo project's id %q: %w", m[1], err)
	}
	for _, p := range contactPairs {
		if err := d.befriend(ctx, d.byUser[p[0]], d.byUser[p[1]]); err != nil {
			return nil, fmt.Errorf("make %s and %s contacts: %w", p[0], p[1], err)
		}
	}
	return d, nil
}

// actor is the session's member's actor URL.
func (s *session) actor() string { return s.base + "/users/" + s.user }

// befriend makes a and b contacts as two teachers would: a asks from b's
// profile, b accepts once the request has reached b's node. It returns once
// a can write to b; when they are contacts already (a resumed data
// directory), at once.
func (d *driver) befriend(ctx context.Context, a, b *session) error {
	message := func() error {
		return a.post(ctx, "/messages", url.Values{"to": {b.actor()}, "content": {"Hello! Shall we work together this year?"}})
	}
	if message() == nil {
		return nil
	}
	steps := []struct {
		what string
		do   func() error
	}{
		{"request", func() error {
			return a.post(ctx, "/contacts/request", url.Values{"peer": {b.actor()}, "message": {"Hello from the soak test"}})
		}},
		{"accept", func() error { return b.post(ctx, "/contacts/accept", url.Values{"peer": {a.actor()}}) }},
		{"first message", message},
	}
	for _, st := range steps {
		// The request travels between the nodes: each step is tried until
		// it succeeds or a minute has passed.
		deadline := time.Now().Add(time.Minute)
		for {
			err := st.do()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s: %w", st.what, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// maxConnsPerProcess bounds the driver's connections to each process;
// requests beyond it wait for one (and that wait counts in their latency).
const maxConnsPerProcess = 16

// login logs user in on the node at base with the login form, as a
// browser does, and keeps the session's CSRF token.
func login(ctx context.Context, tr http.RoundTripper, base, user string) (*session, error) {
	jar, _ := cookiejar.New(nil)
	s := &session{user: user, base: base, client: &http.Client{
		Transport: tr, Jar: jar, Timeout: 30 * time.Second,
		// A form's answer is its redirect: the page after it is a request
		// of its own, not part of the form's latency.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	// The token of the visitor's form, then the member's session's, which
	// every form of the session carries from then on.
	for _, step := range []string{"/login", "/"} {
		_, body, err := s.get(ctx, step)
		if err != nil {
			return nil, fmt.Errorf("log %s in: %w", user, err)
		}
		m := csrfRE.FindStringSubmatch(body)
		if m == nil {
			return nil, fmt.Errorf("log %s in: %s%s has no form with a CSRF token", user, base, step)
		}
		s.csrf = m[1]
		if step == "/login" {
			if err := s.post(ctx, "/login", url.Values{"username": {user}, "password": {demoPassword}}); err != nil {
				return nil, fmt.Errorf("log %s in: %w", user, err)
			}
		}
	}
	return s, nil
}

// get fetches path and wants 200.
func (s *session) get(ctx context.Context, path string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, "", fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, "", fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return resp.StatusCode, string(raw), nil
}

// post sends a form with the session's CSRF token and wants the redirect
// (303) a form answers with when it succeeded.
func (s *session) post(ctx context.Context, path string, form url.Values) error {
	form.Set("csrf", s.csrf)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("POST %s: %s, want 303 See Other", path, resp.Status)
	}
	return nil
}

// pick draws a class by the mix's weights.
func pick(r *rand.Rand) string {
	n := r.IntN(100)
	for _, c := range Classes {
		if n < mix[c] {
			return c
		}
		n -= mix[c]
	}
	return classBrowse
}

// do sends one request of class.
func (d *driver) do(ctx context.Context, r *rand.Rand, class string) error {
	marco, lucas := d.byUser["marco.bianchi"], d.byUser["lucas.bernard"]
	pid := url.QueryEscape(d.project)
	switch class {
	case classBrowse:
		s := d.sessions[r.IntN(len(d.sessions))]
		paths := []string{"/", "/messages", "/users/" + demoTeachers[s.node][r.IntN(3)]}
		// A teacher of another node, through the federated directory (a
		// local one's is a redirect to /users/).
		other := demoNodes[r.IntN(len(demoNodes))].Code
		for other == s.node {
			other = demoNodes[r.IntN(len(demoNodes))].Code
		}
		paths = append(paths, "/people/profile?id="+url.QueryEscape(d.fed.Nodes[other]+"/users/"+demoTeachers[other][r.IntN(3)]))
		if s == marco || s == lucas {
			paths = append(paths, "/projects/view?id="+pid, "/twinspace/home?id="+pid, "/twinspace/pages?id="+pid,
				"/twinspace/forum?id="+pid, "/twinspace/members?id="+pid)
		}
		_, _, err := s.get(ctx, paths[r.IntN(len(paths))])
		return err
	case classSearch:
		s := d.sessions[r.IntN(len(d.sessions))]
		_, _, err := s.get(ctx, "/people?"+searches[r.IntN(len(searches))].Encode())
		return err
	case classMessage:
		p := contactPairs[r.IntN(len(contactPairs))]
		from, to := d.byUser[p[0]], d.byUser[p[1]]
		if r.IntN(2) == 1 {
			from, to = to, from
		}
		return from.post(ctx, "/messages", url.Values{
			"to": {to.actor()}, "content": {fmt.Sprintf("Soak message %d: shall we compare the water readings?", d.seq.Add(1))},
		})
	case classProject:
		s := marco
		if r.IntN(2) == 1 {
			s = lucas
		}
		return s.post(ctx, "/twinspace/home/post", url.Values{
			"id": {d.project}, "content": {fmt.Sprintf("Soak update %d: today's readings are in the shared sheet.", d.seq.Add(1))},
		})
	case classRegistry:
		member := d.fed.Registry[r.IntN(len(d.fed.Registry))]
		paths := []string{"/v1/countries", "/v1/countries/" + demoNodes[r.IntN(len(demoNodes))].Code, "/v1/schools?country=FR&limit=20"}
		return getOKWith(ctx, d.client, member+paths[r.IntN(len(paths))])
	}
	return fmt.Errorf("unknown class %q", class)
}

func getOKWith(ctx context.Context, c *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return nil
}

// closedLoop runs workers that each send the mix back to back for dur, and
// returns the requests completed per second and the errors.
func (d *driver) closedLoop(ctx context.Context, workers int, dur time.Duration) (float64, errorCounts) {
	var done atomic.Int64
	errs := errorCounts{}
	var mu sync.Mutex
	ctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for ctx.Err() == nil {
				c := pick(r)
				err := d.do(ctx, r, c)
				if ctx.Err() != nil {
					return // cut off by the phase's end, not a failure
				}
				if err != nil {
					mu.Lock()
					errs.add(c, err)
					mu.Unlock()
					continue
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(start).Seconds(), errs
}

// maxOutstanding bounds the open loop's requests in flight: an arrival
// beyond it is counted late and not sent (the rate was not held).
const maxOutstanding = 512

// openLoop sends the mix at rate requests/s for dur, each at its scheduled
// time whatever the ones before it are doing, records each one's latency
// (from its scheduled time) in s, and samples the processes every window.
// It returns how many arrivals found maxOutstanding requests in flight.
func (d *driver) openLoop(ctx context.Context, rate float64, dur time.Duration, s *sampler) (late int, err error) {
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	s.start(ctx, start)
	var wg sync.WaitGroup
	var inflight atomic.Int64
	r := rand.New(rand.NewPCG(uint64(start.UnixNano()), 2))
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= dur {
			break
		}
		if wait := time.Until(at); wait > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				s.stop()
				return late, ctx.Err()
			case <-time.After(wait):
			}
		}
		if inflight.Load() >= maxOutstanding {
			late++
			continue
		}
		c := pick(r)
		rr := rand.New(rand.NewPCG(r.Uint64(), r.Uint64()))
		inflight.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer inflight.Add(-1)
			err := d.do(ctx, rr, c)
			s.record(c, time.Since(at), err)
		}()
	}
	wg.Wait()
	s.stop()
	return late, nil
}
