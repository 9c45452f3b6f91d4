package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHealth_Command(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsSrv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		args []string
		ok   bool
	}{
		{[]string{"--url", srv.URL + "/readyz"}, true},
		{[]string{"--url", srv.URL + "/other"}, false},     // 503
		{[]string{"--url", closed.URL + "/readyz"}, false}, // nothing listens
		{[]string{"--url", tlsSrv.URL}, false},             // a certificate nobody vouches for
		{[]string{"--url", tlsSrv.URL, "--insecure"}, true},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		err := newApp(&out, &errOut).RunContext(context.Background(), append([]string{"twinfed", "health"}, tt.args...))
		if (err == nil) != tt.ok {
			t.Errorf("health %v: error %v, want ok=%v", tt.args, err, tt.ok)
		}
	}
}
