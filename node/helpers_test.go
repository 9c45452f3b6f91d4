package node_test

import (
	"context"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/nodetest"
	"github.com/twinfed/twinfed/node/outbox"
)

// testHash is a deliberately cheap argon2id setting for tests; production
// uses node.DefaultHashParams.
var testHash = nodetest.TestHash

type nodeOpts struct {
	dir      string
	registry twinfed.Registry
	policy   *twinfed.Eligibility
	now      func() time.Time
	token    string
	upload   int64
	country  string
	ln       net.Listener
	// localOnly gives the node localOnlyProver as its outbox and prover:
	// projects that never leave it, with agency decisions "signed".
	localOnly bool
	// outbox, when set, is the node's outbox (no prover).
	outbox outbox.Outbox
	langs  []string // UI languages; nil: it and en
}

// MustOpenNode starts a real node (nodetest.MustOpenNode).
func MustOpenNode(tb testing.TB, o nodeOpts) *node.Node {
	tb.Helper()
	return nodetest.MustOpenNode(tb, nodetest.Options{Dir: o.dir, Registry: o.registry, Policy: o.policy, Now: o.now, Token: o.token,
		Upload: o.upload, Country: o.country, Listener: o.ln, LocalOnly: o.localOnly, Outbox: o.outbox, Languages: o.langs})
}

// browser is nodetest's cookie-jar client (no redirects, pages in English).
type browser = nodetest.Browser

func newBrowser(t testing.TB, base string) *browser { return nodetest.NewBrowser(t, base) }

// apiSession logs user in through the JSON API (nodetest.APISession).
func apiSession(t testing.TB, base, user, password string) (*browser, string) {
	return nodetest.APISession(t, base, user, password)
}

// mails, mustLink and tokenOf read the mail spool (nodetest's helpers).
func mails(t testing.TB, n *node.Node, dir, addr string) []string {
	return nodetest.Mails(t, n, dir, addr)
}

func mustLink(t testing.TB, n *node.Node, dir, addr, kind string) string {
	return nodetest.MustLink(t, n, dir, addr, kind)
}

func tokenOf(link string) string { return nodetest.TokenOf(link) }

func preReg(user string) url.Values {
	return url.Values{"first_name": {"Maria"}, "last_name": {"Rossi"}, "email": {user + "@scuola.it"}, "email_confirm": {user + "@scuola.it"},
		"username": {user}, "password": {"correct horse 1"}, "password_confirm": {"correct horse 1"}}
}

func seedStaff(t testing.TB, n *node.Node, user string, role twinfed.Role) {
	t.Helper()
	if _, err := n.Accounts().CreateStaff(context.Background(), nil, user, user+"@indire.it", "Staff", "Indire", "staff password 1", role); err != nil {
		t.Fatalf("create staff: %v", err)
	}
}

// login logs user in through the web form (nodetest.Login).
func login(t testing.TB, n *node.Node, user, password string) *browser {
	return nodetest.Login(t, n, user, password)
}

// eventually polls cond until it holds or fails after timeout
// (nodetest.Eventually).
func eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string) {
	nodetest.Eventually(t, timeout, cond, msg)
}
