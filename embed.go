package twinfed

import (
	"fmt"
	"strings"
)

// CheckEmbedPrefix is the rule of one entry of a node's list of embeddable
// services (the [twinspace] embeds of its configuration): a TwinSpace page
// may hold an iframe only when its https address starts with an entry.
// An entry is a host and a path prefix, "player.vimeo.com/video/": the
// host a lower-case DNS name, the path made of letters, digits and
// - . _ ~ with "*" standing for exactly one whole path segment
// ("quizlet.com/*/*/embed"), and no "." or ".." segment, so that no
// address can climb out of the prefix. It returns nil or an error saying
// what is wrong with entry.
func CheckEmbedPrefix(entry string) error {
	host, path, ok := strings.Cut(entry, "/")
	if !ok || host == "" {
		return fmt.Errorf("%q is not a host and a path prefix such as player.vimeo.com/video/", entry)
	}
	if !strings.Contains(host, ".") {
		return fmt.Errorf("%q: the host %q is not a full domain name", entry, host)
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q: the host %q is not a domain name", entry, host)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("%q: the host %q has %q; write it in lower case letters, digits, dots and hyphens", entry, host, c)
			}
		}
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("%q: the path may not hold a %q segment", entry, seg)
		}
		if strings.Contains(seg, "*") && seg != "*" {
			return fmt.Errorf("%q: \"*\" stands for a whole path segment, as in quizlet.com/*/*/embed", entry)
		}
		for _, c := range seg {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~*", c)) {
				return fmt.Errorf("%q: the path has %q; use letters, digits, - . _ ~ and * for a segment", entry, c)
			}
		}
	}
	return nil
}
