package pagehtml

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
	"golang.org/x/net/html"
)

// Embeds is a node's list of embeddable services: the https addresses a
// TwinSpace page may show in an iframe. Each entry is a host and a path
// prefix (twinfed.CheckEmbedPrefix); an address is allowed when it is
// https on that host (port 443 at most), its path starts with the prefix
// ("*" is one whole segment), and the rest of its path has no "." or ".."
// segment, percent sign or backslash, so that a browser's normalisation
// cannot take it out of the prefix. A nil *Embeds allows nothing. The same
// compiled expression decides in Check, in the sanitiser and in
// EmbedURL.
type Embeds struct {
	prefixes []string
	hosts    []string // distinct, in the list's order
	re       *regexp.Regexp
}

// Path characters after an entry's prefix: a segment never starts with a
// dot, so that no "." or ".." segment follows a prefix that ends with "/".
const (
	segStart = `[A-Za-z0-9_~\-]`
	segChar  = `[A-Za-z0-9_~.+,;=:@!$\-]`
	segment  = segStart + segChar + `*`
	tail     = `(?:/(?:` + segment + `)?)*` + `(?:\?[^#\s"'<>\\` + "`" + `]*)?(?:#[^\s"'<>\\` + "`" + `]*)?`
)

// NewEmbeds compiles a list of entries, refusing the first one that
// twinfed.CheckEmbedPrefix refuses.
func NewEmbeds(prefixes []string) (*Embeds, error) {
	e := &Embeds{prefixes: append([]string(nil), prefixes...)}
	alts := make([]string, 0, len(prefixes))
	for _, p := range prefixes {
		if err := twinfed.CheckEmbedPrefix(p); err != nil {
			return nil, err
		}
		host, path, _ := strings.Cut(p, "/")
		if !slices.Contains(e.hosts, host) {
			e.hosts = append(e.hosts, host)
		}
		var b strings.Builder
		b.WriteString(`(?i:https://` + regexp.QuoteMeta(host) + `)(?::443)?/`)
		for i, seg := range strings.Split(path, "/") {
			if i > 0 {
				b.WriteString("/")
			}
			if seg == "*" {
				b.WriteString(segment)
			} else {
				b.WriteString(regexp.QuoteMeta(seg))
			}
		}
		if path == "" || strings.HasSuffix(path, "/") {
			b.WriteString(`(?:` + segment + `)?`)
		} else {
			b.WriteString(segChar + `*`)
		}
		b.WriteString(tail)
		alts = append(alts, b.String())
	}
	if len(alts) > 0 {
		e.re = regexp.MustCompile(`^(?:` + strings.Join(alts, "|") + `)$`)
	}
	return e, nil
}

// Allows reports whether src is an address a page may embed.
func (e *Embeds) Allows(src string) bool {
	return e != nil && e.re != nil && e.re.MatchString(src)
}

// Prefixes returns the entries of the list.
func (e *Embeds) Prefixes() []string {
	if e == nil {
		return nil
	}
	return append([]string(nil), e.prefixes...)
}

// Hosts returns the list's distinct hosts, to name the services a
// teacher may embed from.
func (e *Embeds) Hosts() []string {
	if e == nil {
		return nil
	}
	return append([]string(nil), e.hosts...)
}

// FrameSources returns the Content-Security-Policy frame-src sources of a
// page that shows embeds: https://<host> for each host of the list.
func (e *Embeds) FrameSources() []string {
	var out []string
	for _, h := range e.Hosts() {
		out = append(out, "https://"+h)
	}
	return out
}

// pattern returns the expression Allows matches, for the sanitiser; one
// that matches nothing for an empty list.
func (e *Embeds) pattern() *regexp.Regexp {
	if e == nil || e.re == nil {
		return regexp.MustCompile(`^\b\B$`)
	}
	return e.re
}

