package node

import (
	"github.com/twinfed/twinfed"
)

// Profiles as they arrive from other nodes, routed here by the inbox
// (inbox.go): a profile is taken only from its own node. Contacts, follows
// and messages are package social's (node/social/inbox.go).

func drop(format string, args ...any) error { return twinfed.Errorf(twinfed.EINVALID, format, args...) }
