package webhooks

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seatsync/seatsync/jobs"
)

// Metrics are the receiver's seatsync_ series.
type Metrics struct {
	events     *prometheus.CounterVec
	signatures *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	enqueues   *prometheus.CounterVec
}

// NewMetrics registers the receiver's series with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seatsync_inbound_events_total",
			Help: "Inbound events by source and outcome (enqueued, duplicate, ignored) and rejected deliveries by reason. An unknown source is counted with an empty source label.",
		}, []string{"source", "outcome"}),
		signatures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seatsync_inbound_signature_failures_total",
			Help: "Deliveries whose signature or timestamp did not verify, by source and reason.",
		}, []string{"source", "reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "seatsync_inbound_receive_seconds",
			Help:    "Time from request to acknowledgement of an accepted delivery, by source.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"source"}),
		enqueues: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seatsync_inbound_enqueues_total",
			Help: "Enqueues of received events by mode (deferred: in the background after the inbox commit; inline: on the request, when the inbox is down or the background backlog is full) and outcome (enqueued, duplicate, failed).",
		}, []string{"mode", "outcome"}),
	}
	reg.MustRegister(m.events, m.signatures, m.latency, m.enqueues)
	return m
}

func (m *Metrics) event(source, outcome string) {
	m.events.WithLabelValues(source, outcome).Inc()
}

func (m *Metrics) signatureFailure(source string, err error) {
	reason := "signature"
	if errors.Is(err, ErrTimestamp) {
		reason = "timestamp"
	}
	m.signatures.WithLabelValues(source, reason).Inc()
}

func (m *Metrics) enqueue(mode, outcome string) {
	m.enqueues.WithLabelValues(mode, outcome).Inc()
}

func (m *Metrics) enqueueResult(mode string, o jobs.Outcome, err error) {
	switch {
	case err != nil:
		m.enqueue(mode, "failed")
	case o == jobs.Duplicate:
		m.enqueue(mode, "duplicate")
	default:
		m.enqueue(mode, "enqueued")
	}
}

func (m *Metrics) received(source string, d time.Duration) {
	m.latency.WithLabelValues(source).Observe(d.Seconds())
}
