// Package project is the national node's project feature: founding a
// project with a partner from another school, its drafts and edits,
// invitations and the partners' answers, the agencies' decisions on their
// members' participation (kept with a signed proof), closing and deletion,
// the federated search of public projects, the start certificate (PDF),
// the agency's approval queue, and the web pages and JSON API of all that.
//
// A project lives on its founder's node (the home node), whose record is
// authoritative; the project's id is the URL of its Group actor there.
// Every other node involved (partners', their agencies') keeps a copy, and
// every node keeps a copy of approved and closed projects for the
// federated project search. Only the home node changes a project: the
// others send it requests (Invite, Accept or Reject of an invitation, an
// agency's decision, a founder's Update or Delete) and it answers every
// change with Update{Group} carrying the whole project and a higher
// Version, which every copy takes when it is newer than what it holds. A
// node that joined late or missed updates pages through the other nodes'
// public projects (backfill.go), as the directory does for profiles.
//
// The rules are the root package's; the service asks them and enforces
// their answers:
//
//   - who may see, edit, delete, close, answer, invite, decide and download
//     certificates: twinfed.(*Project).Permissions, with the viewer as
//     twinfed.ProjectViewer;
//   - the two founders come from different schools:
//     twinfed.FoundersFromDifferentSchools (twinfed.MsgFoundersSameSchool);
//   - a participation waits for its agency: twinfed.(*Project).AwaitsAgency;
//     a decision and what it means for the project (approved once every
//     agency approved: EveryAgencyApproved): twinfed.(*Project).ApplyDecision;
//   - who enters the TwinSpace: twinfed.(*Project).InTwinSpace (the
//     TwinSpace itself is package twinspace's, which reacts to the hooks
//     OnApproved and OnPartnerApproved);
//   - what is public (searchable, backfilled, a Group actor):
//     twinfed.(*Project).Public; deletable: twinfed.(*Project).Deletable.
//
// What it needs of other features it asks through small interfaces, which
// the node's assembly satisfies with the features' services: Members (the
// accounts), Contacts (the social feature; a contact is social.Contact),
// Directory and Nodes (the directory), and Labels for the card (the labels,
// above it, through a small adapter). It pages through other nodes'
// projects as the directory does through their profiles
// (directory.BackfillPages), and answers the labels' Projects (HeldProject,
// CanViewProject, MembersProjects).
//
// Keys it owns (node/store/keys.go): store.PrefixProject (pj/, the
// projects), store.PrefixMyProject (pm/, the projects of this node's
// members), store.PrefixApproval (pa/, the participations this node's
// agency must decide). storeProject is the single writer of all three.
package project