var (
	youtubeID = regexp.MustCompile(`^[A-Za-z0-9_-]{11}$`)
	digits    = regexp.MustCompile(`^[0-9]+$`)
	idToken   = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// EmbedURL turns what a teacher pastes into the editor's embed field (a
// service's ordinary link, such as a YouTube watch, short or youtu.be
// link, a Vimeo page, a GeoGebra or H5P page, a Quizlet set, a Padlet
// board, a Canva design, a published Google document; or an embed code
// with an iframe; or an embed address itself) into the address of its
// embed, and reports whether allow allows it. YouTube is embedded from
// www.youtube-nocookie.com, which sets no cookie until the video plays.
func EmbedURL(pasted string, allow *Embeds) (src string, ok bool) {
	s := strings.TrimSpace(pasted)
	if strings.Contains(s, "<") {
		s = iframeSrc(s)
	}
	if !strings.Contains(s, "://") && s != "" {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", false
	}
	u.Scheme = "https"
	u.Host = strings.ToLower(u.Host)
	u.User = nil
	u = embedOf(u)
	src = u.String()
	return src, allow.Allows(src)
}

// iframeSrc returns the src of the first iframe of an embed code.
func iframeSrc(code string) string {
	z := html.NewTokenizer(strings.NewReader(code))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if t.Data != "iframe" {
				continue
			}
			for _, a := range t.Attr {
				if a.Key == "src" {
					return strings.TrimSpace(a.Val)
				}
			}
		}
	}
}

// embedOf maps a service's page address to its embed address; any other
// address is returned as it is.
func embedOf(u *url.URL) *url.URL {
	host := strings.TrimPrefix(u.Hostname(), "www.")
	seg := strings.Split(strings.Trim(u.Path, "/"), "/")
	q := u.Query()
	embed := func(raw string) *url.URL {
		v, err := url.Parse(raw)
		if err != nil {
			return u
		}
		return v
	}
	switch host {
	case "youtube.com", "m.youtube.com", "youtu.be", "youtube-nocookie.com", "music.youtube.com":
		id := ""
		switch {
		case host == "youtu.be":
			id = seg[0]
		case seg[0] == "watch":
			id = q.Get("v")
		case len(seg) >= 2 && (seg[0] == "shorts" || seg[0] == "embed" || seg[0] == "live" || seg[0] == "v"):
			id = seg[1]
		}
		if !youtubeID.MatchString(id) {
			return u
		}
		out := "https://www.youtube-nocookie.com/embed/" + id
		if start := youtubeStart(q.Get("t"), q.Get("start")); start > 0 {
			out += "?start=" + strconv.Itoa(start)
		}
		return embed(out)
	case "vimeo.com", "player.vimeo.com":
		// vimeo.com/123, vimeo.com/123/abcdef (unlisted), vimeo.com/channels/x/123
		for i, s := range seg {
			if !digits.MatchString(s) {
				continue
			}
			out := "https://player.vimeo.com/video/" + s
			if h := q.Get("h"); idToken.MatchString(h) {
				out += "?h=" + h
			} else if i+1 < len(seg) && idToken.MatchString(seg[i+1]) && !digits.MatchString(seg[i+1]) {
				out += "?h=" + seg[i+1]
			}
			return embed(out)
		}
	case "padlet.com":
		// padlet.com/<user>/<title>-<id> → padlet.com/embed/<id>
		if len(seg) == 2 && seg[0] != "embed" {
			parts := strings.Split(seg[1], "-")
			if id := parts[len(parts)-1]; idToken.MatchString(id) {
				return embed("https://padlet.com/embed/" + id)
			}
		}
	case "learningapps.org":
		if len(seg) == 1 && digits.MatchString(seg[0]) {
			return embed("https://learningapps.org/watch?app=" + seg[0])
		}
	case "geogebra.org":
		// geogebra.org/m/<id> → the material's iframe
		if len(seg) == 2 && (seg[0] == "m" || seg[0] == "material") && idToken.MatchString(seg[1]) {
			return embed("https://www.geogebra.org/material/iframe/id/" + seg[1])
		}
	case "h5p.org":
		if len(seg) == 2 && seg[0] == "node" && digits.MatchString(seg[1]) {
			return embed("https://h5p.org/h5p/embed/" + seg[1])
		}
	case "quizlet.com":
		// quizlet.com[/<locale>]/<number>/<title>/ → quizlet.com/<number>/flashcards/embed
		for _, s := range seg {
			if digits.MatchString(s) {
				if len(seg) >= 2 && seg[len(seg)-1] == "embed" {
					return u
				}
				return embed("https://quizlet.com/" + s + "/flashcards/embed")
			}
		}
	case "canva.com":
		// canva.com/design/<id>/<token>/view → …/view?embed
		if last := seg[len(seg)-1]; len(seg) >= 3 && seg[0] == "design" && (last == "view" || last == "edit") {
			seg[len(seg)-1] = "view"
			return embed("https://www.canva.com/" + strings.Join(seg, "/") + "?embed")
		}
	case "docs.google.com":
		// A published document or form embeds with ?embedded=true, a
		// published presentation from /embed.
		if len(seg) >= 4 && seg[0] == "presentation" && seg[len(seg)-1] == "pub" {
			seg[len(seg)-1] = "embed"
			return embed("https://docs.google.com/" + strings.Join(seg, "/"))
		}
		if len(seg) >= 4 && (seg[0] == "document" && seg[len(seg)-1] == "pub" || seg[0] == "forms" && seg[len(seg)-1] == "viewform") {
			return embed("https://docs.google.com/" + strings.Join(seg, "/") + "?embedded=true")
		}
	}
	return u
}

