package twinspace

import "github.com/twinfed/twinfed"

// IndexPrefix is the key prefix under which the objects of kind under
// parent ("" for the top) are indexed, oldest first: each key ends with
// "<created, RFC 3339 nano UTC> <object id>". For a tool that pages or
// counts a long list without reading every object (the forum's replies).
func IndexPrefix(project string, kind twinfed.SpaceKind, parent string) string {
	return indexPrefix(project, kind, parent)
}
