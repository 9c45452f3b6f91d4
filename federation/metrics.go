package federation

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the federation's Prometheus metrics. All are registered on the
// registry the node passes in Config.Metrics, never on the default one.
type metrics struct {
	queueDepth      *prometheus.GaugeVec
	oldestAge       *prometheus.GaugeVec
	parked          *prometheus.GaugeVec
	breakerOpen     *prometheus.GaugeVec
	deliveries      *prometheus.CounterVec
	parkedCritical  *prometheus.CounterVec
	deliveryLatency prometheus.Histogram
	inboxLatency    prometheus.Histogram
	inboxLag        prometheus.Histogram
	refusals        *prometheus.CounterVec
	inbox           *prometheus.CounterVec
	groupSize       prometheus.Histogram
	batchSize       prometheus.Histogram
}

// Delivery outcomes, as twinfed_federation_deliveries_total labels them.
const (
	OutcomeDelivered = "delivered" // the destination answered 2xx
	OutcomeRetry     = "retry"     // a failure that will be retried
	OutcomeParked    = "parked"    // given up: retry window over or refused for good
)

// Inbox outcomes, as twinfed_federation_inbox_total labels them.
const (
	InboxAccepted  = "accepted"  // stored and answered 202
	InboxReplay    = "replay"    // a known activity id: answered 202, ignored
	InboxProcessed = "processed" // the handler applied it
	InboxDropped   = "dropped"   // the handler refused it for good (EINVALID, EFORBIDDEN)
	InboxRetried   = "retried"   // the handler failed; it will be retried
)

// Refusal reasons beyond signing's: what the inbox itself refuses.
const (
	ReasonInvalidActivity = "invalid_activity" // not a well-formed, supported activity
	ReasonCrossOrigin     = "cross_origin"     // actor or created object not under the signing node
	ReasonTooLarge        = "too_large"        // body over the limit
)

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		queueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "twinfed_federation_queue_depth", Help: "Deliveries waiting, per destination node.",
		}, []string{"destination"}),
		oldestAge: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "twinfed_federation_queue_oldest_seconds", Help: "Age of the oldest waiting delivery, per destination node.",
		}, []string{"destination"}),
		parked: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "twinfed_federation_parked", Help: "Parked deliveries (given up, kept for an operator), per destination node.",
		}, []string{"destination"}),
		breakerOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "twinfed_federation_breaker_open", Help: "1 while a destination's circuit breaker is open.",
		}, []string{"destination"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twinfed_federation_deliveries_total", Help: "Delivery attempts by destination and outcome (delivered, retry, parked).",
		}, []string{"destination", "outcome"}),
		parkedCritical: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twinfed_federation_parked_critical_total", Help: "Approvals, refusals and deletions parked after the retry window: an operator must act.",
		}, []string{"destination", "type"}),
		deliveryLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "twinfed_federation_delivery_seconds", Help: "Duration of one signed delivery request.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		inboxLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "twinfed_federation_inbox_seconds", Help: "Inbox request latency: read, verify, parse, store, answer.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		inboxLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "twinfed_federation_inbox_lag_seconds", Help: "Time from receipt to the handler having applied an activity.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 20),
		}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twinfed_federation_inbox_refusals_total", Help: "Inbox requests refused, by reason.",
		}, []string{"reason"}),
		inbox: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twinfed_federation_inbox_total", Help: "Incoming activities by outcome.",
		}, []string{"outcome"}),
		groupSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "twinfed_federation_group_commit_size", Help: "Writes (inbox stores, done markers, queue removals) per group-committed Badger transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 9),
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "twinfed_federation_batch_size", Help: "Activities per batch request sent to a Twinfed node (single deliveries are not counted).",
			Buckets: prometheus.ExponentialBuckets(2, 2, 6),
		}),
	}
	if reg != nil {
		reg.MustRegister(m.queueDepth, m.oldestAge, m.parked, m.breakerOpen, m.deliveries, m.parkedCritical,
			m.deliveryLatency, m.inboxLatency, m.inboxLag, m.refusals, m.inbox, m.groupSize, m.batchSize)
	}
	return m
}
