package store

import "github.com/dgraph-io/badger/v4"

// blobNames are the keys under which the features name the blobs of the
// node's blob store, each followed by the blob's hash and a space: a
// live material's file or thumbnail (PrefixMaterialHash), a photo or
// thumbnail of an event this node holds (PrefixEventPhoto), a photo a
// member uploaded for an event not yet saved (PrefixEventPhoto + "p/"), a
// live event file (PrefixEventFile + "h/"). A feature that keeps blobs
// adds its key here, or the collector deletes its files.
var blobNames = []string{PrefixMaterialHash, PrefixEventPhoto, PrefixEventPhoto + "p/", PrefixEventFile + "h/"}

// BlobNamed reports whether a record names the blob hash (blobNames).
func BlobNamed(txn *badger.Txn, hash string) bool {
	for _, p := range blobNames {
		if CountPrefix(txn, p+hash+" ") > 0 {
			return true
		}
	}
	return false
}

// BlobNamed is BlobNamed in a read transaction of its own: the question
// blob.Collector asks.
func (s *Store) BlobNamed(hash string) (bool, error) {
	var named bool
	err := s.View(func(txn *badger.Txn) error {
		named = BlobNamed(txn, hash)
		return nil
	})
	return named, err
}
