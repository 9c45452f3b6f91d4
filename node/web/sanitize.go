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

// ErrRegistryDown is what a member or staff read when the registry cannot
// answer: EUNAVAILABLE.
func ErrRegistryDown() error {
	return twinfed.Errorf(twinfed.EUNAVAILABLE, "The school registry is not reachable right now; try again in a few minutes.")
}

// RegistryErr turns an error of the registry into what a member or staff
// may see: an unexpected one (EINTERNAL) is logged with op and shown as
// ErrRegistryDown; the registry's domain errors pass as they are.
func RegistryErr(log *slog.Logger, op string, err error) error {
	if twinfed.ErrorCode(err) == twinfed.EINTERNAL {
		log.Error("registry "+op, "err", err)
		return ErrRegistryDown()
	}
	return err
}
