package twinfed

import "time"

// An event's file archive (node/event/eventfiles): the organiser and the
// confirmed participants upload files there (CanUseEventTools), each file
// kept on its uploader's node; a file is deleted by its uploader or by the
// organiser (CanDeleteEventFile).

// EventFile is the record of a file of an event's archive. The file
// itself (Hash) stays on the node of its uploader; every node holding
// the record fetches it from there, signed, when a reader asks for it.
type EventFile struct {
	ID        string    `json:"id"`       // URL under the uploader's node
	Event     string    `json:"event"`    // the event's id
	Uploader  string    `json:"uploader"` // actor URL
	Name      string    `json:"name"`     // the file's name, cleaned
	Type      string    `json:"type"`     // media type, found from the content
	Size      int64     `json:"size"`     // bytes
	Hash      string    `json:"hash"`     // SHA-256 of the content, lowercase hex
	Thumb     string    `json:"thumb,omitempty"`
	Published time.Time `json:"published"`
	// Deleted marks the record of a deleted file, as the event's home
	// node announces a deletion.
	Deleted bool `json:"deleted,omitempty"`
}

// The defaults of an event's archive: the largest file and the room of
// one event's files, on every node together.
const (
	EventFileMaxBytes    = 20 << 20
	EventFilesQuotaBytes = 200 << 20
)

// CanDeleteEventFile is the rule of a deletion in an event's archive:
// the file's uploader or the event's organiser, and nobody once the
// event is cancelled (its archive stays readable). nil when actor may.
func CanDeleteEventFile(e *Event, f *EventFile, actor string) error {
	if actor == "" || (actor != f.Uploader && actor != e.Organiser) {
		return Errorf(EFORBIDDEN, "Only the file's author or the event's organiser may delete it.")
	}
	if e.Cancelled {
		return Errorf(EINVALID, "This event is cancelled.")
	}
	return nil
}

// CheckEventFile checks a file's record as another node sends it: an id,
// its event, its uploader, a name, a media type, a size within max, a
// hash (and the thumbnail's) in lowercase SHA-256 hex, a date. EINVALID
// says what is wrong.
func CheckEventFile(f *EventFile, max int64) error {
	switch {
	case f == nil:
		return Errorf(EINVALID, "no file record")
	case f.ID == "" || f.Event == "" || f.Uploader == "":
		return Errorf(EINVALID, "event file %s: no id, event or uploader", f.ID)
	case f.Name == "" || len(f.Name) > 400 || f.Type == "":
		return Errorf(EINVALID, "event file %s: no name or type", f.ID)
	case f.Size <= 0 || f.Size > max:
		return Errorf(EINVALID, "event file %s: size %d out of bounds (at most %d)", f.ID, f.Size, max)
	case !isSHA256(f.Hash) || (f.Thumb != "" && !isSHA256(f.Thumb)):
		return Errorf(EINVALID, "event file %s: not a SHA-256 hash", f.ID)
	case f.Published.IsZero():
		return Errorf(EINVALID, "event file %s: undated", f.ID)
	}
	return nil
}
