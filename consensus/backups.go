package consensus

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// BackupConfig schedules a member's backups to a directory. Every member
// writes its own (the leader is not special): the copies then live on as
// many disks as there are members, a member keeps backing up what it has
// while the cluster has no leader, and each member's metrics say whether
// its own backups succeed without knowing who led when. A backup is the
// state as this member applied it, at the index its name carries; a
// follower's may be a few entries behind the leader's, never inconsistent.
type BackupConfig struct {
	Dir   string        // where backups go; "" turns scheduled backups off
	Every time.Duration // time between two backups; DefaultBackupEvery when 0
	Keep  int           // how many of this member's backups to keep; DefaultBackupKeep when 0
	// Remote, when set, is object storage each backup is uploaded to
	// once written, where the newest Keep are kept too (see BackupStore).
	Remote BackupStore
}

// Defaults of BackupConfig: every 6 hours, a week of backups.
const (
	DefaultBackupEvery = 6 * time.Hour
	DefaultBackupKeep  = 28
)

// BackupFile is one scheduled backup in a backup directory.
type BackupFile struct {
	Path   string
	Member string    // the member that wrote it
	Time   time.Time // when it was taken (UTC, millisecond precision)
	Index  uint64    // the index of the last entry the backup holds
}

// backupTimeLayout is the time in backup file names: sortable, and free of
// colons (which some file systems refuse).
const backupTimeLayout = "20060102T150405.000Z"

// BackupName returns the file name of member's backup taken at t holding
// every entry up to index: registry-<member>-<time>-i<index>.snap.
func BackupName(member string, t time.Time, index uint64) string {
	return fmt.Sprintf("registry-%s-%s-i%d.snap", member, t.UTC().Format(backupTimeLayout), index)
}

// ListBackups returns member's backups in dir, oldest first. Files of other
// members (a directory shared by the cluster) and unfinished temporary files
// are left out.
func ListBackups(dir, member string) ([]BackupFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []BackupFile
	for _, e := range entries {
		if f, ok := parseBackupName(e.Name(), member); ok && !e.IsDir() {
			f.Path = filepath.Join(dir, e.Name())
			out = append(out, f)
		}
	}
	sortBackups(out)
	return out, nil
}

// parseBackupName reads member's backup's name (BackupName); false for
// any other name: another member's, a temporary file.
func parseBackupName(name, member string) (BackupFile, bool) {
	rest, ok := strings.CutPrefix(name, "registry-"+member+"-")
	if !ok {
		return BackupFile{}, false
	}
	rest, ok = strings.CutSuffix(rest, ".snap")
	if !ok {
		return BackupFile{}, false
	}
	ts, idx, ok := strings.Cut(rest, "-i")
	if !ok {
		return BackupFile{}, false
	}
	t, err := time.Parse(backupTimeLayout, ts)
	if err != nil {
		return BackupFile{}, false // another member whose id starts with this one's and a dash
	}
	index, err := strconv.ParseUint(idx, 10, 64)
	if err != nil {
		return BackupFile{}, false
	}
	return BackupFile{Path: name, Member: member, Time: t, Index: index}, true
}

// sortBackups puts backups oldest first.
func sortBackups(bs []BackupFile) {
	slices.SortFunc(bs, func(a, b BackupFile) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Index, b.Index)
	})
}

// backupMetrics are the series of scheduled backups, registered only when
// they are on, so that the alert on them watches members that back up.
type backupMetrics struct {
	lastSuccess prometheus.Gauge
	failures    prometheus.Counter
	lastBytes   prometheus.Gauge
	lastIndex   prometheus.Gauge
	every       prometheus.Gauge
	// Of the uploads to Remote, registered only when it is set.
	remoteSuccess  prometheus.Gauge
	remoteFailures prometheus.Counter
}

func newBackupMetrics(reg *prometheus.Registry) *backupMetrics {
	b := &backupMetrics{
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: "twinfed_registry_backup_last_success_timestamp_seconds",
			Help: "Unix time of this member's last successful scheduled backup (its newest backup file's at start; 0 when none)."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "twinfed_registry_backup_failures_total",
			Help: "Scheduled backups (writing or pruning) that failed."}),
		lastBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "twinfed_registry_backup_bytes",
			Help: "Size of this member's last scheduled backup."}),
		lastIndex: prometheus.NewGauge(prometheus.GaugeOpts{Name: "twinfed_registry_backup_index",
			Help: "Index of the last entry held by this member's last scheduled backup."}),
		every: prometheus.NewGauge(prometheus.GaugeOpts{Name: "twinfed_registry_backup_interval_seconds",
			Help: "Configured time between two scheduled backups ([backup] every)."}),
	}
	if reg != nil {
		reg.MustRegister(b.lastSuccess, b.failures, b.lastBytes, b.lastIndex, b.every)
	}
	return b
}

