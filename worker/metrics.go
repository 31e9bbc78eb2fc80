package worker

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seatsync/seatsync/worker/delivery"
	"github.com/seatsync/seatsync/worker/inbox"
)

// Metrics are the worker's seatsync_ series: its own, and those of the
// stages it runs.
type Metrics struct {
	apply    *prometheus.HistogramVec
	swept    prometheus.Counter
	delivery *delivery.Metrics
}

// NewMetrics registers the worker's series with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		apply: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "seatsync_event_apply_seconds",
			Help:    "Time to apply one inbound event in Postgres, by source and outcome (applied, stale, duplicate, failed, error).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"source", "outcome"}),
	}
	reg.MustRegister(m.apply)
	m.swept = inbox.NewSweptCounter(reg)
	m.delivery = delivery.NewMetrics(reg)
	return m
}

func (m *Metrics) observeApply(source, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.apply.WithLabelValues(source, outcome).Observe(d.Seconds())
}
