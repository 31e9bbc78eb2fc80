package webhooks

import (
	"context"
	"log/slog"
	"sync"

	"github.com/seatsync/seatsync/jobs"
)

// Deferred enqueue. An event whose inbox row is committed is durable: the
// sweeper puts any recorded event that is still unapplied after
// SEATSYNC_SWEEP_AFTER back on the queue, and the worker's claim of the
// row applies it once however many tasks name it. So the receiver answers
// as soon as the row is committed and hands the enqueue to a pool of
// background enqueuers instead of waiting for Redis on the request. The
// guarantees do not change: the 2xx still follows a durable write, a
// redelivery is still answered duplicate by the inbox, and an event taken
// through the queue alone (Postgres down) is still enqueued before its
// answer. What changes is only when the task appears: up to a millisecond
// or two after the answer rather than before it (these enqueues are
// jobs.Unhurried, so they wait up to 1 ms to share a Redis pipeline), or,
// if the process dies in between, when the sweeper finds the row.
//
// When the backlog is full (Redis slower than intake) the request enqueues
// its own event, as before, so the backlog stays bounded and a slow Redis
// slows intake instead of leaving it all to the sweeper.
const (
	enqueuers    = 64   // concurrent enqueues; the queue client coalesces them into pipelines (jobs.Unhurried)
	enqueueQueue = 4096 // events acknowledged but not yet on the queue
)

type deferredEnqueue struct {
	queue *jobs.Client
	m     *Metrics
	log   *slog.Logger
	ch    chan jobs.ApplyEvent
	ctx   context.Context // unhurried: no request waits on these enqueues

	mu     sync.RWMutex // held for reading while sending on ch, for writing to close it
	closed bool
	wg     sync.WaitGroup
}

func newDeferredEnqueue(queue *jobs.Client, m *Metrics, log *slog.Logger) *deferredEnqueue {
	d := &deferredEnqueue{queue: queue, m: m, log: log, ch: make(chan jobs.ApplyEvent, enqueueQueue),
		ctx: jobs.Unhurried(context.Background())}
	d.wg.Add(enqueuers)
	for range enqueuers {
		go d.run()
	}
	return d
}

// offer hands ev to the enqueuers; false when they have no room, or have
// stopped, and the caller must enqueue it itself.
func (d *deferredEnqueue) offer(ev jobs.ApplyEvent) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return false
	}
	select {
	case d.ch <- ev:
		return true
	default:
		return false
	}
}

// close enqueues what was handed over already and stops the enqueuers.
func (d *deferredEnqueue) close() {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		close(d.ch)
	}
	d.mu.Unlock()
	d.wg.Wait()
}

func (d *deferredEnqueue) run() {
	defer d.wg.Done()
	for ev := range d.ch {
		ctx, cancel := context.WithTimeout(d.ctx, durableTimeout)
		outcome, err := d.queue.EnqueueApplyEvent(ctx, ev)
		cancel()
		d.m.enqueueResult("deferred", outcome, err)
		if err != nil {
			d.log.Warn("queue unavailable; event kept in the inbox for the sweeper", "source", ev.Source, "event_id", ev.EventID, "error", err)
		}
	}
}
