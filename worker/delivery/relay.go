package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
)

// relayBatch bounds one relay transaction.
const relayBatch = 500

// Relay moves outbox rows into delivery tasks: it fans each message out to
// the endpoints that want it (one delivery row each, in a transaction that
// marks the message relayed), then enqueues a task per delivery. Every
// worker replica runs one; SKIP LOCKED keeps them off each other's rows. A
// crash between the commit and the enqueue, or Redis losing its data, is
// caught by Sweep, which re-enqueues pending deliveries; task IDs make the
// repeat harmless.
type Relay struct {
	db    *storage.DB
	queue *jobs.Client
	log   *slog.Logger
}

// NewRelay returns a relay.
func NewRelay(db *storage.DB, queue *jobs.Client, log *slog.Logger) *Relay {
	return &Relay{db: db, queue: queue, log: log}
}

// RelayOnce relays one batch and reports how many deliveries it created.
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	var created []storage.DeliveryRef
	err := r.db.InTx(ctx, func(tx *storage.Tx) (err error) {
		created, err = tx.RelayOutbox(ctx, relayBatch)
		return err
	})
	if err != nil {
		return 0, err
	}
	return len(created), r.enqueue(ctx, created)
}

// Sweep re-enqueues deliveries still pending after `after` without a
// change: their task was lost, or is waiting for its retry (a duplicate).
func (r *Relay) Sweep(ctx context.Context, after time.Duration) (int, error) {
	pending, err := r.db.PendingDeliveries(ctx, time.Now().Add(-after), relayBatch)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range pending {
		outcome, err := r.queue.EnqueueDeliver(ctx, deliverTask(d))
		if err != nil {
			return n, err
		}
		if outcome == jobs.Enqueued {
			n++
		}
	}
	return n, nil
}

func (r *Relay) enqueue(ctx context.Context, deliveries []storage.DeliveryRef) error {
	for _, d := range deliveries {
		if _, err := r.queue.EnqueueDeliver(ctx, deliverTask(d)); err != nil {
			return err // the sweep enqueues what is left
		}
	}
	return nil
}

// Run relays every interval, and every sweepEvery sweeps lost deliveries
// and drops message bodies older than retention, until ctx ends.
func (r *Relay) Run(ctx context.Context, interval, sweepEvery, sweepAfter, retention time.Duration) {
	relay, sweep := time.NewTicker(interval), time.NewTicker(sweepEvery)
	defer relay.Stop()
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-relay.C:
			for {
				n, err := r.RelayOnce(ctx)
				if err != nil && ctx.Err() == nil {
					r.log.Error("relay outbox", "error", err)
				}
				if err != nil || n < relayBatch {
					break
				}
			}
		case <-sweep.C:
			if n, err := r.Sweep(ctx, sweepAfter); err != nil && ctx.Err() == nil {
				r.log.Error("sweep deliveries", "error", err)
			} else if n > 0 {
				r.log.Warn("re-enqueued deliveries that had lost their task", "count", n)
			}
			if _, err := r.db.PruneOutbox(ctx, time.Now().Add(-retention)); err != nil && ctx.Err() == nil {
				r.log.Error("prune outbox", "error", err)
			}
		}
	}
}

// deliverTask is the queue task of a delivery; the resend count is part of
// its id, so that the sweep re-creates exactly the task a resend meant.
func deliverTask(d storage.DeliveryRef) jobs.Deliver {
	return jobs.Deliver{DeliveryID: d.ID, MessageID: d.MessageID, EndpointID: d.EndpointID, Resend: d.Resends}
}
