package store

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// A node's backup is one zip file, written while the node serves:
//   - manifest.json: BackupManifest;
//   - db.badger: the store's backup stream (Store.Backup: every record as
//     of one moment, so a write acknowledged before the backup began is in
//     it);
//   - keys/<name>: the node's key files (node.key, node.key.rsa…) (its identity in the
//     federation: a node restored without them is a stranger to the others).
//
// The search indexes, the registry cache and the page cache are not in it:
// the node rebuilds them at start.

// keyFiles are the key files of a data directory: node.key and the keys
// beside it (node.key.rsa or node.key.ed25519, node.key.next…).
func keyFiles(dir string) ([]string, error) {
	return filepath.Glob(filepath.Join(dir, "*.key*"))
}

// BackupManifest describes a backup.
type BackupManifest struct {
	Format  int       `json:"format"` // the store's format version (store.FormatVersion of the binary that wrote it)
	Created time.Time `json:"created"`
	Country string    `json:"country"`
	BaseURL string    `json:"base_url"`
	ReadTS  uint64    `json:"read_ts"` // the store version the copy was read at
	// BlobsElsewhere says where the TwinSpaces' files are when they are
	// not in the backup (an S3 bucket: s3://bucket/prefix at endpoint);
	// empty when the backup holds them (the disk store).
	BlobsElsewhere string `json:"blobs_elsewhere,omitempty"`
}

// WriteArchive writes the node's backup to w (a zip, see above) while the
// store serves: the key files of keyDir, the store as of one moment, and
// m with the store's format and the version it was read at.
func (s *Store) WriteArchive(w io.Writer, keyDir, blobDir string, m BackupManifest) error {
	z := zip.NewWriter(w)
	keys, err := keyFiles(keyDir)
	if err != nil {
		return err
	}
	for _, k := range keys {
		raw, err := os.ReadFile(k)
		if err != nil {
			return fmt.Errorf("store: backup %s: %w", filepath.Base(k), err)
		}
		f, err := z.CreateHeader(&zip.FileHeader{Name: "keys/" + filepath.Base(k), Method: zip.Deflate})
		if err != nil {
			return err
		}
		if _, err := f.Write(raw); err != nil {
			return err
		}
	}
	f, err := z.CreateHeader(&zip.FileHeader{Name: "db.badger", Method: zip.Deflate})
	if err != nil {
		return err
	}
	if m.ReadTS, err = s.Backup(f); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if blobDir != "" {
		if err := writeBlobs(z, blobDir); err != nil {
			return fmt.Errorf("store: backup the files: %w", err)
		}
	}
	mf, err := z.Create("manifest.json")
	if err != nil {
		return err
	}
	m.Format = FormatVersion
	if err := json.NewEncoder(mf).Encode(m); err != nil {
		return err
	}
	return z.Close()
}

// RestoreArchive restores the backup file archive into dataDir, which must
// not exist or be empty: the store (its format checked, older ones
// migrated) and the key files. Start the node on dataDir afterwards.
func RestoreArchive(archive, dataDir string, opts Options) (*BackupManifest, error) {
	z, err := zip.OpenReader(archive)
	if err != nil {
		return nil, fmt.Errorf("store: %s is not a Twinfed backup (a zip file): %w", archive, err)
	}
	defer z.Close()
	files := map[string]*zip.File{}
	for _, f := range z.File {
		files[f.Name] = f
	}
	mf, db := files["manifest.json"], files["db.badger"]
	if mf == nil || db == nil {
		return nil, fmt.Errorf("store: %s is not a complete Twinfed backup (manifest.json or db.badger missing: was the backup interrupted?)", archive)
	}
	var m BackupManifest
	if err := readJSON(mf, &m); err != nil {
		return nil, fmt.Errorf("store: the backup's manifest: %w", err)
	}
	if m.Format > FormatVersion {
		return nil, fmt.Errorf("store: the backup holds store format %d and this binary reads formats up to %d; restore it with the newer binary", m.Format, FormatVersion)
	}
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("store: %s is not empty; restore into a new directory", dataDir)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	for name, f := range files {
		if !strings.HasPrefix(name, "keys/") {
			continue
		}
		base := filepath.Base(name)
		if base != strings.TrimPrefix(name, "keys/") || !strings.Contains(base, ".key") {
			return nil, fmt.Errorf("store: the backup holds an unexpected file %q", name)
		}
		r, err := f.Open()
		if err != nil {
			return nil, err
		}
		raw, err := io.ReadAll(io.LimitReader(r, 1<<20))
		r.Close()
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dataDir, base), raw, 0o600); err != nil {
			return nil, err
		}
	}
	if err := restoreBlobs(files, filepath.Join(dataDir, "blobs")); err != nil {
		return nil, err
	}
	r, err := db.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if err := Restore(filepath.Join(dataDir, "db"), r, opts); err != nil {
		return nil, err
	}
	return &m, nil
}

func readJSON(f *zip.File, v any) error {
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	return json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(v)
}

// blobPath is where a file of the blob store lives under its directory:
// ab/cd/<SHA-256 hex> (node/blob's layout).
var blobPath = regexp.MustCompile(`^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}$`)

// writeBlobs adds the blob store's files under dir to z as blobs/ab/cd/…,
// stored as they are (pictures and documents are compressed already).
// Files written after the store's snapshot may be in too: harmless, a
// blob no record names is only space. Temporary files are left out.
func writeBlobs(z *zip.Writer, dir string) error {
	return filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == dir {
				return nil // no file uploaded yet
			}
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || e.IsDir() || !blobPath.MatchString(filepath.ToSlash(rel)) {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // deleted meanwhile
			}
			return err
		}
		defer f.Close()
		zf, err := z.CreateHeader(&zip.FileHeader{Name: "blobs/" + filepath.ToSlash(rel), Method: zip.Store})
		if err != nil {
			return err
		}
		_, err = io.Copy(zf, f)
		return err
	})
}

// restoreBlobs writes the backup's blobs/… files into dir (the node's
// default blob directory, <data dir>/blobs), each synced.
func restoreBlobs(files map[string]*zip.File, dir string) error {
	for name, f := range files {
		rel, ok := strings.CutPrefix(name, "blobs/")
		if !ok {
			continue
		}
		if !blobPath.MatchString(rel) {
			return fmt.Errorf("store: the backup holds an unexpected file %q", name)
		}
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		r, err := f.Open()
		if err != nil {
			return err
		}
		out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
		if err != nil {
			r.Close()
			return err
		}
		_, err = io.Copy(out, r)
		r.Close()
		if err == nil {
			err = out.Sync()
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("store: restore %s: %w", name, err)
		}
	}
	return nil
}
