package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	otherCA := filepath.Join(mustTLSFiles(t), "ca.pem")
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
		{[]string{"--url", tlsSrv.URL, "--tls-ca", caFile}, true},   // the CA that signed it
		{[]string{"--url", tlsSrv.URL, "--tls-ca", otherCA}, false}, // another CA
		{[]string{"--url", tlsSrv.URL, "--tls-ca", "/nonexistent"}, false},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		err := newApp(&out, &errOut).RunContext(context.Background(), append([]string{"twinfed", "health"}, tt.args...))
		if (err == nil) != tt.ok {
			t.Errorf("health %v: error %v, want ok=%v", tt.args, err, tt.ok)
		}
	}
}