// youtubeStart reads a YouTube start time: 90, 90s, 1m30s or 1h2m3s.
func youtubeStart(vals ...string) int {
	for _, v := range vals {
		if v == "" {
			continue
		}
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
		total, n := 0, 0
		for _, c := range v {
			switch {
			case c >= '0' && c <= '9':
				n = n*10 + int(c-'0')
			case c == 'h':
				total, n = total+n*3600, 0
			case c == 'm':
				total, n = total+n*60, 0
			case c == 's':
				total, n = total+n, 0
			default:
				return 0
			}
		}
		return total + n
	}
	return 0
}

// EmbedLookup is the JSON endpoint of the editor's embed field (GET with
// ?url=): {"src": …} with the address EmbedURL made of the pasted url,
// or a 400 error whose message, in the reader's language, names the host
// that is not on allow and the services that are. A feature registers it
// (k.API) where its editor's data-embed attribute points (web.Editor).
func EmbedLookup(k *web.Kit, allow *Embeds) web.APIHandler {
	return func(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
		src, ok := EmbedURL(r.URL.Query().Get("url"), allow)
		if ok {
			web.WriteJSON(w, http.StatusOK, map[string]string{"src": src})
			return
		}
		err := embedRefused(src, allow)
		var body web.APIError
		body.Error.Code = twinfed.EINVALID
		body.Error.Message = k.Catalog().ErrorText(st.Lang, err)
		web.WriteJSON(w, http.StatusBadRequest, body)
	}
}

// embedRefused is the error of an address allow does not allow.
func embedRefused(src string, allow *Embeds) *twinfed.Error {
	host := twinfed.URLHost(src)
	if host == "" {
		return twinfed.Errorf(twinfed.EINVALID, "Paste the address of a video, board, quiz or document from one of these services: %s.", strings.Join(allow.Hosts(), ", "))
	}
	return twinfed.Errorf(twinfed.EINVALID, "%s is not on this node's list of services a page may embed; use one of these: %s.", host, strings.Join(allow.Hosts(), ", "))
}

// String describes the list, for logs and errors.
func (e *Embeds) String() string { return fmt.Sprint(e.Prefixes()) }
