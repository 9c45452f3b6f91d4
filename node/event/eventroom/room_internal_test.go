package eventroom

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/event"
)

// TestRemote_Answers: a member's node shows the home node's refusals it
// knows as they are (translated by the page), anything else as its own
// message, and redirects only to an http(s) link.
func TestRemote_Answers(t *testing.T) {
	e := &twinfed.Event{ID: "https://it.example/events/abc"}
	refused := func(code, said string) error {
		return twinfed.Errorf(code, "it.example answered 403 Forbidden to GET %s/room/for?actor=x: %s", e.ID, said)
	}
	for _, tc := range []struct {
		name     string
		body     string
		err      error
		wantURL  string
		wantCode string
		wantMsg  string
	}{
		{"link", `{"url":"https://rooms.example/event-abc?u=1"}`, nil, "https://rooms.example/event-abc?u=1", "", ""},
		{"not open", "", refused(twinfed.EFORBIDDEN, msgNotOpen), "", twinfed.EFORBIDDEN, msgNotOpen},
		{"not the node's member", "", refused(twinfed.EFORBIDDEN, msgNotYours), "", twinfed.EFORBIDDEN, msgNotYours},
		{"no event", "", refused(twinfed.ENOTFOUND, msgNoEvent), "", twinfed.ENOTFOUND, msgNoEvent},
		{"another refusal", "", refused(twinfed.EFORBIDDEN, "<b>go away</b>"), "", twinfed.EUNAVAILABLE, msgRemote},
		{"no provider there", "", refused(twinfed.EUNAVAILABLE, msgNoService), "", twinfed.EUNAVAILABLE, msgRemote},
		{"unreachable", "", twinfed.Errorf(twinfed.EUNAVAILABLE, "cannot fetch: connection refused"), "", twinfed.EUNAVAILABLE, msgRemote},
		{"a script", `{"url":"javascript:alert(1)"}`, nil, "", twinfed.EUNAVAILABLE, msgRemote},
		{"no host", `{"url":"https:///x"}`, nil, "", twinfed.EUNAVAILABLE, msgRemote},
		{"not JSON", `<html>`, nil, "", twinfed.EUNAVAILABLE, msgRemote},
	} {
		s := &Service{log: slog.New(slog.DiscardHandler), fetch: func(ctx context.Context, rawURL string) ([]byte, error) {
			if want := e.ID + "/room/for?actor=https%3A%2F%2Ffr.example%2Fusers%2Fmarie"; rawURL != want {
				t.Errorf("%s: asked %s, want %s", tc.name, rawURL, want)
			}
			return []byte(tc.body), tc.err
		}}
		u, err := s.remote(context.Background(), e, "https://fr.example/users/marie")
		if u != tc.wantURL || twinfed.ErrorCode(err) != tc.wantCode || tc.wantMsg != "" && twinfed.ErrorMessage(err) != tc.wantMsg {
			t.Errorf("%s: %q, %v; want %q, %s %q", tc.name, u, err, tc.wantURL, tc.wantCode, tc.wantMsg)
		}
	}
}

// TestCheckToken: BigBlueButton's token checked as it is made (HS512; HS256
// and HS384 too), its expiry with five minutes of clocks' difference, no
// other algorithm.
func TestCheckToken(t *testing.T) {
	now := time.Now()
	s := &Service{cfg: event.Config{Secret: "a secret of sixteen+"}, now: func() time.Time { return now }}
	jwt := func(alg string, exp time.Time) string {
		enc := base64.RawURLEncoding
		h := enc.EncodeToString(fmt.Appendf(nil, `{"alg":%q,"typ":"JWT"}`, alg))
		c := enc.EncodeToString(fmt.Appendf(nil, `{"exp":%d}`, exp.Unix()))
		mac := hmac.New(sha256.New, []byte("a secret of sixteen+"))
		mac.Write([]byte(h + "." + c))
		return h + "." + c + "." + enc.EncodeToString(mac.Sum(nil))
	}
	for _, tc := range []struct {
		name, auth, want string
	}{
		{"HS256", "Bearer " + jwt("HS256", now.Add(24*time.Hour)), ""},
		{"expired within the skew", "Bearer " + jwt("HS256", now.Add(-4*time.Minute)), ""},
		{"expired", "Bearer " + jwt("HS256", now.Add(-6*time.Minute)), "the report is stale"},
		{"none", "Bearer " + strings.TrimSuffix(jwt("none", now.Add(time.Hour)), "x"), `signed with "none"`},
		{"unsigned", "Bearer " + jwt("HS256", now.Add(time.Hour))[:strings.LastIndexByte(jwt("HS256", now.Add(time.Hour)), '.')+1], "not signed with this node's meeting secret"},
		{"basic", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "no Authorization: Bearer"},
		{"two parts", "Bearer a.b", "not a JWT"},
	} {
		err := s.checkToken(tc.auth)
		if tc.want == "" && err != nil || tc.want != "" && (twinfed.ErrorCode(err) != twinfed.EUNAUTHORIZED || !strings.Contains(twinfed.ErrorMessage(err), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
