// Package twinfed holds the domain of Twinfed, a federated eTwinning platform:
// the types every part of the system speaks (countries, schools, labels,
// members, profiles, federation activities), the service interfaces the
// adapters implement, and the one domain error type.
//
// It imports only the standard library. The adapters live in their own
// packages: node (a country's national node), federation (ActivityPub between
// nodes), consensus (the Raft registry cluster) and config; cmd/twinfed wires
// them together. See ../docs for the design notes.
package twinfed
