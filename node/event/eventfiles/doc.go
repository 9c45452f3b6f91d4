// Package eventfiles is the file archive attached to an event
// (node/event): its organiser and its confirmed participants
// (twinfed.CanUseEventTools), on every node, upload files there, list
// them and download them; a file is deleted by its uploader or by the
// organiser (twinfed.CanDeleteEventFile). Once the event is cancelled the
// archive stays readable and nobody changes it.
//
// It follows the TwinSpace's Materials and the event's forum rather than
// a TwinSpace "space" (docs/events.md). A file is checked by its content
// (blob.Sniff: the types the Materials accept), at most Config.MaxFileBytes,
// within the event's quota (Config.QuotaBytes: the files of the event
// that this node knows, every node's together); a refused file leaves
// nothing stored. The file stays on the uploader's node, in the node's
// blob store (with a thumbnail for an image); the record
// (twinfed.EventFile, carried by a Note) goes to the event's home node as
// Create, which checks the rule and the quota with its own bookings and
// records, keeps it and Announces it to the nodes of the confirmed
// participants. Those keep the record and, on the first download, fetch
// the bytes from the uploader's node with a signed GET of BlobPath<hash>
// (given only to a node of the event's audience), checking the hash and
// the size. A deletion goes from the uploader's node to the home node as
// Delete (only the uploader's node may send it), and the home node
// Announces the deleted record (Deleted set) to the participants' nodes;
// the organiser deletes on the home node. A deleted file's id is
// remembered: a replay or a late Create does not bring it back. A node
// that missed announces (offline, or its member confirmed later) catches
// up from the home node's change log, records and tombstones
// (catchup.go), in the event forum's catch-up runs (eventforum.Part).
//
// Keys: store.PrefixEventFile (ea/: records, the blobs they name,
// deletions, fetched copies; the home node's change log ea/k/ and ea/l/,
// a participant's node's catch-up cursors ea/c/).
package eventfiles
