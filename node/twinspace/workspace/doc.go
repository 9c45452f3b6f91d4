// Package workspace assembles the TwinSpace with its tools: the core
// (node/twinspace: the object store, the roster, Home, Members, the live
// hub, replication between partner nodes) and the five tools built on it,
// Pages, Materials, the forum (discuss), the Chat and the project diary.
// New builds them together, on the projects and the pupils' accounts, and
// Routes registers their pages and JSON API together; the tools stay
// unaware of one another except where New joins them (the page editor's
// picker lists the Materials' images).
//
// It also assembles the projects they are built on (assemble.go):
// AssembleProjects builds node/project on the node's kit (that package is
// at the size bound of a node package), and Assemble builds the
// TwinSpaces and adds the project pages, with the quality labels a card
// shows, and the TwinSpaces' pages to the node's routes.
//
// It sits between the tools and the node's assembly in the import order
// (node/doc.go): it names the tools' types so that the node need not.
package workspace
