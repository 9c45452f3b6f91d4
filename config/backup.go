package config

import (
	"path/filepath"
	"time"
)

// RegistryBackup schedules a registry member's backups to a directory
// ([backup]): every member writes its own backup of the state it has
// applied, atomically, named registry-<node_id>-<time>-i<index>.snap, and
// keeps its newest Keep. With [backup.s3], each backup written is then
// uploaded to that bucket too, where the newest Keep are kept as well.
// Restore one with `twinfed registry restore`.
type RegistryBackup struct {
	Dir   string        `toml:"dir"`   // where the backups go; empty: no scheduled backups
	Every time.Duration `toml:"every"` // time between two backups; default 6h, at least 1m
	Keep  int           `toml:"keep"`  // how many of this member's backups to keep; default 28 (a week at 6h)
	S3    S3            `toml:"s3"`    // a bucket the backups are copied to; off while its endpoint is empty
}

// DefaultRegistryBackup returns the schedule used once a directory is set.
func DefaultRegistryBackup() RegistryBackup {
	return RegistryBackup{Every: 6 * time.Hour, Keep: 28}
}

func (b RegistryBackup) validate(p *Problems, prefix, dataDir string) {
	if b.Dir == "" {
		if b.S3.On() {
			p.Addf(prefix+".dir", "is empty but [backup.s3] is set; backups are written to dir and then uploaded: give a directory")
		}
		return
	}
	if b.S3.On() {
		b.S3.validate(p, prefix+".s3", dataDir)
	}
	if b.Every < time.Minute {
		p.Addf(prefix+".every", "%s is too short; give a duration of at least 1m, such as 6h", b.Every)
	}
	if b.Keep < 1 {
		p.Addf(prefix+".keep", "must be at least 1 (how many backups each member keeps)")
	}
	if dataDir != "" && filepath.Clean(b.Dir) == filepath.Clean(dataDir) {
		p.Addf(prefix+".dir", "is data_dir; give a directory of its own, best on another volume")
	}
}
