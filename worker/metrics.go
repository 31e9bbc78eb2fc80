package worker

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the worker's seatsync_ series.
type Metrics struct {
	apply    *prometheus.HistogramVec
	swept    prometheus.Counter
	delivery *prometheus.HistogramVec
}

// NewMetrics registers the worker's series with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		apply: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "seatsync_event_apply_seconds",
			Help:    "Time to apply one inbound event in Postgres, by source and outcome (applied, stale, duplicate, failed, error).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"source", "outcome"}),
		swept: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "seatsync_inbox_swept_total",
			Help: "Inbound events the sweeper put back on the queue because they were recorded but never applied.",
		}),
	}
	m.delivery = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "seatsync_delivery_seconds",
		Help:    "Outbound webhook attempts by outcome (delivered, retry, gone) and their latency.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15},
	}, []string{"outcome"})
	reg.MustRegister(m.apply, m.swept, m.delivery)
	return m
}

func (m *Metrics) observeApply(source, outcome string, d time.Duration) {
	m.apply.WithLabelValues(source, outcome).Observe(d.Seconds())
}

func (m *Metrics) observeDelivery(outcome string, d time.Duration) {
	m.delivery.WithLabelValues(outcome).Observe(d.Seconds())
}
