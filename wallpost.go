package twinfed

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Wall posts: what a member writes on their wall, seen by their contacts
// and followers on every node (ARCHITECTURE.md, "wall posts"). The bounds
// and the one visibility rule below are asked by node/feed for the
// member's own posts, for the replicas other nodes send, and for every
// read.

// Bounds of a wall post.
const (
	MaxPostRunes  = 5000    // a post's or a reply's text, in characters
	MaxPostImages = 4       // images in one post
	MaxImageBytes = 2 << 20 // one image's size: 2 MiB
)

// PostImage is an image of a wall post, stored on its author's node and
// named by the hash of its content.
type PostImage struct {
	URL       string `json:"url"`        // on the author's node: <base>/media/<sha256 hex>
	MediaType string `json:"media_type"` // image/jpeg, image/png, image/gif or image/webp
}

// PostImageTypes are the image types a wall post accepts, as
// http.DetectContentType names them from the content.
var PostImageTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}

// ValidatePost checks a post's (or a reply's) text and its number of
// images: some text or an image, at most MaxPostRunes characters, at most
// MaxPostImages images. EINVALID with the field ("text", "images") says
// what was wrong.
func ValidatePost(text string, images int) error {
	text = strings.TrimSpace(text)
	switch {
	case text == "" && images == 0:
		return FieldError("text", "Write something or add an image before posting.")
	case utf8.RuneCountInString(text) > MaxPostRunes:
		return FieldError("text", "A post may be at most 5,000 characters long.")
	case images > MaxPostImages:
		return FieldError("images", "A post may carry at most 4 images.")
	}
	return nil
}

// CanSeePost is who sees a wall post: its author, their accepted
// contacts and their followers (contact and follower say how the viewer
// stands to the author), and the agency of the author's node (agency),
// which answers for what its members publish.
func CanSeePost(viewer, author string, contact, follower, agency bool) bool {
	return viewer != "" && (viewer == author || contact || follower || agency)
}

// FollowersURL is the collection of an actor's followers: a wall post's
// addressee (Note.To), which tells it from a direct message.
func FollowersURL(actor string) string { return strings.TrimRight(actor, "/") + "/followers" }

// PostLikes is a wall post's like count as its author's node passes it on,
// live, to the nodes the post reached (an Update of the post, after each
// like and unlike it takes): every node's replica then shows the author's
// node's count without waiting for the backfill.
type PostLikes struct {
	Post  string `json:"post"`
	Likes int    `json:"likes"` // all the post's likes, on the author's node
	// ByNode counts, by node host, the likes of that node's members: a
	// replica counts its own members' likes as it knows them (a like or an
	// unlike of theirs may still be on its way to the author's node).
	ByNode map[string]int `json:"by_node,omitempty"`
	// At is when the post's likes or replies last changed on the author's
	// node: a replica takes a count only if it is newer than the one it
	// holds (NewerLikes).
	At time.Time `json:"at"`
}

// ReplicaLikes is the like count a replica on the node at host shows:
// the author's node's count of other nodes' likes, and local, its own
// members' likes as it holds them.
func (l *PostLikes) ReplicaLikes(host string, local int) int {
	return max(l.Likes-l.ByNode[host], 0) + local
}

// NewerLikes reports whether a like count of a post changed at at is to
// replace the one a replica holds, changed at held: only a newer one
// does, so that counts delivered out of order, or a backfill's page read
// before a live change, never bring an older count back.
func NewerLikes(held, at time.Time) bool { return held.IsZero() || at.After(held) }