// remoteMetrics registers the series of the uploads to object storage.
func (b *backupMetrics) remoteMetrics(reg *prometheus.Registry) {
	b.remoteSuccess = prometheus.NewGauge(prometheus.GaugeOpts{Name: "twinfed_registry_backup_upload_last_success_timestamp_seconds",
		Help: "Time (Unix) of this member's newest backup in the object storage of [backup.s3], as of its last successful upload (0 when none)."})
	b.remoteFailures = prometheus.NewCounter(prometheus.CounterOpts{Name: "twinfed_registry_backup_upload_failures_total",
		Help: "Uploads of scheduled backups to object storage (with the pruning there) that failed."})
	if reg != nil {
		reg.MustRegister(b.remoteSuccess, b.remoteFailures)
	}
}

// startBackups starts the backup loop when a directory is configured. It
// checks the directory at once, so that a member that cannot back up
// fails to start rather than alerting hours later.
func (m *Member) startBackups() error {
	bc := &m.cfg.Backup
	if bc.Dir == "" {
		return nil
	}
	if bc.Every <= 0 {
		bc.Every = DefaultBackupEvery
	}
	if bc.Keep <= 0 {
		bc.Keep = DefaultBackupKeep
	}
	if err := os.MkdirAll(bc.Dir, 0o700); err != nil {
		return fmt.Errorf("consensus: backup dir: %w", err)
	}
	m.removeBackupTemps()
	have, err := ListBackups(bc.Dir, m.cfg.NodeID)
	if err != nil {
		return fmt.Errorf("consensus: backup dir: %w", err)
	}
	bm := newBackupMetrics(m.cfg.Metrics)
	bm.every.Set(bc.Every.Seconds())
	var kick chan struct{} // a backup was written: upload it (Remote only)
	if bc.Remote != nil {
		bm.remoteMetrics(m.cfg.Metrics)
		m.initRemote(bm)
		kick = make(chan struct{}, 1)
		m.wg.Add(1)
		go func() { defer m.wg.Done(); m.uploadLoop(bm, kick) }()
	}
	// The first backup is due every after the newest one (a restart does
	// not postpone backups), and within a minute on a member with none.
	next := m.now().Add(min(bc.Every, time.Minute))
	if len(have) > 0 {
		last := have[len(have)-1]
		bm.lastSuccess.Set(float64(last.Time.UnixMilli()) / 1e3)
		bm.lastIndex.Set(float64(last.Index))
		next = last.Time.Add(bc.Every)
	}
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.backupLoop(bm, next, kick) }()
	return nil
}

// backupLoop writes the scheduled backups and prunes the directory; after
// each one written it kicks the upload loop (kick is nil without Remote),
// which runs on its own so that a slow or absent object storage never
// delays a backup to the directory.
func (m *Member) backupLoop(bm *backupMetrics, next time.Time, kick chan<- struct{}) {
	bc := m.cfg.Backup
	for {
		t := time.NewTimer(max(next.Sub(m.now()), 0))
		select {
		case <-m.done:
			t.Stop()
			return
		case <-t.C:
		}
		f, n, err := m.WriteBackup()
		if err == nil {
			bm.lastSuccess.Set(float64(f.Time.UnixMilli()) / 1e3)
			bm.lastBytes.Set(float64(n))
			bm.lastIndex.Set(float64(f.Index))
			m.logger.Info("registry: backup written", "file", f.Path, "index", f.Index, "bytes", n)
			err = m.pruneBackups()
			next = f.Time.Add(bc.Every)
			if kick != nil {
				select {
				case kick <- struct{}{}:
				default: // an upload round is due already
				}
			}
		} else {
			// Try again sooner than a whole interval: the alert allows two.
			next = m.now().Add(min(bc.Every/4, 10*time.Minute))
		}
		if err != nil {
			bm.failures.Inc()
			m.logger.Error("registry: scheduled backup failed", "dir", bc.Dir, "err", err)
		}
	}
}

