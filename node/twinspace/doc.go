// Package twinspace is the national node's TwinSpace feature: the
// workspace of an approved project, opened on the project's home node when
// the project is approved (exactly one per project), and its board of
// posts, shared by the home node with every partner node; its web page and
// JSON API.
//
// It reacts to the project feature (package project, whose projects it
// reads through Projects) by hooks registered at assembly (Hooks): a
// project approved opens its TwinSpace; a partner approved later gets the
// posts so far when no other member of their node receives them.
//
// The rules are the root package's: who enters a TwinSpace,
// twinfed.(*Project).InTwinSpace (the approved partners of an approved or
// closed project; never the agency); who may post,
// twinfed.(*Project).CanPostInTwinSpace (not once the project is closed:
// the TwinSpace is then read-only); its members,
// twinfed.(*Project).TwinSpaceMembers; its URL, twinfed.TwinSpaceURL.
// Posting from another node goes to the project's Group on the home node
// (Create{Note}), which stores it and shares it (Announce by the Group).
//
// Keys it owns (node/store/keys.go): store.PrefixTwinSpace (ts/, one
// TwinSpace per project, on the home node) and store.PrefixPost (tp/, the
// posts, on the home node and on every partner node).
package twinspace
