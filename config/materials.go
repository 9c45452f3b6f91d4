package config

import "path/filepath"

// Materials configures the TwinSpace's files (node/blob, the Materials
// tab): where they are stored, the largest file and the quotas. Sizes are
// in binary units: 1 MB = 1,048,576 bytes, 1 GB = 1,024 MB.
type Materials struct {
	// Backend is where the files are: "disk" (the default, in Dir) or
	// "s3" (the bucket of [materials.s3]; Dir then holds only the uploads
	// on their way).
	Backend string `toml:"backend"`
	// Dir is the blob store's directory; relative to data_dir when not
	// absolute ("blobs": <data_dir>/blobs).
	Dir string `toml:"dir"`
	// S3 is the bucket of the s3 backend.
	S3 S3 `toml:"s3"`
	// MaxFileMB is the largest file a member may upload.
	MaxFileMB int64 `toml:"max_file_mb"`
	// TwinSpaceQuotaMB is what the files uploaded on this node to one
	// TwinSpace may hold in all.
	TwinSpaceQuotaMB int64 `toml:"twinspace_quota_mb"`
	// NodeQuotaGB is what every file this node stores may hold in all
	// (its own members' uploads and the copies of partner nodes' files it
	// keeps for its members).
	NodeQuotaGB int64 `toml:"node_quota_gb"`
}

// DefaultMaterials returns 100 MB a file, 2 GB a TwinSpace and 200 GB for
// the node, in <data_dir>/blobs.
func DefaultMaterials() Materials {
	return Materials{Backend: "disk", Dir: "blobs", MaxFileMB: 100, TwinSpaceQuotaMB: 2048, NodeQuotaGB: 200}
}

// Path returns the store's directory: Dir, under dataDir when relative.
func (m Materials) Path(dataDir string) string {
	if filepath.IsAbs(m.Dir) {
		return m.Dir
	}
	return filepath.Join(dataDir, m.Dir)
}

// MaxFileBytes is MaxFileMB in bytes.
func (m Materials) MaxFileBytes() int64 { return m.MaxFileMB << 20 }

// TwinSpaceQuotaBytes is TwinSpaceQuotaMB in bytes.
func (m Materials) TwinSpaceQuotaBytes() int64 { return m.TwinSpaceQuotaMB << 20 }

// NodeQuotaBytes is NodeQuotaGB in bytes.
func (m Materials) NodeQuotaBytes() int64 { return m.NodeQuotaGB << 30 }

func (m Materials) validate(p *Problems, key, dataDir string) {
	switch m.Backend {
	case "disk":
		if m.S3.On() {
			p.Addf(key+".s3", "is set but backend is \"disk\"; set backend = \"s3\" to keep the files in the bucket, or remove [materials.s3]")
		}
	case "s3":
		m.S3.validate(p, key+".s3", dataDir)
	default:
		p.Addf(key+".backend", "%q is not a backend; use \"disk\" (the default) or \"s3\"", m.Backend)
	}
	if m.Dir == "" {
		p.Addf(key+".dir", "is empty; give the directory of the files (\"blobs\", the default, is <data_dir>/blobs)")
	}
	if m.MaxFileMB < 1 || m.MaxFileMB > 10<<10 {
		p.Addf(key+".max_file_mb", "%d MB is out of bounds; use 1 to 10240 (100 by default)", m.MaxFileMB)
	}
	if m.TwinSpaceQuotaMB < 1 || m.TwinSpaceQuotaMB > 1<<20 {
		p.Addf(key+".twinspace_quota_mb", "%d MB is out of bounds; use 1 to 1048576 (2048 by default)", m.TwinSpaceQuotaMB)
	} else if m.MaxFileMB >= 1 && m.TwinSpaceQuotaMB < m.MaxFileMB {
		p.Addf(key+".twinspace_quota_mb", "%d MB is less than max_file_mb (%d MB): a TwinSpace could not hold one file of the largest size", m.TwinSpaceQuotaMB, m.MaxFileMB)
	}
	if m.NodeQuotaGB < 1 || m.NodeQuotaGB > 1<<20 {
		p.Addf(key+".node_quota_gb", "%d GB is out of bounds; use 1 to 1048576 (200 by default)", m.NodeQuotaGB)
	} else if m.TwinSpaceQuotaMB >= 1 && m.NodeQuotaGB<<10 < m.TwinSpaceQuotaMB {
		p.Addf(key+".node_quota_gb", "%d GB is less than twinspace_quota_mb (%d MB): the node could not hold one full TwinSpace", m.NodeQuotaGB, m.TwinSpaceQuotaMB)
	}
}