// WriteBackup writes a backup of this member's state now into the backup
// directory (Config.Backup.Dir): one read transaction of the state, so the
// file is the state as of one applied index, which its name carries. The
// file is written under a temporary name, synced, then renamed and the
// directory synced: a crash leaves either the whole backup or none.
func (m *Member) WriteBackup() (BackupFile, int64, error) {
	dir := m.cfg.Backup.Dir
	if dir == "" {
		return BackupFile{}, 0, errors.New("consensus: no backup directory is configured")
	}
	tmp, err := os.CreateTemp(dir, ".registry-"+m.cfg.NodeID+"-*.tmp")
	if err != nil {
		return BackupFile{}, 0, fmt.Errorf("consensus: backup: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	taken := m.now().UTC().Truncate(time.Millisecond)
	var index uint64
	var n int64
	bw := bufio.NewWriterSize(tmp, 1<<20)
	err = m.fsm.View(func(txn *badger.Txn) error {
		index, _ = getUint(txn, kApplied)
		var err error
		n, err = writeSnapshot(txn, bw)
		return err
	})
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return BackupFile{}, 0, fmt.Errorf("consensus: backup: write %s: %w", tmp.Name(), err)
	}
	f := BackupFile{Path: filepath.Join(dir, BackupName(m.cfg.NodeID, taken, index)), Member: m.cfg.NodeID, Time: taken, Index: index}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return BackupFile{}, 0, fmt.Errorf("consensus: backup: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return BackupFile{}, 0, fmt.Errorf("consensus: backup: sync %s: %w", dir, err)
	}
	return f, n, nil
}

// pruneBackups removes this member's oldest backups beyond Keep.
func (m *Member) pruneBackups() error {
	have, err := ListBackups(m.cfg.Backup.Dir, m.cfg.NodeID)
	if err != nil {
		return fmt.Errorf("consensus: prune backups: %w", err)
	}
	var errs []error
	for len(have) > m.cfg.Backup.Keep {
		if err := os.Remove(have[0].Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("consensus: prune backups: %w", err))
		}
		have = have[1:]
	}
	return errors.Join(errs...)
}

// removeBackupTemps removes the temporary files of backups a crash cut
// short (this member's only).
func (m *Member) removeBackupTemps() {
	entries, _ := os.ReadDir(m.cfg.Backup.Dir)
	for _, e := range entries {
		// os.CreateTemp's random part is digits: a member whose id starts
		// with this one's and a dash does not match.
		rest, ok := strings.CutPrefix(e.Name(), ".registry-"+m.cfg.NodeID+"-")
		if rest, tmp := strings.CutSuffix(rest, ".tmp"); ok && tmp && rest != "" && strings.Trim(rest, "0123456789") == "" {
			_ = os.Remove(filepath.Join(m.cfg.Backup.Dir, e.Name()))
		}
	}
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// withOwnMembers returns a backup in the snapshot format whose member
// records (the members' addresses, which forwarding uses) are members, the
// restoring cluster's own, instead of those of the cluster the backup was
// taken on. A backup carries the registry's data, not the topology: Raft
// keeps its configuration across a restore, and a backup restored into a
// new cluster (other addresses) would otherwise send every forwarded write
// to the old cluster's members.
func withOwnMembers(data []byte, members []MemberInfo) ([]byte, error) {
	if len(data) < len(snapshotMagic)+8 {
		return nil, errors.New("truncated")
	}
	out := make([]byte, 0, len(data))
	out = append(out, data[:len(snapshotMagic)]...)
	rest := data[len(snapshotMagic):]
	for {
		if len(rest) < 8 {
			return nil, errors.New("no end marker")
		}
		kl := binary.BigEndian.Uint32(rest[:4])
		if kl == 0xffffffff {
			break
		}
		n := 8 + uint64(kl) + uint64(binary.BigEndian.Uint32(rest[4:8]))
		if uint64(len(rest)) < n {
			return nil, errors.New("truncated record")
		}
		if !bytes.HasPrefix(rest[8:8+kl], []byte(pMember)) {
			out = append(out, rest[:n]...)
		}
		rest = rest[n:]
	}
	for _, mi := range members {
		v, err := json.Marshal(mi)
		if err != nil {
			return nil, err
		}
		k := pMember + mi.ID
		out = binary.BigEndian.AppendUint32(out, uint32(len(k)))
		out = binary.BigEndian.AppendUint32(out, uint32(len(v)))
		out = append(out, k...)
		out = append(out, v...)
	}
	return append(out, rest...), nil
}

// members returns the member records of the state.
func (m *Member) members() ([]MemberInfo, error) {
	var out []MemberInfo
	err := m.fsm.View(func(txn *badger.Txn) error {
		var err error
		out, err = readMembers(txn)
		return err
	})
	return out, err
}
