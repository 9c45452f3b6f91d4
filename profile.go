package twinfed

import "time"

// Profile is the public part of a member's profile: what the member chose to
// show, and all that crosses the border for the federated directory. Its ID
// is the member's ActivityPub actor URL on their home node.
type Profile struct {
	ID          string      `json:"id"` // actor URL, e.g. https://it.example.eu/users/maria
	Username    string      `json:"username"`
	Country     string      `json:"country"` // the home node's country
	Name        string      `json:"name"`    // display name
	SchoolID    string      `json:"school_id,omitempty"`
	SchoolName  string      `json:"school_name,omitempty"`
	SchoolLevel SchoolLevel `json:"school_level,omitempty"`
	Region      string      `json:"region,omitempty"`
	Role        string      `json:"role,omitempty"`       // e.g. teacher, head_teacher, librarian
	Subjects    SubjectList `json:"subjects,omitempty"`   // subject ids (Subjects)
	Languages   []string    `json:"languages,omitempty"`  // language codes, e.g. it, en
	PupilAges   []int       `json:"pupil_ages,omitempty"` // ages of the pupils the member would involve
	Description string      `json:"description,omitempty"`
	Interests   []string    `json:"interests,omitempty"`
	Available   Available   `json:"available"`
	PhotoURL    string      `json:"photo_url,omitempty"`
	Updated     time.Time   `json:"updated,omitzero"`
}

// Available holds a member's availability flags.
type Available struct {
	Project bool `json:"project"`  // available for an eTwinning project
	Erasmus bool `json:"erasmus"`  // available for an Erasmus+ partnership
	ProjKit bool `json:"proj_kit"` // interested in a project kit
}

// Note is a direct message between two members (To: the recipient), a
// wall post (To: the author's followers collection, FollowersURL) or a
// reply to one (InReplyTo: the post), or a message of an event's forum
// (To and InReplyTo: the event).
type Note struct {
	ID        string    `json:"id"` // URL under the sender's node
	From      string    `json:"from"`
	To        string    `json:"to"`
	Content   string    `json:"content"` // sanitised HTML
	InReplyTo string    `json:"in_reply_to,omitempty"`
	Published time.Time `json:"published"`
	// Updated is when the note was last changed (edited, or deleted: an
	// event forum's message is then announced with no content); zero
	// when it never was (ActivityStreams updated).
	Updated time.Time `json:"updated,omitzero"`
	// Images are a wall post's images (ActivityStreams attachments).
	Images []PostImage `json:"images,omitempty"`
	// File is the record of a file of an event's archive that the note
	// carries (node/event/eventfiles).
	File *EventFile `json:"file,omitempty"`
}
