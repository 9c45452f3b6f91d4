// Package blob is the node's store of files (the TwinSpace's materials):
// content-addressed blobs behind a small interface, and the checks and
// previews a file gets on its way in.
//
// # The store
//
// Store keeps a blob under the SHA-256 of its content (Ref: hash, size),
// so that the same file uploaded twice is stored once and a hash names
// the same bytes on every node. Disk, the default, keeps
// <dir>/ab/cd/<hash> ([materials] dir, <data_dir>/blobs by default); S3
// keeps the object <prefix>/<hash> of a bucket of an S3-compatible object
// storage ([materials] backend = "s3"), through Bucket (minio-go), which
// the registry's backups to object storage use too. Both are held to one
// contract by the same tests (store_test.go), S3's against a real server
// (versitygw, started by s3test).
//
// Collector is the node's Store with its collector, the one place a blob
// is deleted because no record names it any more: the features name their
// blobs in the node's store (node/store's BlobNamed lists the keys), and
// an upload holds the collector between its Put and its record.
//
// Disk: a Put is written to <dir>/tmp, synced, renamed into place and its
// directory synced: an acknowledged blob survives a crash, a crash
// mid-write leaves no partial blob under a hash, and OpenDisk removes the
// temporary files such a crash left. Past its size limit a Put answers
// ETOOLARGE and leaves nothing. Usage (bytes stored, each blob once) is
// what the node's quota counts; OpenDisk counts it once by walking the
// folders.
//
// S3: a Put is copied into a temporary file of the node's disk while it is
// hashed, then, unless the object exists already, uploaded under its hash
// with its size known (one PUT up to 128 MiB, parts above): past the limit
// nothing is sent, a stored file is not sent again, and the object
// appears only whole. OpenS3 counts Usage once by listing the prefix, then
// Put and Delete keep it (the node is the prefix's only writer). Errors of
// the storage are ENOTFOUND for a missing object and EUNAVAILABLE for the
// rest, the cause wrapped for the log. docs/materials.md, "Backends".
//
// Which blobs are alive is not the store's business: the feature that
// keeps records of them (node/twinspace/materials) deletes a blob when
// no record names it any more.
//
// # Types, by content
//
// Sniff finds a file's type from its first bytes (SniffLen), with
// github.com/gabriel-vasile/mimetype and checks of our own for the office
// formats, and accepts only these classes:
//
//	image      JPEG, PNG, GIF, WebP
//	video      MP4, WebM, Ogg
//	audio      MP3, Ogg, WAV, M4A
//	pdf        PDF
//	document   DOCX, XLSX, PPTX, ODT, ODS, ODP, DOC, XLS, PPT
//	text       plain text, CSV
//
// Everything else is refused with a message saying what the content is:
// programs, HTML and SVG (they carry scripts), archives other than office
// documents, anything not recognised. The name's extension never decides
// the type; a name that contradicts the content (a PDF named photo.jpg, a
// program named report.pdf) is refused, saying what the content is and
// what the name claims. Formats of one family may carry each other's
// extensions (a PNG named .jpg is an image all the same).
//
// # Thumbnails
//
// Thumbnail makes a JPEG of at most ThumbSize (320) pixels a side: images
// are decoded (JPEG, PNG, GIF, WebP with golang.org/x/image/webp) after
// their header says they are at most MaxPixels (a decompression bomb is
// refused before anything is allocated), scaled with Catmull-Rom
// (golang.org/x/image/draw), turned upright by their EXIF orientation and
// put on white; a PDF's first page is rendered by pdftoppm (Debian's
// poppler-utils) within PDFTimeout, when it is installed (PDFPreview);
// without it, PDFs get no preview.
package blob
