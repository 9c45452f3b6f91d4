package config

import (
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/twinfed/twinfed"
)

// Node configures a national node (`twinfed node serve`).
type Node struct {
	Country  string `toml:"country"`   // the node's country code, e.g. IT
	BaseURL  string `toml:"base_url"`  // public base URL, e.g. https://it.twinfed.example; actor ids live under it
	DataDir  string `toml:"data_dir"`  // Badger store, key pair, mail spool
	HTTPAddr string `toml:"http_addr"` // bind address of the web UI, JSON API and ActivityPub endpoints
	// MetricsAddr is where /metrics is served (Prometheus), apart from the
	// public http_addr; empty: on http_addr (only for a node that the
	// internet cannot reach).
	MetricsAddr string `toml:"metrics_addr"`
	// Languages are the UI languages offered, the first the default; empty:
	// the country's official languages, then English (UILanguages).
	Languages []string `toml:"languages"`
	Registry  []string `toml:"registry"` // registry member URLs, tried in turn
	// RegistryTLS: the CA and client certificate for an https registry.
	RegistryTLS RegistryClientTLS `toml:"registry_tls"`
	// PageCacheMiB is the memory for rendered public profile pages served
	// to visitors without a session: 0 keeps the default (32 MiB, about
	// 12,000 pages), -1 turns the cache off.
	PageCacheMiB int64 `toml:"page_cache_mib"`
	// ParseAllLanguages parses the pages of every offered language at
	// start, so that a template broken by a translation stops the node
	// there; false (the default) parses the first language at start and
	// each other one when a page is first shown in it (about 13 MiB and
	// 0.2 s a language).
	ParseAllLanguages bool                `toml:"parse_all_languages"`
	Store             Store               `toml:"store"`
	Agency            Agency              `toml:"agency"`
	Mail              Mail                `toml:"mail"`
	Eligibility       twinfed.Eligibility `toml:"eligibility"`
	Accounts          Accounts            `toml:"accounts"`
	Limits            Limits              `toml:"limits"`
	TLS               NodeTLS             `toml:"tls"`
	Federation        Federation          `toml:"federation"`
	Events            Events              `toml:"events"`
	TwinSpace         TwinSpace           `toml:"twinspace"`
	Materials         Materials           `toml:"materials"`
	Log               Log                 `toml:"log"`
}

// Agency configures the node's national agency (NSO).
type Agency struct {
	Name string `toml:"name"` // shown in the back office and in e-mails
	// APIToken, when set, is a bearer token that acts as an agency admin on
	// the JSON API (for `twinfed admin` and scripts). Keep it secret; at
	// least 32 characters.
	APIToken string `toml:"api_token"`
}

// Mail configures outgoing e-mail. With no SMTP host, mails are written to
// the spool directory and logged, so that a demo works offline.
type Mail struct {
	From     string `toml:"from"`      // sender address
	SpoolDir string `toml:"spool_dir"` // where mails go without SMTP; relative to data_dir when not absolute
	SMTPHost string `toml:"smtp_host"` // empty: spool only
	SMTPPort int    `toml:"smtp_port"` // 587 (STARTTLS) or 465 (implicit TLS) usually
	Username string `toml:"username"`  // SMTP credentials; empty for none
	Password string `toml:"password"`
	TLS      string `toml:"tls"` // starttls, implicit or none
}

// Events configures the node's events and its meeting rooms. There is no
// video server in Twinfed: a meeting-room provider (Jitsi Meet,
// BigBlueButton…) is named by a URL template.
type Events struct {
	// Rooms is how many meeting rooms the provider offers at once: the
	// online events that may overlap.
	Rooms int `toml:"rooms"`
	// MaxParticipants is the places of an online event (100 by default).
	MaxParticipants int `toml:"max_participants"`
	// MeetingURL is the join link's template: {room} is replaced by the
	// room's name, {name} by the participant's display name, {user} by
	// the participant's id in the event (opaque and stable: hex
	// HMAC-SHA256 of the event and the participant, keyed by the node
	// secret, so that the service can report who attended without
	// learning who they are), {expires} and {signature} by a signed
	// link's expiry and HMAC-SHA256 (hex) when Secret is set. The link is
	// always the event's home node's, for other nodes' members too.
	// Empty: events show no meeting room link.
	MeetingURL string `toml:"meeting_url"`
	// Secret signs join links for services that check them, and
	// authenticates the meeting room's presence reports (POST
	// /events/presence: BigBlueButton's analytics callback, whose JWT it
	// signs); empty: no reports are taken.
	Secret string `toml:"meeting_secret"`
	// FileMaxMB is the largest file of an event's archive (20 MB by
	// default); FilesQuotaMB the room of one event's files together (200
	// MB by default).
	FileMaxMB    int64 `toml:"file_max_mb"`
	FilesQuotaMB int64 `toml:"files_quota_mb"`
}

