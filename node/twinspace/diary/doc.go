// Package diary is the TwinSpace's public project diary: posts (kind
// diary) that teachers write with formatting and images from Materials,
// readable by anyone without an account (the Diary tab, in public mode
// too, and the canonical page <project>/diary on the home node), with an
// Atom feed, and followable from any fediverse server: on the project's
// home node each post is handed to the node's fediverse publisher
// (Publisher, the federation's outbox), which delivers Create, Update and
// Delete of an Article to the diary actor's followers.
//
// Rules it asks: twinfed.SpaceCan through the core's View (SpaceWriteDiary
// to post; the core's default Needs to change one's own post or another's).
// A post is always public (Check sets Public); its HTML is sanitised by
// the members' policy with images allowed only from the project's
// materials (/twinspace/materials/file?id=<project>&m=<material>), and a
// material a post shows is marked public (the core's MarkMaterialsPublic) so that its
// file may be served to anyone.
//
// It owns no store keys: posts are the core's objects.
package diary
