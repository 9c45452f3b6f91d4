package config

import (
	"strings"
	"testing"
)

func TestRegistryTLS_Validate(t *testing.T) {
	files := RegistryTLS{CertFile: "r1.pem", KeyFile: "r1-key.pem", ClientCAFile: "ca.pem"}
	tests := []struct {
		name   string
		modify func(*Registry)
		want   string // substring of the error, "" for valid
	}{
		{"files", func(r *Registry) { r.TLS = files }, ""},
		{"no CA", func(r *Registry) { r.TLS = files; r.TLS.ClientCAFile = "" }, "client_ca_file"},
		{"cluster over https", func(r *Registry) {
			r.TLS, r.Bootstrap, r.AdminToken = files, true, "0123456789abcdef"
			r.HTTPAdvert = "https://r1.registry.example:7100"
			r.Peers = []string{"r1=10.0.0.1:7000=https://r1.registry.example:7100"}
		}, ""},
		{"http peer", func(r *Registry) {
			r.TLS, r.Bootstrap, r.AdminToken = files, true, "0123456789abcdef"
			r.Peers = []string{"r1=10.0.0.1:7000=http://10.0.0.1:7100"}
		}, "peers[0]"},
		{"http join", func(r *Registry) {
			r.TLS, r.AdminToken = files, "0123456789abcdef"
			r.Join = []string{"http://10.0.0.1:7100"}
		}, "join[0]"},
		{"http advert", func(r *Registry) { r.TLS, r.HTTPAdvert = files, "http://10.0.0.1:7100" }, "http_advert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := DefaultRegistry()
			tt.modify(&r)
			err := r.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNodeRegistryTLS_Validate(t *testing.T) {
	tests := []struct {
		name string
		tls  RegistryClientTLS
		urls []string
		want string
	}{
		{"none", RegistryClientTLS{}, []string{"http://127.0.0.1:7100"}, ""},
		{"CA and certificate", RegistryClientTLS{CAFile: "ca.pem", CertFile: "IT.pem", KeyFile: "IT-key.pem"}, []string{"https://r1.registry.example:7100"}, ""},
		{"certificate without key", RegistryClientTLS{CertFile: "IT.pem"}, []string{"https://r1.registry.example:7100"}, "key_file"},
		{"http registry", RegistryClientTLS{CAFile: "ca.pem"}, []string{"http://127.0.0.1:7100"}, "registry[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := DefaultNode()
			n.RegistryTLS, n.Registry = tt.tls, tt.urls
			err := n.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}
