package config

import (
	"path/filepath"
	"time"
)

// RegistryBackup schedules a registry member's backups to a directory
// ([backup]): every member writes its own backup of the state it has
// applied, atomically, named registry-<node_id>-<time>-i<index>.snap, and
// keeps its newest Keep. Restore one with `twinfed registry restore`.
// Object storage is not supported: copy the directory off the machine with
// the tool of your choice (rclone, restic, a volume snapshot).
type RegistryBackup struct {
	Dir   string        `toml:"dir"`   // where the backups go; empty: no scheduled backups
	Every time.Duration `toml:"every"` // time between two backups; default 6h, at least 1m
	Keep  int           `toml:"keep"`  // how many of this member's backups to keep; default 28 (a week at 6h)
}

// DefaultRegistryBackup returns the schedule used once a directory is set.
func DefaultRegistryBackup() RegistryBackup {
	return RegistryBackup{Every: 6 * time.Hour, Keep: 28}
}

func (b RegistryBackup) validate(p *Problems, prefix, dataDir string) {
	if b.Dir == "" {
		return
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
