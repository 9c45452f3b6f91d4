package twinfed

import (
	"strings"
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
