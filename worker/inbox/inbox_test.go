package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/inbox"
)

func TestRecordOnce(t *testing.T) {
	t.Parallel()
	in, b := setup(t, false)
	ev := event("evt_1")
	for i, want := range []bool{true, false, false} {
		got, err := in.Record(t.Context(), ev)
		if err != nil || got != want {
			t.Fatalf("record %d: new = %v, %v; want %v", i+1, got, err, want)
		}
	}
	if row := b.row(t, ev); row.Status != storage.InboxReceived || string(row.Payload) != string(ev.Payload) {
		t.Errorf("row = %+v", row)
	}
	if got := inbox.Task(b.row(t, ev)); got.TaskID() != ev.TaskID() || got.Kind != ev.Kind || got.EventType != ev.EventType {
		t.Errorf("Task(row) = %+v, want the task of %+v", got, ev)
	}
}

func TestApplyOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fn         inbox.ApplyFunc
		want       string
		wantReason string
	}{
		{"applied", func(context.Context, *storage.Tx) (bool, error) { return true, nil }, inbox.Applied, ""},
		{"stale", func(context.Context, *storage.Tx) (bool, error) { return false, nil }, inbox.Stale, ""},
		{"failed for good", func(context.Context, *storage.Tx) (bool, error) {
			return false, inbox.Permanent("no seat is free on line %s", "pro")
		}, inbox.Failed, "no seat is free on line pro"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, b := setup(t, false)
			ev := event("evt_1")
			outcome, reason, err := in.Apply(t.Context(), ev, tc.fn)
			if err != nil || outcome != tc.want || reason != tc.wantReason {
				t.Fatalf("Apply = %q %q %v, want %q %q", outcome, reason, err, tc.want, tc.wantReason)
			}
			if row := b.row(t, ev); row.Status != tc.want || row.Error != tc.wantReason || row.ProcessedAt == nil {
				t.Errorf("inbox row = %+v", row)
			}
			called := false
			again, _, err := in.Apply(t.Context(), ev, func(context.Context, *storage.Tx) (bool, error) { called = true; return true, nil })
			if err != nil || again != inbox.Duplicate || called {
				t.Errorf("second apply: %q %v (applied again: %v), want duplicate", again, err, called)
			}
		})
	}
}

// An error that is not permanent rolls everything back, the row included:
// the event stays received, to be retried.
func TestApplyErrorRollsBack(t *testing.T) {
	t.Parallel()
	in, b := setup(t, false)
	ev := event("evt_1")
	if _, err := in.Record(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	_, _, err := in.Apply(t.Context(), ev, func(context.Context, *storage.Tx) (bool, error) {
		return false, storage.ErrNotFound
	})
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("err = %v, want it to wrap ErrNotFound", err)
	}
	if row := b.row(t, ev); row.Status != storage.InboxReceived || row.ProcessedAt != nil {
		t.Errorf("row = %+v, want it still received", row)
	}
}

// The queue's task ID is only a first filter: even when the same event
// reaches many workers at once, Postgres lets exactly one apply it,
// whether the receiver recorded its row (the claim's one statement) or
// only the queue had it (the claim records the row).
func TestApplyOnceUnderConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	for _, recorded := range []bool{true, false} {
		t.Run(fmt.Sprintf("recorded=%v", recorded), func(t *testing.T) {
			t.Parallel()
			in, b := setup(t, false)
			ev := event("evt_1")
			if recorded {
				if _, err := in.Record(t.Context(), ev); err != nil {
					t.Fatal(err)
				}
			}
			const workers = 50
			var mu sync.Mutex
			counts, effects := map[string]int{}, 0
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					outcome, _, err := in.Apply(context.Background(), ev, func(context.Context, *storage.Tx) (bool, error) {
						mu.Lock()
						effects++
						mu.Unlock()
						return true, nil
					})
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					counts[outcome]++
					mu.Unlock()
				})
			}
			wg.Wait()
			if counts[inbox.Applied] != 1 || counts[inbox.Duplicate] != workers-1 || effects != 1 {
				t.Fatalf("outcomes = %v and %d effects, want 1 applied, %d duplicate, 1 effect", counts, effects, workers-1)
			}
			if row := b.row(t, ev); row.Status != storage.InboxApplied || row.ProcessedAt == nil {
				t.Errorf("row = %+v, want it applied", row)
			}
		})
	}
}

func TestGiveUp(t *testing.T) {
	t.Parallel()
	in, b := setup(t, false)
	received, applied := event("evt_received"), event("evt_applied")
	if _, err := in.Record(t.Context(), received); err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.Apply(t.Context(), applied, func(context.Context, *storage.Tx) (bool, error) { return true, nil }); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []struct {
		name string
		want string
	}{{received.EventID, storage.InboxFailed}, {applied.EventID, storage.InboxApplied}} {
		if err := in.GiveUp(t.Context(), event(ev.name), "retries exhausted"); err != nil {
			t.Fatal(err)
		}
		if row := b.row(t, event(ev.name)); row.Status != ev.want {
			t.Errorf("%s after giving up: %q, want %q", ev.name, row.Status, ev.want)
		}
	}
	if row := b.row(t, received); row.Error != "retries exhausted" {
		t.Errorf("reason = %q", row.Error)
	}
}
