package delivery

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are delivery's seatsync_ series.
type Metrics struct {
	attempts *prometheus.HistogramVec
	deferred prometheus.Counter
}

// NewMetrics registers delivery's series with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{attempts: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "seatsync_delivery_seconds",
		Help:    "Outbound webhook attempts by outcome (delivered, retry, gone) and their latency.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15},
	}, []string{"outcome"}),
		deferred: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "seatsync_delivery_deferred_total",
			Help: "Deliveries that stepped aside, to be tried again shortly, because their endpoint had the most deliveries in flight.",
		})}
	reg.MustRegister(m.attempts, m.deferred)
	return m
}

func (m *Metrics) observe(outcome string, d time.Duration) {
	m.attempts.WithLabelValues(outcome).Observe(d.Seconds())
}
