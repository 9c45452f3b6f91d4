package consensus

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are a member's Prometheus series. They are registered on the
// injected registry, never on the default one.
//
// Raft's state, term and indexes and Badger's sizes are read when the
// registry is scraped (memberCollector), not copied by a ticker: an idle
// member then wakes for nothing of its own.
type metrics struct {
	reg             *prometheus.Registry
	fsmIndex        prometheus.Gauge
	leaderChanges   prometheus.Counter
	applySeconds    prometheus.Histogram
	forwarded       *prometheus.CounterVec
	reads           *prometheus.CounterVec
	readConfirms    *prometheus.CounterVec
	snapshotSeconds prometheus.Histogram
	snapshotBytes   prometheus.Gauge
	unknownCommands prometheus.Counter
	authRefusals    *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		reg:      reg,
		fsmIndex: prometheus.NewGauge(prometheus.GaugeOpts{Name: "twinfed_registry_fsm_index", Help: "Index of the last entry applied to the registry state."}),
		leaderChanges: prometheus.NewCounter(prometheus.CounterOpts{Name: "twinfed_registry_leader_changes_total",
			Help: "Leader changes observed by this member."}),
		applySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "twinfed_registry_apply_seconds",
			Help: "Latency of writes applied through this member (leader apply or forward).", Buckets: prometheus.ExponentialBuckets(0.0002, 2, 16)}),
		forwarded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "twinfed_registry_forwarded_total",
			Help: "Requests forwarded to the leader, by kind (write, read)."}, []string{"kind"}),
		reads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "twinfed_registry_reads_total",
			Help: "Reads served, by consistency level."}, []string{"consistency"}),
		readConfirms: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "twinfed_registry_read_confirmations_total",
			Help: "How the leader confirmed its leadership for consistent reads: by the heartbeats' lease or by a VerifyLeader round."}, []string{"by"}),
		snapshotSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "twinfed_registry_snapshot_seconds",
			Help: "Time to persist a snapshot.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}),
		snapshotBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "twinfed_registry_snapshot_bytes", Help: "Size of the last persisted snapshot."}),
		unknownCommands: prometheus.NewCounter(prometheus.CounterOpts{Name: "twinfed_registry_unknown_commands_total",
			Help: "Log entries skipped because their command type is unknown to this version."}),
		authRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "twinfed_registry_auth_refusals_total",
			Help: "Writes refused by authorisation, by reason."}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.fsmIndex, m.leaderChanges,
			m.applySeconds, m.forwarded, m.reads, m.readConfirms, m.snapshotSeconds, m.snapshotBytes,
			m.unknownCommands, m.authRefusals)
	}
	return m
}

// memberCollector reads Raft's state and the stores' sizes at each scrape.
type memberCollector struct {
	m                                             *Member
	state, term, commit, applied, bytes, logBytes *prometheus.Desc
}

func newMemberCollector(m *Member) *memberCollector {
	return &memberCollector{m: m,
		state: prometheus.NewDesc("twinfed_registry_raft_state",
			"Raft state of this member: 0 follower, 1 candidate, 2 leader, 3 shutdown.", nil, nil),
		term:    prometheus.NewDesc("twinfed_registry_raft_term", "Current Raft term.", nil, nil),
		commit:  prometheus.NewDesc("twinfed_registry_raft_commit_index", "Raft commit index.", nil, nil),
		applied: prometheus.NewDesc("twinfed_registry_raft_applied_index", "Raft applied index.", nil, nil),
		bytes: prometheus.NewDesc("twinfed_registry_badger_bytes",
			"The state's Badger size, by database (state) and part (lsm, vlog).", []string{"db", "part"}, nil),
		logBytes: prometheus.NewDesc("twinfed_registry_log_bytes",
			"The Raft log store's size on disk (segment files and meta database).", nil, nil),
	}
}

func (c *memberCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.state
	ch <- c.term
	ch <- c.commit
	ch <- c.applied
	ch <- c.bytes
	ch <- c.logBytes
}

func (c *memberCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	r := c.m.raft
	gauge(c.state, float64(r.State()))
	gauge(c.term, float64(r.CurrentTerm()))
	gauge(c.commit, float64(r.CommitIndex()))
	gauge(c.applied, float64(r.AppliedIndex()))
	c.m.storesMu.RLock()
	defer c.m.storesMu.RUnlock()
	if c.m.logs == nil || c.m.stateDB == nil {
		return // closed
	}
	gauge(c.logBytes, float64(c.m.logs.DiskBytes()))
	lsm, vlog := c.m.stateDB.Size()
	gauge(c.bytes, float64(lsm), "state", "lsm")
	gauge(c.bytes, float64(vlog), "state", "vlog")
}
