// Package pages is the TwinSpace's Pages tool: a tree of pages that the
// project's teachers write together, with sub-pages, drafts and published
// pages, and the history of every save.
//
// A page is a twinfed.SpaceObject of kind page (Parent: its parent page,
// Order: its place among its siblings, Public: published), replicated by
// the TwinSpace's core (node/twinspace) like every tool's content. Every
// save of its text is also an object of kind revision (Parent: the page,
// never changed) with its author and time, written in the same
// transaction (twinspace.EditAll): a teacher sees what each save changed
// (pagehtml.Diff) and restores an older one, as a new save.
//
// The rules:
//   - who may do what is twinfed.SpaceCan, asked through the core's View:
//     pageNeeds maps each change to its action (SpaceCreatePage,
//     SpaceEditPage, SpacePublishPage, SpaceReorderPages; deleting is the
//     author's SpaceEditOwn or an administrator's SpaceManageOthers), on
//     the writer's node and again on the project's home node;
//   - what a page may hold is node/web/pagehtml's Policy: Save refuses a
//     script, an event handler, a javascript: address or an embed of a
//     service the node does not list, with a message naming it, and
//     changes nothing; every node sanitises what it stores (checkPage);
//   - two people editing one page: a save carries Base, the version its
//     writer edited; when someone saved the text since, the save is
//     refused with a Conflict naming who saved when, the writer's text is
//     kept in the form, with a link to what the other save changed. Two
//     saves made at once on two nodes both reach every node as revisions:
//     the page shows the one the core's ordering rule keeps, says that it
//     was edited concurrently, and the other is in its history. No edit
//     is ever silently lost.
//   - a published page is read by anyone, without an account, at
//     /twinspace/pages?id=<project>&page=<page> on the project's home node
//     and on every partner node, and in public mode.
//
// Keys: none of its own; its objects are the core's (store.PrefixSpace…).
package pages
