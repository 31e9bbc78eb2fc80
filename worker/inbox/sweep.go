package inbox

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
)

// sweepBatch bounds one sweep, so that a large backlog is worked through in
// several short transactions.
const sweepBatch = 500

// Sweeper puts inbox events back on the queue when they were recorded but
// never applied: the receiver could not reach Redis, or Redis lost its
// data. Together with the inbox this is what makes an acknowledged event
// impossible to lose. Running it in every worker replica is safe: rows are
// claimed with SKIP LOCKED and enqueueing is idempotent by task ID.
type Sweeper struct {
	db    *storage.DB
	queue *jobs.Client
	after time.Duration
	swept prometheus.Counter
	log   *slog.Logger
}

// NewSweeper re-enqueues events still unapplied `after` they were
// received, and counts them in swept.
func NewSweeper(db *storage.DB, queue *jobs.Client, after time.Duration, swept prometheus.Counter, log *slog.Logger) *Sweeper {
	return &Sweeper{db: db, queue: queue, after: after, swept: swept, log: log}
}

// NewSweptCounter registers seatsync_inbox_swept_total with reg.
func NewSweptCounter(reg prometheus.Registerer) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "seatsync_inbox_swept_total",
		Help: "Inbound events the sweeper put back on the queue because they were recorded but never applied.",
	})
	reg.MustRegister(c)
	return c
}

// Run sweeps every interval until ctx ends.
func (s *Sweeper) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("sweep inbox", "error", err)
		case n > 0:
			s.log.Warn("re-enqueued inbound events that were never applied", "count", n)
		}
	}
}

// Sweep re-enqueues one batch and reports how many tasks it added; events
// whose task is still queued count as duplicates, not as added.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	added := 0
	err := s.db.InTx(ctx, func(tx *storage.Tx) error {
		added = 0
		rows, err := tx.UnprocessedInboxEvents(ctx, time.Now().Add(-s.after), sweepBatch)
		if err != nil {
			return err
		}
		for _, row := range rows {
			outcome, err := s.queue.EnqueueApplyEvent(ctx, Task(row))
			if err != nil {
				return err
			}
			if outcome == jobs.Enqueued {
				added++
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.swept.Add(float64(added))
	return added, nil
}
