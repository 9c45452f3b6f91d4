// Package workspace assembles the TwinSpace with its tools: the core
// (node/twinspace: the object store, the roster, Home, Members, the live
// hub, replication between partner nodes) and the five tools built on it,
// Pages, Materials, the forum (discuss), the Chat and the project diary.
// The node builds them together with New, on the projects and the pupils'
// accounts, and registers their pages and JSON API together with Routes;
// the tools stay unaware of one another except where New joins them (the
// page editor's picker lists the Materials' images).
//
// It sits between the tools and the node's assembly in the import order
// (node/doc.go): it names the tools' types so that the node need not.
package workspace