// DefaultEvents returns four meeting rooms, 100 places and a Jitsi Meet
// room per event.
func DefaultEvents() Events {
	return Events{Rooms: 4, MaxParticipants: 100, MeetingURL: "https://meet.jit.si/twinfed-{room}", FileMaxMB: 20, FilesQuotaMB: 200}
}

func (e Events) validate(p *Problems, key string) {
	if e.Rooms < 1 || e.Rooms > 1000 {
		p.Addf(key+".rooms", "%d is not a number of meeting rooms; use 1 to 1000", e.Rooms)
	}
	if e.MaxParticipants < 2 || e.MaxParticipants > 10000 {
		p.Addf(key+".max_participants", "%d places is out of bounds; use 2 to 10000 (100 by default)", e.MaxParticipants)
	}
	if e.MeetingURL != "" {
		if u, err := url.Parse(strings.NewReplacer("{", "", "}", "").Replace(e.MeetingURL)); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.Addf(key+".meeting_url", "%q is not an absolute URL such as https://meet.jit.si/twinfed-{room}", e.MeetingURL)
		}
		if !strings.Contains(e.MeetingURL, "{room}") {
			p.Addf(key+".meeting_url", "has no {room}; every event needs a room of its own")
		}
		if strings.Contains(e.MeetingURL, "{user}") {
			// The participant's id goes to the provider, in the path or the
			// query: a host named after it would send each participant to
			// a server of their own.
			_, rest, _ := strings.Cut(e.MeetingURL, "://")
			if end := strings.IndexAny(rest, "/?#"); end >= 0 && strings.Contains(rest[:end], "{user}") || end < 0 && strings.Contains(rest, "{user}") {
				p.Addf(key+".meeting_url", "has {user} in its host; put the participant's id in the path or the query, e.g. https://rooms.example/{room}?user={user}")
			}
		}
	}
	if e.Secret != "" && len(e.Secret) < 16 {
		p.Addf(key+".meeting_secret", "is too short; use at least 16 random characters")
	}
	if e.FileMaxMB < 1 || e.FileMaxMB > 4096 {
		p.Addf(key+".file_max_mb", "%d MB is out of bounds for an event's file; use 1 to 4096 (20 by default)", e.FileMaxMB)
	}
	if e.FilesQuotaMB < e.FileMaxMB || e.FilesQuotaMB > 1<<20 {
		p.Addf(key+".files_quota_mb", "%d MB is out of bounds for an event's files; use file_max_mb (%d) to 1048576 (200 by default)", e.FilesQuotaMB, e.FileMaxMB)
	}
}

// TwinSpace configures the projects' TwinSpaces.
type TwinSpace struct {
	// Embeds are the services a TwinSpace page may embed (videos, boards,
	// quizzes, documents): each a host and a path prefix of its embed
	// addresses, "*" standing for one whole path segment
	// (twinfed.CheckEmbedPrefix). An empty list allows no embed.
	Embeds []string `toml:"embeds"`
}

// DefaultEmbeds returns the education services a page may embed unless
// the node lists its own.
func DefaultEmbeds() []string {
	return []string{
		"www.youtube-nocookie.com/embed/",          // YouTube, without cookies until the video plays
		"player.vimeo.com/video/",                  // Vimeo
		"padlet.com/embed/",                        // Padlet boards
		"learningapps.org/watch",                   // LearningApps
		"wordwall.net/embed/",                      // Wordwall
		"view.genial.ly/",                          // Genially
		"docs.google.com/document/d/e/*/pub",       // a published Google document
		"docs.google.com/presentation/d/e/*/embed", // a published Google presentation
		"docs.google.com/forms/d/e/*/viewform",     // a Google form
		"h5p.org/h5p/embed/",                       // H5P
		"www.canva.com/design/",                    // Canva designs (…/view?embed)
		"quizlet.com/*/*/embed",                    // Quizlet sets
		"www.geogebra.org/material/iframe/",        // GeoGebra
		"www.menti.com/",                           // Mentimeter, the voting page
		"www.mentimeter.com/app/presentation/",     // Mentimeter presentations
		"read.bookcreator.com/",                    // Book Creator
	}
}

