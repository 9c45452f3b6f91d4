package nodetest

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/twinfed/twinfed/node"
)

// Mails returns the mails spooled in <dir>/mail-spool to addr, oldest
// first (dir is the node's data directory, Options.Dir): each is its
// header block followed by its plain-text part, decoded. SpooledMails
// returns them parsed, with their HTML part.
func Mails(tb testing.TB, n *node.Node, dir, addr string) []string {
	tb.Helper()
	var out []string
	for _, raw := range spooled(tb, dir, addr) {
		head, _, _ := strings.Cut(raw, "\r\n\r\n")
		out = append(out, head+"\r\n\r\n"+ParseMail(tb, []byte(raw)).Text)
	}
	return out
}

// SpooledMails returns the mails spooled in <dir>/mail-spool to addr,
// parsed, oldest first.
func SpooledMails(tb testing.TB, dir, addr string) []Mail {
	tb.Helper()
	var out []Mail
	for _, raw := range spooled(tb, dir, addr) {
		out = append(out, ParseMail(tb, []byte(raw)))
	}
	return out
}

// spooled returns the raw mails spooled in <dir>/mail-spool to addr.
func spooled(tb testing.TB, dir, addr string) []string {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "mail-spool", "*.eml"))
	sort.Strings(files)
	var out []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		if strings.Contains(string(raw), "\r\nTo: "+addr+"\r\n") {
			out = append(out, string(raw))
		}
	}
	return out
}

var linkRE = regexp.MustCompile(`http://[^\s]+\?token=[A-Za-z0-9_-]+`)

// MustLink returns the path and query of the last link containing kind
// (such as "/register/confirm") mailed to addr; none fails the test.
func MustLink(tb testing.TB, n *node.Node, dir, addr, kind string) string {
	tb.Helper()
	ms := Mails(tb, n, dir, addr)
	for i := len(ms) - 1; i >= 0; i-- {
		for _, l := range linkRE.FindAllString(ms[i], -1) {
			if strings.Contains(l, kind) {
				return strings.TrimPrefix(l, n.URL())
			}
		}
	}
	tb.Fatalf("no %s link mailed to %s", kind, addr)
	return ""
}

// TokenOf returns the token of a mailed link.
func TokenOf(link string) string {
	u, _ := url.Parse(link)
	return u.Query().Get("token")
}
