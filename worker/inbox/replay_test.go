package inbox_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/inbox"
)

func finish(t *testing.T, in *inbox.Inbox, id string, fn inbox.ApplyFunc) {
	t.Helper()
	if _, _, err := in.Apply(t.Context(), event(id), fn); err != nil {
		t.Fatal(err)
	}
}

func TestReplay(t *testing.T) {
	in, b := setup(t, true)
	ctx := t.Context()
	finish(t, in, "evt_failed", func(context.Context, *storage.Tx) (bool, error) { return false, inbox.Permanent("no") })
	finish(t, in, "evt_stale", func(context.Context, *storage.Tx) (bool, error) { return false, nil })
	finish(t, in, "evt_applied", func(context.Context, *storage.Tx) (bool, error) { return true, nil })
	if _, err := in.Record(ctx, event("evt_received")); err != nil {
		t.Fatal(err)
	}

	for _, id := range []string{"evt_applied", "evt_received"} {
		row := b.row(t, event(id))
		if _, err := in.Replay(ctx, row.ID); !errors.Is(err, inbox.ErrNotReplayable) {
			t.Errorf("replay of %s (%s): %v, want ErrNotReplayable", id, row.Status, err)
		}
		if again := b.row(t, event(id)); again.Status != row.Status || again.Replays != 0 {
			t.Errorf("refused replay changed %s: %+v", id, again)
		}
	}
	for _, id := range []string{"evt_failed", "evt_stale"} {
		ev, err := in.Replay(ctx, b.row(t, event(id)).ID)
		if err != nil || ev.Status != storage.InboxReceived || ev.Replays != 1 {
			t.Fatalf("replay of %s: %+v, %v", id, ev, err)
		}
		task, ok := b.queued(t, "crm:"+id+":replay-1")
		if !ok || task.Replay != 1 || task.EventID != id {
			t.Errorf("replay of %s queued %+v (%v), want it under the replay's task id", id, task, ok)
		}
		// The replay applies: its row is received again.
		if outcome, _, err := in.Apply(ctx, task, func(context.Context, *storage.Tx) (bool, error) { return true, nil }); err != nil || outcome != inbox.Applied {
			t.Errorf("applying the replay of %s: %q, %v", id, outcome, err)
		}
		if row := b.row(t, event(id)); row.Status != storage.InboxApplied || row.Error != "" {
			t.Errorf("%s after its replay applied: %q %q, want applied with no error", id, row.Status, row.Error)
		}
	}
	if _, err := in.Replay(ctx, 1<<40); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("replay of an unknown event: %v, want ErrNotFound", err)
	}
}

// A replay whose task never reached Redis is still applied: the inbox row
// is back to received with its replay count, and the sweeper enqueues it
// under the replay's task id, whether the enqueue failed or Redis lost the
// task afterwards.
func TestSweeperEnqueuesReplaysTheQueueLost(t *testing.T) {
	in, b := setup(t, true)
	ctx := t.Context()
	for _, id := range []string{"evt_lost", "evt_flushed"} {
		if _, err := in.Record(ctx, event(id)); err != nil {
			t.Fatal(err)
		}
		if err := in.GiveUp(ctx, event(id), "gave up"); err != nil {
			t.Fatal(err)
		}
	}
	// The enqueue of the first replay fails: Redis does not answer.
	down := jobs.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond})
	defer down.Close()
	ev, err := inbox.New(b.db, down).Replay(ctx, b.row(t, event("evt_lost")).ID)
	if !errors.Is(err, inbox.ErrReplayNotQueued) || ev.Status != storage.InboxReceived || ev.Replays != 1 {
		t.Fatalf("replay with Redis down: %+v, %v", ev, err)
	}
	// The second is enqueued, then Redis loses it.
	if _, err := in.Replay(ctx, b.row(t, event("evt_flushed")).ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.queued(t, "crm:evt_flushed:replay-1"); !ok {
		t.Fatal("the replay's task is not queued")
	}
	b.flush(t)

	if n, err := b.sweeper(0).Sweep(ctx); err != nil || n != 2 {
		t.Fatalf("sweep enqueued %d, %v; want 2", n, err)
	}
	for _, id := range []string{"evt_lost", "evt_flushed"} {
		if task, ok := b.queued(t, "crm:"+id+":replay-1"); !ok || task.Replay != 1 {
			t.Errorf("the sweeper did not enqueue %s under its replay's task id", id)
		}
	}
}