func (t TwinSpace) validate(p *Problems, key string) {
	for i, e := range t.Embeds {
		if err := twinfed.CheckEmbedPrefix(e); err != nil {
			p.Addf(key+".embeds["+itoa(i)+"]", "%s", err.Error())
		}
		if slices.Index(t.Embeds, e) < i {
			p.Addf(key+".embeds["+itoa(i)+"]", "%q is listed twice", e)
		}
	}
}

// Accounts configures sessions, links, passwords and limits.
type Accounts struct {
	SessionLifetime time.Duration `toml:"session_lifetime"` // a session expires this long after login
	SecureCookies   string        `toml:"secure_cookies"`   // auto (Secure when base_url is https), always or never
	ConfirmLinkTTL  time.Duration `toml:"confirm_link_ttl"` // lifetime of the e-mail confirmation link
	ResetLinkTTL    time.Duration `toml:"reset_link_ttl"`   // lifetime of a password-reset link
	LoginAttempts   int           `toml:"login_attempts"`   // failed logins allowed per username+IP in login_window
	LoginWindow     time.Duration `toml:"login_window"`
	MaxUploadBytes  int64         `toml:"max_upload_bytes"` // largest photo accepted
	MaxFormBytes    int64         `toml:"max_form_bytes"`   // largest form or JSON body accepted
	ArgonTime       uint32        `toml:"argon_time"`       // argon2id passes
	ArgonMemoryKiB  uint32        `toml:"argon_memory_kib"` // argon2id memory
	ArgonThreads    uint32        `toml:"argon_threads"`    // argon2id lanes
}

// DefaultAccounts returns production account settings: argon2id with
// time=2, 64 MiB, 2 lanes (OWASP's recommendation class).
func DefaultAccounts() Accounts {
	return Accounts{
		SessionLifetime: 14 * 24 * time.Hour,
		SecureCookies:   "auto",
		ConfirmLinkTTL:  48 * time.Hour,
		ResetLinkTTL:    time.Hour,
		LoginAttempts:   5,
		LoginWindow:     15 * time.Minute,
		MaxUploadBytes:  2 << 20,
		MaxFormBytes:    64 << 10,
		ArgonTime:       2,
		ArgonMemoryKiB:  64 * 1024,
		ArgonThreads:    2,
	}
}

// DefaultNode returns a node configuration for a loopback demo of Italy.
func DefaultNode() Node {
	return Node{
		Country:     "IT",
		BaseURL:     "http://127.0.0.1:8080",
		DataDir:     "node-data",
		HTTPAddr:    "127.0.0.1:8080",
		MetricsAddr: "127.0.0.1:9464",
		Registry:    []string{"http://127.0.0.1:7100"},
		Agency:      Agency{Name: "National Support Organisation"},
		Mail:        Mail{From: "no-reply@twinfed.example", SpoolDir: "mail-spool", SMTPPort: 587, TLS: "starttls"},
		Eligibility: twinfed.ItalianEligibility(),
		Accounts:    DefaultAccounts(),
		Limits:      DefaultLimits(),
		Federation:  DefaultFederation(),
		Events:      DefaultEvents(),
		TwinSpace:   TwinSpace{Embeds: DefaultEmbeds()},
		Materials:   DefaultMaterials(),
		Store:       DefaultStore(),
		Log:         Log{Level: "info", Format: "text"},
	}
}

// UILanguages returns the languages the node offers: Languages, or when
// it is empty the country's official languages and then English.
func (c *Node) UILanguages() []string {
	if len(c.Languages) > 0 {
		return c.Languages
	}
	return twinfed.DefaultUILanguages(c.Country)
}

