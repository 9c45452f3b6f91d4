package web

import (
	"log/slog"

	"github.com/microcosm-cc/bluemonday"
	"github.com/twinfed/twinfed"
)

// NewHTMLPolicy returns the policy that every feature sanitises members'
// HTML with on input (profile descriptions, messages, project texts,
// TwinSpace posts, and the same from other nodes): the little formatting
// they need, links with rel="nofollow", nothing else. Templates show such
// text with the "html" function only because it went through this policy.
func NewHTMLPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "b", "strong", "i", "em", "ul", "ol", "li")
	p.AllowStandardURLs()
	p.AllowAttrs("href").OnElements("a")
	p.RequireNoFollowOnLinks(true)
	return p
}

// Internal turns err into what a member or a remote node may see: a domain
// error other than EINTERNAL is returned as it is; anything else is logged
// with op and replaced by EINTERNAL's generic message, so that no internal
// detail leaves the node. Nil stays nil.
func Internal(log *slog.Logger, op string, err error) error {
	if err == nil {
		return nil
	}
	if c := twinfed.ErrorCode(err); c != twinfed.EINTERNAL {
		return err
	}
	log.Error(op, "err", err)
	return &twinfed.Error{Code: twinfed.EINTERNAL, Message: "Something went wrong on our side. Please try again later."}
}
