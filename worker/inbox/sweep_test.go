package inbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/inbox"
)

// The queue is only a cache of the inbox: when Redis loses an accepted
// event before a worker took it, the sweeper puts it back, once.
func TestSweeperRestoresEventsRedisLost(t *testing.T) {
	in, b := setup(t, true)
	ctx := t.Context()
	ev := event("evt_flushed")
	if _, err := in.Record(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if _, err := b.queue.EnqueueApplyEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	b.flush(t)

	sweeper := b.sweeper(0)
	n, err := sweeper.Sweep(ctx)
	if err != nil || n != 1 {
		t.Fatalf("sweep re-enqueued %d, %v; want 1", n, err)
	}
	if n, _ := sweeper.Sweep(ctx); n != 0 {
		t.Errorf("second sweep re-enqueued %d, want 0: the task is already queued", n)
	}
	if got := b.sweptCount(); got != 1 {
		t.Errorf("swept counter = %v, want 1", got)
	}
	task, ok := b.queued(t, ev.TaskID())
	if !ok || string(task.Payload) != string(ev.Payload) {
		t.Fatalf("queued task = %+v (%v), want the event", task, ok)
	}
	// The task the sweeper queued is the event, and applies it.
	if outcome, _, err := in.Apply(ctx, task, func(context.Context, *storage.Tx) (bool, error) { return true, nil }); err != nil || outcome != inbox.Applied {
		t.Fatalf("applying the swept task: %q, %v", outcome, err)
	}
	b.flush(t)
	if n, _ := sweeper.Sweep(ctx); n != 0 {
		t.Errorf("sweep after apply re-enqueued %d, want 0", n)
	}
}

// Only events older than `after` are swept: younger ones are still on
// their way through the queue.
func TestSweeperLeavesYoungEvents(t *testing.T) {
	in, b := setup(t, true)
	if _, err := in.Record(t.Context(), event("evt_young")); err != nil {
		t.Fatal(err)
	}
	if n, err := b.sweeper(time.Hour).Sweep(t.Context()); err != nil || n != 0 {
		t.Fatalf("sweep re-enqueued %d, %v; want 0", n, err)
	}
}
