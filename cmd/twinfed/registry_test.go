package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed/config"
)

func TestRegistryMain_ServeAndOperate(t *testing.T) {
	cfg := config.DefaultRegistry()
	cfg.DataDir = filepath.Join(t.TempDir(), "r1")
	cfg.RaftAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Bootstrap = true
	cfg.AdminToken = "0123456789abcdef-test"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	rm := &registryMain{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := rm.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	url := rm.member.URL()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/v1/countries/IT")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the member never seeded its countries")
		}
		<-time.After(20 * time.Millisecond) // poll interval
	}
	csv := "country,legal_name,level,national_number\nIT,Liceo Volta,upper_secondary,COPS01\nFR,Lycée Curie,upper_secondary,\n"
	file := filepath.Join(t.TempDir(), "schools.csv")
	if err := writeFile(file, csv); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"registry", "import-schools", "--member", url, "--token", cfg.AdminToken, "--file", file}, "imported 2 schools"},
		{[]string{"registry", "peers", "--member", url}, "r1"},
		{[]string{"registry", "snapshot", "--member", url, "--token", cfg.AdminToken}, "index"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		if err := newApp(&out, &errOut).RunContext(context.Background(), append([]string{"twinfed"}, tt.args...)); err != nil {
			t.Fatalf("%v: %v (%s)", tt.args, err, errOut.String())
		}
		if !strings.Contains(out.String(), tt.want) {
			t.Fatalf("%v printed %q, want %q", tt.args, out.String(), tt.want)
		}
	}
}

func writeFile(path, s string) error {
	return os.WriteFile(path, []byte(s), 0o600)
}
