package consensus

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are a member's Prometheus series. They are registered on the
// injected registry, never on the default one.
type metrics struct {
	raftState       prometheus.Gauge
	raftTerm        prometheus.Gauge
	commitIndex     prometheus.Gauge
	appliedIndex    prometheus.Gauge
	fsmIndex        prometheus.Gauge
	leaderChanges   prometheus.Counter
	applySeconds    prometheus.Histogram
	forwarded       *prometheus.CounterVec
	reads           *prometheus.CounterVec
	snapshotSeconds prometheus.Histogram
	snapshotBytes   prometheus.Gauge
	badgerBytes     *prometheus.GaugeVec
	unknownCommands prometheus.Counter
	authRefusals    *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		raftState: prometheus.NewGauge(prometheus.GaugeOpts{Name: "twinfed_registry_raft_state",
			Help: "Raft state of this member: 0 follower, 1 candidate, 2 leader, 3 shutdown."}),
		raftTerm:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "twinfed_registry_raft_term", Help: "Current Raft term."}),
		commitIndex:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "twinfed_registry_raft_commit_index", Help: "Raft commit index."}),
		appliedIndex: prometheus.NewGauge(prometheus.GaugeOpts{Name: "twinfed_registry_raft_applied_index", Help: "Raft applied index."}),
		fsmIndex:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "twinfed_registry_fsm_index", Help: "Index of the last entry applied to the registry state."}),
		leaderChanges: prometheus.NewCounter(prometheus.CounterOpts{Name: "twinfed_registry_leader_changes_total",
			Help: "Leader changes observed by this member."}),
		applySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "twinfed_registry_apply_seconds",
			Help: "Latency of writes applied through this member (leader apply or forward).", Buckets: prometheus.ExponentialBuckets(0.0002, 2, 16)}),
		forwarded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "twinfed_registry_forwarded_total",
			Help: "Requests forwarded to the leader, by kind (write, read)."}, []string{"kind"}),
		reads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "twinfed_registry_reads_total",
			Help: "Reads served, by consistency level."}, []string{"consistency"}),
		snapshotSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "twinfed_registry_snapshot_seconds",
			Help: "Time to persist a snapshot.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}),
		snapshotBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "twinfed_registry_snapshot_bytes", Help: "Size of the last persisted snapshot."}),
		badgerBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "twinfed_registry_badger_bytes",
			Help: "Badger on-disk size, by database (log, state) and part (lsm, vlog)."}, []string{"db", "part"}),
		unknownCommands: prometheus.NewCounter(prometheus.CounterOpts{Name: "twinfed_registry_unknown_commands_total",
			Help: "Log entries skipped because their command type is unknown to this version."}),
		authRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "twinfed_registry_auth_refusals_total",
			Help: "Writes refused by authorisation, by reason."}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.raftState, m.raftTerm, m.commitIndex, m.appliedIndex, m.fsmIndex, m.leaderChanges,
			m.applySeconds, m.forwarded, m.reads, m.snapshotSeconds, m.snapshotBytes, m.badgerBytes,
			m.unknownCommands, m.authRefusals)
	}
	return m
}
