package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

func TestNode_ExampleConfigLoads(t *testing.T) {
	cfg := DefaultNode()
	if err := LoadEnv("../deploy/node.example.toml", &cfg, nil); err != nil {
		t.Fatal(err)
	}
	if cfg.Country != "IT" || cfg.Accounts.ArgonMemoryKiB != 65536 || cfg.Eligibility.MinVocationalYears != 3 || cfg.Accounts.SessionLifetime != 336*time.Hour {
		t.Fatalf("example config: %+v", cfg)
	}
	if !contains(cfg.Eligibility.RefusedRoles, "administrative_staff") || !slices.Contains(cfg.Eligibility.RefusedInstitutions, "adult_education") {
		t.Fatalf("example eligibility: %+v", cfg.Eligibility)
	}
}

func TestNode_Defaults(t *testing.T) {
	cfg := DefaultNode()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	cfg.PageCacheMiB = -1 // the cache off
	if err := cfg.Validate(); err != nil {
		t.Fatalf("page_cache_mib = -1: %v", err)
	}
	for _, tls := range []NodeTLS{
		{CertFile: "/etc/twinfed/tls/cert.pem", KeyFile: "/etc/twinfed/tls/key.pem"},
		{ACMEDomains: []string{"it.twinfed.example"}, ACMEEmail: "ops@indire.example"},
	} {
		cfg := DefaultNode()
		cfg.BaseURL, cfg.TLS = "https://it.twinfed.example", tls
		if err := cfg.Validate(); err != nil {
			t.Fatalf("tls %+v: %v", tls, err)
		}
	}
}