func checkList(p *Problems, key string, list, known []string) {
	for i, v := range list {
		if !contains(known, v) {
			p.Addf(key+"["+itoa(i)+"]", "%q is unknown; use one of %v", v, known)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Validate checks every key and reports all problems at once.
func (c *Node) Validate() error {
	var p Problems
	if len(c.Country) != 2 {
		p.Addf("country", "%q is not a two-letter country code such as IT", c.Country)
	}
	checkBaseURL(&p, "base_url", c.BaseURL)
	if c.DataDir == "" {
		p.Addf("data_dir", "is empty; give a directory for the node's data")
	}
	checkAddr(&p, "http_addr", c.HTTPAddr)
	if c.MetricsAddr != "" {
		checkAddr(&p, "metrics_addr", c.MetricsAddr)
		if c.MetricsAddr == c.HTTPAddr {
			p.Addf("metrics_addr", "is the same as http_addr; give metrics their own address (or leave it empty to serve them on http_addr)")
		}
	}
	if c.PageCacheMiB < -1 || c.PageCacheMiB > 64<<10 {
		p.Addf("page_cache_mib", "must be between -1 (no cache) and 65536; 0 keeps the default of 32")
	}
	checkList(&p, "languages", c.Languages, twinfed.UILanguageCodes())
	for i, l := range c.Languages {
		if slices.Index(c.Languages, l) < i {
			p.Addf("languages["+itoa(i)+"]", "%q is listed twice", l)
		}
	}
	if len(c.Languages) == 0 && len(twinfed.CountryLanguages(c.Country)) == 0 && len(c.Country) == 2 {
		p.Addf("languages", "is empty and country %q is not a participating country whose languages are known; list the languages to offer, such as [\"en\"]", c.Country)
	}
	if len(c.Registry) == 0 {
		p.Addf("registry", "is empty; list the URLs of the registry members")
	}
	for i, u := range c.Registry {
		checkBaseURL(&p, "registry["+itoa(i)+"]", u)
	}
	if c.Agency.APIToken != "" && len(c.Agency.APIToken) < 32 {
		p.Addf("agency.api_token", "is too short (%d characters); use at least 32 random characters, or leave it empty to disable token access", len(c.Agency.APIToken))
	}
	if _, err := mail.ParseAddress(c.Mail.From); err != nil {
		p.Addf("mail.from", "%q is not an e-mail address such as no-reply@it.twinfed.example", c.Mail.From)
	}
	if c.Mail.SMTPHost == "" && c.Mail.SpoolDir == "" {
		p.Addf("mail.spool_dir", "is empty and no smtp_host is set; give one or the other so that mails go somewhere")
	}
	if c.Mail.SMTPHost != "" {
		if c.Mail.SMTPPort < 1 || c.Mail.SMTPPort > 65535 {
			p.Addf("mail.smtp_port", "%d is not a port; use 587 for STARTTLS or 465 for implicit TLS", c.Mail.SMTPPort)
		}
		switch c.Mail.TLS {
		case "starttls", "implicit", "none":
		default:
			p.Addf("mail.tls", "%q is not a mode; use starttls, implicit or none", c.Mail.TLS)
		}
	}
	c.Eligibility.Problems(func(key, problem string) { p.Addf(key, "%s", problem) })
	c.Limits.validate(&p, "limits")
	c.Events.validate(&p, "events")
	c.TwinSpace.validate(&p, "twinspace")
	c.Materials.validate(&p, "materials", c.DataDir)
	c.Store.validate(&p, "store")
	c.TLS.validate(&p, "tls", c.BaseURL)
	c.RegistryTLS.validate(&p, "registry_tls", c.Registry)
	a := c.Accounts
	if a.SessionLifetime < time.Minute {
		p.Addf("accounts.session_lifetime", "%s is too short; use at least 1m (336h is the default)", a.SessionLifetime)
	}
	switch a.SecureCookies {
	case "auto", "always", "never":
	default:
		p.Addf("accounts.secure_cookies", "%q is not a mode; use auto, always or never", a.SecureCookies)
	}
	if a.ConfirmLinkTTL < time.Minute {
		p.Addf("accounts.confirm_link_ttl", "%s is too short; use at least 1m (48h is the default)", a.ConfirmLinkTTL)
	}
	if a.ResetLinkTTL < time.Minute {
		p.Addf("accounts.reset_link_ttl", "%s is too short; use at least 1m (1h is the default)", a.ResetLinkTTL)
	}
	if a.LoginAttempts < 1 {
		p.Addf("accounts.login_attempts", "must be at least 1")
	}
	if a.LoginWindow < time.Second {
		p.Addf("accounts.login_window", "%s is too short; use at least 1s (15m is the default)", a.LoginWindow)
	}
	if a.MaxUploadBytes < 1024 {
		p.Addf("accounts.max_upload_bytes", "%d is too small; use at least 1024 (2097152 is the default)", a.MaxUploadBytes)
	}
	if a.MaxFormBytes < 4096 {
		p.Addf("accounts.max_form_bytes", "%d is too small; use at least 4096 (65536 is the default)", a.MaxFormBytes)
	}
	if a.ArgonTime < 1 {
		p.Addf("accounts.argon_time", "must be at least 1 (2 is the default)")
	}
	if a.ArgonMemoryKiB < 8 {
		p.Addf("accounts.argon_memory_kib", "must be at least 8 (65536 = 64 MiB is the default)")
	}
	if a.ArgonThreads < 1 {
		p.Addf("accounts.argon_threads", "must be at least 1 (2 is the default)")
	}
	c.Federation.validate(&p, "federation")
	c.Log.validate(&p, "log")
	return p.Err()
}
