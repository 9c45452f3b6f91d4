package consensus

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"
)

// BackupStore is object storage the scheduled backups are copied to
// ([backup.s3]; cmd/twinfed gives a node/blob Bucket). Names are backup
// file names (BackupName).
type BackupStore interface {
	// PutFile uploads the file at path as name, whole or not at all.
	PutFile(ctx context.Context, name, path string) error
	// Names lists the names that start with prefix.
	Names(ctx context.Context, prefix string) ([]string, error)
	// Remove removes name; a name that is not there is no error.
	Remove(ctx context.Context, name string) error
}

// remoteTimeout bounds one round of uploads and pruning.
const remoteTimeout = 30 * time.Minute

// remoteContext is a context that ends when the member closes or after
// remoteTimeout.
func (m *Member) remoteContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	go func() {
		select {
		case <-m.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// RemoteBackups returns this member's backups in the object storage of
// Config.Backup.Remote, oldest first (Path is the object's name).
func (m *Member) RemoteBackups(ctx context.Context) ([]BackupFile, error) {
	remote := m.cfg.Backup.Remote
	if remote == nil {
		return nil, errors.New("consensus: no object storage is configured for backups")
	}
	names, err := remote.Names(ctx, "registry-"+m.cfg.NodeID+"-")
	if err != nil {
		return nil, err
	}
	var out []BackupFile
	for _, n := range names {
		if f, ok := parseBackupName(n, m.cfg.NodeID); ok {
			out = append(out, f)
		}
	}
	sortBackups(out)
	return out, nil
}

// initRemote sets the upload metric from what the object storage holds,
// so that a restart does not reset the alert's clock; a storage that
// cannot be listed leaves it at 0 (the alert fires if uploads keep
// failing) and is logged.
func (m *Member) initRemote(bm *backupMetrics) {
	ctx, cancel := m.remoteContext()
	defer cancel()
	have, err := m.RemoteBackups(ctx)
	if err != nil {
		m.logger.Error("registry: cannot list the backups in object storage", "err", err)
		return
	}
	if len(have) > 0 {
		bm.remoteSuccess.Set(float64(have[len(have)-1].Time.UnixMilli()) / 1e3)
	}
}

// uploadLoop runs uploadBackups each time a backup was written.
func (m *Member) uploadLoop(bm *backupMetrics, kick <-chan struct{}) {
	for {
		select {
		case <-m.done:
			return
		case <-kick:
			m.uploadBackups(bm)
		}
	}
}

// uploadBackups brings the object storage in line with the backup
// directory: every backup of the directory (its newest Keep) that the
// storage lacks is uploaded, oldest first, so that uploads missed while
// the storage was down are made up; then the storage's oldest backups
// beyond Keep are removed. Failures count in the metrics and the log; the
// next round tries again.
func (m *Member) uploadBackups(bm *backupMetrics) {
	if err := m.syncRemoteBackups(bm.remoteSuccess.Set); err != nil {
		bm.remoteFailures.Inc()
		m.logger.Error("registry: upload of backups to object storage failed", "err", err)
	}
}

// syncRemoteBackups uploads the backups of the directory that the object
// storage lacks and prunes it to Keep (see uploadBackups); uploaded, when
// not nil, is given the time (Unix seconds) of the newest backup the
// storage holds after a successful upload. The member runs it after each
// scheduled backup.
func (m *Member) syncRemoteBackups(uploaded func(float64)) error {
	bc := m.cfg.Backup
	if bc.Remote == nil {
		return errors.New("consensus: no object storage is configured for backups")
	}
	ctx, cancel := m.remoteContext()
	defer cancel()
	local, err := ListBackups(bc.Dir, m.cfg.NodeID)
	if err != nil {
		return fmt.Errorf("consensus: upload backups: %w", err)
	}
	remote, err := m.RemoteBackups(ctx)
	if err != nil {
		return fmt.Errorf("consensus: upload backups: %w", err)
	}
	have := map[string]bool{}
	for _, f := range remote {
		have[f.Path] = true
	}
	keep := bc.Keep
	if keep <= 0 {
		keep = DefaultBackupKeep
	}
	if len(local) > keep {
		local = local[len(local)-keep:]
	}
	for _, f := range local {
		name := filepath.Base(f.Path)
		if have[name] {
			continue
		}
		if err := bc.Remote.PutFile(ctx, name, f.Path); errors.Is(err, fs.ErrNotExist) {
			continue // pruned from the directory meanwhile: newer ones follow
		} else if err != nil {
			return fmt.Errorf("consensus: upload %s: %w", name, err)
		}
		remote = append(remote, BackupFile{Path: name, Member: f.Member, Time: f.Time, Index: f.Index})
		m.logger.Info("registry: backup uploaded", "name", name)
	}
	sortBackups(remote)
	if len(remote) > 0 && uploaded != nil {
		uploaded(float64(remote[len(remote)-1].Time.UnixMilli()) / 1e3)
	}
	var errs []error
	for len(remote) > keep {
		if err := bc.Remote.Remove(ctx, remote[0].Path); err != nil {
			errs = append(errs, fmt.Errorf("consensus: prune backups in object storage: %w", err))
		}
		remote = remote[1:]
	}
	return errors.Join(errs...)
}
