// Package store is the national node's Badger store: the DB, its
// transactions with after-commit hooks, the JSON and key helpers every
// feature uses, and (keys.go) the table of every key prefix of the node,
// with the feature that owns each.
//
// Every package of the node reads and writes through a *Store: the
// assembly (package node) opens it, the kits (notice, outbox) and the
// features use it, and the federation's outbox writes its own keys ("fed/")
// in the same DB, inside the transactions of Update, so that a state change
// and the activities announcing it commit together.
//
// Values are JSON (GetJSON, SetJSON), index entries are empty values under
// a key that carries the data (KeysUnder, CountPrefix). A feature keeps to
// the prefixes keys.go gives it; TestKeys_NoPrefixOverlaps checks that no
// prefix lies under another, so that a scan of one never reads another's
// records.
package store
