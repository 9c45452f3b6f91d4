// Package materials is the TwinSpace's Materials tab: folders of files
// (images, video, audio, PDFs, office documents, plain text) that the
// members upload, several at once, with thumbnails of images and of PDFs'
// first pages.
//
// A folder is a TwinSpace object of kind folder (teachers create them:
// twinfed.SpaceCreateFolder); a file's record is an object of kind
// material (twinfed.SpaceUpload: every role but the visitor) whose Fields
// name the file: hash (SHA-256, the blob's name), size, type (the media
// type found from the content by blob.Sniff), filename, origin (the base
// URL of the node it was uploaded to) and thumb (the thumbnail's hash).
// The core (node/twinspace) shares the records with every partner node;
// deleting one's own needs twinfed.SpaceEditOwn, someone else's
// twinfed.SpaceManageOthers, asked through the core's View (SpaceCan).
//
// The file itself stays on the uploader's node (the data stays in that
// country), in the node's blob store (node/blob). A member of a partner
// node reads it through their own node, which fetches it from the origin
// with a signed GET (FilePath, federation's GetStream) and keeps a copy;
// the origin gives it only to a node the registry lists that is a partner
// node of a TwinSpace holding a live material with that hash (ServesTo).
// When a record's tombstone arrives, the copy (or the original) is
// deleted once no live record names the file. A file is served to the
// public only when its record is public (Public: set by the pages and the
// diary that show it).
//
// Limits: the largest file, a quota per TwinSpace (the files uploaded on
// this node to it) and one for the node (every file it stores, copies
// included), from the [materials] section; teachers see both quotas'
// use. An upload past one is refused with ETOOLARGE and leaves nothing.
//
// Keys it owns (node/store/keys.go): store.PrefixMaterialHash (the blobs
// the live records name) and store.PrefixMaterialUsage (each TwinSpace's
// use of its quota).
package materials
