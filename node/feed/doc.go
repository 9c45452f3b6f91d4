// Package feed is the national node's wall posts and home feed: members
// post text and images on their wall, their contacts and followers read
// them on every node, reply and like; the home page is the member's feed
// (their contacts' and followed members' posts, their projects' news, the
// partner forum's new posts matching their profile (Forum), the people
// they may know), newest first and paged; the profile's tabs
// (Activity, About, Projects, Events, Groups, Photos) with the member's
// counts; the images of posts, stored on the author's node, and the proxy
// that shows other nodes' images through this one. Pages: / (Home, for a
// validated member), /posts…, /people/activity, /media/…; JSON API:
// /api/v1/feed, /api/v1/posts…, /api/v1/people/posts.
//
// A post is a Create{Note} addressed to its author's followers collection
// (twinfed.FollowersURL), sent to one reader on each other node among the
// author's followers and accepted contacts (a node's shared inbox takes one
// copy for all its members); Update{Note} and Delete follow it there. Each
// node keeps the post once and adds it, at arrival, to the feed of each of
// its members who follow the author or are their contact (fan-out on
// write: a feed page is one short key range). A reply is a Create{Note}
// with inReplyTo, sent to the post's author's node, which keeps it,
// tells the author (notification post_reply) and passes it on to the
// other nodes the post reached (Announce by the author); a like is a Like
// to the author's node (notification post_like), an unlike an Undo with
// the post as its target, and after each the author's node passes the
// post's new like count on to the nodes the post reached (an Update of
// the post carrying a twinfed.PostLikes, likes.go: taken only from the
// post's author and only when newer than the count held,
// twinfed.NewerLikes); a reply's deletion is a Delete with the post as
// its target, to the author's node, which passes it on as it does the
// reply. Replays change nothing:
// the node's router records each activity's id, and a post, reply or like
// is kept once by its id.
//
// The rules it enforces:
//
//   - only a validated member posts, replies, likes and unlikes
//     (social.Require); only its author deletes a reply, and a reply's
//     deletion from another node is taken only from the reply's author or
//     the post's;
//   - a post has some text or an image, at most 5,000 characters and 4
//     images (twinfed.ValidatePost); an image is a JPEG, PNG, GIF or WebP
//     by its content, at most 2 MiB (CheckImage, twinfed.MaxImageBytes);
//   - a post is seen by its author, their accepted contacts and their
//     followers, and by the agency of the author's node
//     (twinfed.CanSeePost), on every page and in the JSON API;
//   - only its author changes or deletes a post; a change or deletion from
//     another node is taken only from the post's author, a reply's author
//     must be the activity's actor, a reply or a like from another node
//     only from the author's followers and contacts, and the images of a post from another
//     node must be on that node; what other nodes send is sanitised
//     (web.NewHTMLPolicy) and bounded again on arrival;
//   - the image proxy fetches only from the nodes the registry lists
//     (Nodes), follows no redirect, takes only images of at most 2 MiB,
//     and keeps them a day (PrefixMediaCache's TTL).
//
// The keys it owns (node/store): store.PrefixWallPost (wp/),
// store.PrefixWallByAuthor (wa/), store.PrefixTimeline (tl/),
// store.PrefixWallReply (wr/), store.PrefixWallLike (wl/),
// store.PrefixWallTouched (wt/), store.PrefixWallCursor (wc/),
// store.PrefixMedia (mi/), store.PrefixMediaCache (mc/).
// Notifications are package notice's (KindPostReply, KindPostLike); the
// readers of a post and the counts come from the social feature
// (Network); profiles from the directory (Directory).
//
// A node away beyond the federation's retry window catches up with a
// signed backfill (backfill.go): each node serves its members' recent
// posts at BackfillPath, and their replies and likes at InteractionsPath
// (interactions.go), to the nodes of their followers and contacts only
// (the signing node's host, web.Signer); Backfill takes another node's,
// the replies and likes from a cursor kept per node.
//
// What the node's assembly registers: ForgetAuthor when an account is
// deleted (here or on another node); Backfill as a step of the directory's
// backfill; the inbound routes of inbox.go (ApplyPost, ApplyPostUpdate,
// ApplyPostDelete, ApplyReply, ApplyLike, ApplyUnlike, ApplyLikes,
// ApplyReplyDelete).
//
// See docs/feed.md.
package feed
