// Package directory is the national node's federated directory of public
// profiles: every public profile the node knows (its own members', and
// those other nodes push or serve for backfill), their in-memory search
// index (package search) and the indexer that keeps it current, the
// backfill from other nodes, and the pages that show them: the people
// search (/people), the profile pages (/users/{username}, cached for
// visitors without a session, and /people/profile for another node's
// member) and their JSON API.
//
// The rules it enforces:
//
//   - a member's public profile shows only the fields the member chose
//     (twinfed.(*Member).PublicProfile, asked through Members.PublicOf);
//     only validated members are shown (LocalProfile is ENOTFOUND for
//     anyone else);
//   - only validated members and the agency search the directory; only
//     logged-in viewers read another node's profile;
//   - a profile from another node is taken only from its own node
//     (CheckProfileOrigin: the actor is the profile, its node is the
//     registry's node of the profile's country, twinfed.URLHost), never
//     for a member of this node, and never older than the one held; its
//     description is sanitised on arrival;
//   - the backfill takes from a node only that node's members, and forgets
//     the profiles it no longer lists.
//
// What it reads of this node's members it asks the account feature
// through Members (SetMembers, at assembly); the viewer's relations and
// contacts, the social feature through Social. The account feature writes
// the local members' profiles (Put, Remove) in the transactions of their
// changes, and a bulk import's in its write batch (PutInBatch, then
// Imported). Reactions of other features are registered at assembly:
// OnBackfill (the projects, after a node's profiles), OnActorDeleted (the
// social records of a member of another node who left).
//
// Keys it owns: store.PrefixDirProfile (dp/), store.PrefixDirQueue (dq/),
// store.PrefixDirCursor (db/), store.KeyDirLocal, store.KeyDirSnapshot;
// and the file directory.snapshot in the node's data directory (the
// index's snapshot, snapshot.go).
package directory