func TestNode_Validate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(c *Node)
		want string
	}{
		{"short token", func(c *Node) { c.Agency.APIToken = "short" }, "agency.api_token: is too short"},
		{"bad from", func(c *Node) { c.Mail.From = "nobody" }, "mail.from"},
		{"nowhere for mail", func(c *Node) { c.Mail.SpoolDir = "" }, "mail.spool_dir"},
		{"bad tls", func(c *Node) { c.Mail.SMTPHost = "smtp.example"; c.Mail.TLS = "ssl" }, "mail.tls"},
		{"unknown role", func(c *Node) { c.Eligibility.AcceptedRoles = append(c.Eligibility.AcceptedRoles, "janitor") }, `eligibility.accepted_roles[7]: "janitor" is unknown`},
		{"both lists", func(c *Node) { c.Eligibility.RefusedRoles = append(c.Eligibility.RefusedRoles, "teacher") }, "both accepted and refused"},
		{"empty accepted roles", func(c *Node) { c.Eligibility.AcceptedRoles = nil }, "nobody could register"},
		{"unknown language", func(c *Node) { c.Languages = []string{"xx"} }, "languages[0]"},
		{"page cache below -1", func(c *Node) { c.PageCacheMiB = -2 }, "page_cache_mib"},
		{"no index cache", func(c *Node) { c.Store.IndexCacheMiB = 0 }, "store.index_cache_mib: 0 is out of range; use 1 to 16384"},
		{"huge block cache", func(c *Node) { c.Store.BlockCacheMiB = 1 << 20 }, "store.block_cache_mib: 1048576 is out of range"},
		{"tiny memtable", func(c *Node) { c.Store.MemTableMiB = 4 }, "store.memtable_mib: 4 is out of range; use 8 to 1024 (32 is the default: the largest transaction is 15 % of it"},
		{"one memtable", func(c *Node) { c.Store.Memtables = 1 }, "store.memtables: 1 is out of range; use 2 to 16"},
		{"short session", func(c *Node) { c.Accounts.SessionLifetime = time.Second }, "accounts.session_lifetime"},
		{"cookies", func(c *Node) { c.Accounts.SecureCookies = "yes" }, "accounts.secure_cookies"},
		{"argon", func(c *Node) { c.Accounts.ArgonTime = 0 }, "accounts.argon_time"},
		{"upload", func(c *Node) { c.Accounts.MaxUploadBytes = 10 }, "accounts.max_upload_bytes"},
		{"proxy", func(c *Node) { c.Limits.TrustedProxies = []string{"10.0.0.0/33"} }, `limits.trusted_proxies[0]: "10.0.0.0/33" is neither an address nor a network`},
		{"rate without duration", func(c *Node) { c.Limits.Login = "20" }, `limits.login: "20" is not a rate; write N/duration`},
		{"rate with a bad duration", func(c *Node) { c.Limits.API = "600/soon" }, `limits.api: "600/soon" is not a rate: "soon" is not a duration`},
		{"no hashing", func(c *Node) { c.Limits.HashConcurrency = 0 }, "limits.hash_concurrency: must be at least 1"},
		{"tls cert without key", func(c *Node) { c.BaseURL = "https://it.twinfed.example"; c.TLS.CertFile = "cert.pem" }, "tls.cert_file: and key_file go together"},
		{"tls over http", func(c *Node) { c.TLS.CertFile, c.TLS.KeyFile = "cert.pem", "key.pem" }, "tls: is set but base_url"},
		{"tls files and acme", func(c *Node) {
			c.BaseURL = "https://it.twinfed.example"
			c.TLS.CertFile, c.TLS.KeyFile, c.TLS.ACMEDomains = "cert.pem", "key.pem", []string{"it.twinfed.example"}
		}, "not both"},
		{"acme for another name", func(c *Node) {
			c.BaseURL = "https://it.twinfed.example"
			c.TLS.ACMEDomains = []string{"www.twinfed.example"}
		}, `does not include base_url's host "it.twinfed.example"`},
		{"user in the meeting host", func(c *Node) { c.Events.MeetingURL = "https://{user}.rooms.example/{room}" }, "events.meeting_url: has {user} in its host"},
		{"no event file size", func(c *Node) { c.Events.FileMaxMB = 0 }, "events.file_max_mb: 0 MB is out of bounds for an event's file; use 1 to 4096"},
		{"event quota under a file", func(c *Node) { c.Events.FilesQuotaMB = 10 }, "events.files_quota_mb: 10 MB is out of bounds for an event's files; use file_max_mb (20) to 1048576"},
		{"no materials dir", func(c *Node) { c.Materials.Dir = "" }, "materials.dir: is empty"},
		{"no file size", func(c *Node) { c.Materials.MaxFileMB = 0 }, "materials.max_file_mb: 0 MB is out of bounds; use 1 to 10240"},
		{"quota under a file", func(c *Node) { c.Materials.TwinSpaceQuotaMB = 50 }, "materials.twinspace_quota_mb: 50 MB is less than max_file_mb (100 MB)"},
		{"node quota under a twinspace", func(c *Node) { c.Materials.NodeQuotaGB = 1 }, "materials.node_quota_gb: 1 GB is less than twinspace_quota_mb (2048 MB)"},
		{"negative node quota", func(c *Node) { c.Materials.NodeQuotaGB = -5 }, "materials.node_quota_gb: -5 GB is out of bounds"},
		{"unknown backend", func(c *Node) { c.Materials.Backend = "nfs" }, `materials.backend: "nfs" is not a backend; use "disk" (the default) or "s3"`},
		{"s3 without a bucket", func(c *Node) { c.Materials.Backend = "s3"; c.Materials.S3 = s3Config(); c.Materials.S3.Bucket = "" }, "materials.s3.bucket: is empty"},
		{"s3 with a bad bucket", func(c *Node) {
			c.Materials.Backend = "s3"
			c.Materials.S3 = s3Config()
			c.Materials.S3.Bucket = "Pupils_Work"
		}, `materials.s3.bucket: "Pupils_Work" is not a bucket name`},
		{"s3 without an endpoint", func(c *Node) { c.Materials.Backend = "s3" }, "materials.s3.endpoint: is empty"},
		{"s3 endpoint without scheme", func(c *Node) {
			c.Materials.Backend = "s3"
			c.Materials.S3 = s3Config()
			c.Materials.S3.Endpoint = "s3.example.org"
		}, `materials.s3.endpoint: "s3.example.org" must start with https://`},
		{"s3 endpoint with the bucket", func(c *Node) {
			c.Materials.Backend = "s3"
			c.Materials.S3 = s3Config()
			c.Materials.S3.Endpoint = "https://s3.example.org/twinfed"
		}, "materials.s3.endpoint: \"https://s3.example.org/twinfed\" has a path"},
		{"s3 without a secret", func(c *Node) { c.Materials.Backend = "s3"; c.Materials.S3 = s3Config(); c.Materials.S3.SecretKey = "" }, "materials.s3.secret_key_file: is empty, as is secret_key"},
		{"s3 secret file missing", func(c *Node) {
			c.Materials.Backend = "s3"
			c.Materials.S3 = s3Config()
			c.Materials.S3.SecretKey, c.Materials.S3.SecretKeyFile = "", "/nonexistent/s3.secret"
		}, "materials.s3.secret_key_file: cannot be read"},
		{"s3 set for the disk", func(c *Node) { c.Materials.S3 = s3Config() }, `materials.s3: is set but backend is "disk"`},
		{"acme without domains", func(c *Node) { c.TLS.ACMEEmail = "ops@indire.example" }, "tls.acme_domains: is empty"},
		{"embed without a path", func(c *Node) { c.TwinSpace.Embeds = []string{"www.youtube.com"} }, `twinspace.embeds[0]: "www.youtube.com" is not a host and a path prefix`},
		{"embed with a scheme", func(c *Node) { c.TwinSpace.Embeds = []string{"https://www.youtube.com/embed/"} }, `twinspace.embeds[0]`},
		{"embed climbing out", func(c *Node) { c.TwinSpace.Embeds = []string{"example.org/embed/../"} }, `may not hold a ".." segment`},
		{"embed in capitals", func(c *Node) { c.TwinSpace.Embeds = []string{"Player.Vimeo.com/video/"} }, "lower case"},
		{"embed wildcard in a segment", func(c *Node) { c.TwinSpace.Embeds = []string{"quizlet.com/x*/embed"} }, "whole path segment"},
		{"embed twice", func(c *Node) { c.TwinSpace.Embeds = []string{"padlet.com/embed/", "padlet.com/embed/"} }, `twinspace.embeds[1]: "padlet.com/embed/" is listed twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultNode()
			tc.edit(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a message with %q", err, tc.want)
			}
		})
	}
}

// TestEvents_MeetingUser: {user} is taken in a template's path or query
// (the participant's id for the room's presence reports), not in its
// host; templates without it validate as before.
func TestEvents_MeetingUser(t *testing.T) {
	for _, tmpl := range []string{
		"https://rooms.example/{room}?u={user}&n={name}&e={expires}&s={signature}",
		"https://rooms.example/{room}/{user}",
		"https://meet.jit.si/twinfed-{room}",
		"https://{name}.rooms.example/{room}",
	} {
		cfg := DefaultNode()
		cfg.Events.MeetingURL, cfg.Events.Secret = tmpl, "a secret of sixteen+"
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", tmpl, err)
		}
	}
	for _, tmpl := range []string{"https://{user}.rooms.example/{room}", "https://rooms-{user}.example?room={room}"} {
		cfg := DefaultNode()
		cfg.Events.MeetingURL = tmpl
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "events.meeting_url: has {user} in its host") {
			t.Errorf("%s: %v", tmpl, err)
		}
	}
}

// s3Config is a valid bucket.
func s3Config() S3 {
	return S3{Endpoint: "https://s3.example.org", Bucket: "twinfed-it", AccessKey: "AKIAEXAMPLE", SecretKey: "from-the-environment"}
}

// TestMaterials_S3: the s3 backend with a bucket, keys and a secret file
// passes, and the secret is read from the file (under data_dir when
// relative) or the environment.
func TestMaterials_S3(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s3.secret"), []byte("file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := DefaultNode()
	c.DataDir = dir
	c.Materials.Backend = "s3"
	c.Materials.S3 = s3Config()
	c.Materials.S3.SecretKey, c.Materials.S3.SecretKeyFile = "", "s3.secret"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Materials.S3.Secret(c.DataDir); err != nil || got != "file-secret" {
		t.Fatalf("Secret = %q, %v", got, err)
	}
	c.Materials.S3.SecretKeyFile = ""
	if err := LoadEnv("", &c, []string{"TWINFED_MATERIALS_S3_SECRET_KEY=env-secret"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Materials.S3.Secret(c.DataDir); got != "env-secret" {
		t.Fatalf("Secret from the environment = %q", got)
	}
}

func TestMaterials_Path(t *testing.T) {
	m := DefaultMaterials()
	if got := m.Path("/var/lib/twinfed"); got != "/var/lib/twinfed/blobs" {
		t.Errorf("default path: %s", got)
	}
	m.Dir = "/srv/blobs"
	if got := m.Path("/var/lib/twinfed"); got != "/srv/blobs" {
		t.Errorf("absolute path: %s", got)
	}
	if m.MaxFileBytes() != 100<<20 || m.TwinSpaceQuotaBytes() != 2<<30 || m.NodeQuotaBytes() != 200<<30 {
		t.Errorf("bytes: %d %d %d", m.MaxFileBytes(), m.TwinSpaceQuotaBytes(), m.NodeQuotaBytes())
	}
}

func TestNode_Environment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.toml")
	if err := os.WriteFile(path, []byte("country = \"FR\"\n[mail]\nsmtp_host = \"smtp.example\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultNode()
	err := LoadEnv(path, &cfg, []string{"TWINFED_ACCOUNTS_ARGON_THREADS=4", "TWINFED_MAIL_PASSWORD=secret", "TWINFED_ELIGIBILITY_ACCEPTED_ROLES=teacher,librarian"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Country != "FR" || cfg.Accounts.ArgonThreads != 4 || cfg.Mail.Password != "secret" || len(cfg.Eligibility.AcceptedRoles) != 2 {
		t.Fatalf("%+v", cfg)
	}
	if err := os.WriteFile(path, []byte("[accounts]\nargon_tme = 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = DefaultNode()
	if err := LoadEnv(path, &cfg, nil); err == nil || !strings.Contains(err.Error(), "argon_tme") {
		t.Fatalf("typo not reported: %v", err)
	}
}

func TestNode_Languages(t *testing.T) {
	for _, code := range twinfed.UILanguageCodes() {
		cfg := DefaultNode()
		cfg.Languages = []string{code, "en"}
		if code == "en" {
			cfg.Languages = []string{"en"}
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("languages = %v: %v", cfg.Languages, err)
		}
	}
	cfg := DefaultNode()
	cfg.Languages = []string{"de", "klingon", "de"}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("an unknown language and a repeated one are accepted")
	}
	for _, want := range []string{`languages[1]: "klingon" is unknown; use one of`, "bg cs da de el en", "az ka uk ar", `languages[2]: "de" is listed twice`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no %q in %v", want, err)
		}
	}
	// Left out, the languages are the country's, then English.
	cfg = DefaultNode()
	cfg.Country = "BE"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := cfg.UILanguages(); !slices.Equal(got, []string{"nl", "fr", "de", "en"}) {
		t.Errorf("BE's languages: %v", got)
	}
	cfg.Country = "ZZ"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "languages: is empty") {
		t.Errorf("no languages for an unknown country: %v", err)
	}
}

// TestNode_Store: the [store] section from a file and the environment,
// its defaults when left out, and what it costs in all.
func TestNode_Store(t *testing.T) {
	cfg := DefaultNode()
	if got := cfg.Store.MaxBytes(); got != 112<<20 {
		t.Errorf("default store memory %d MiB, want 112", got>>20)
	}
	path := filepath.Join(t.TempDir(), "node.toml")
	if err := os.WriteFile(path, []byte("parse_all_languages = true\n[store]\nblock_cache_mib = 64\nmemtables = 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := LoadEnv(path, &cfg, []string{"TWINFED_STORE_INDEX_CACHE_MIB=8"}); err != nil {
		t.Fatal(err)
	}
	if want := (Store{IndexCacheMiB: 8, BlockCacheMiB: 64, MemTableMiB: 32, Memtables: 3}); cfg.Store != want || !cfg.ParseAllLanguages {
		t.Errorf("store %+v, parse_all_languages %v; want %+v, true", cfg.Store, cfg.ParseAllLanguages, want)
	}
}
