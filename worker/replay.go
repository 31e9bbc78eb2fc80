package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
)

var (
	// ErrNotReplayable refuses to replay an event that is not failed or
	// stale: a received one is still on its way, and replaying an applied
	// one would apply it twice (rule 8).
	ErrNotReplayable = errors.New("only failed or stale events can be replayed")
	// ErrReplayNotQueued means the replay was recorded but its task could
	// not be enqueued. Nothing is lost: the inbox row is back to received,
	// and the sweeper enqueues it under the same task id.
	ErrReplayNotQueued = errors.New("replay recorded, but not enqueued; the sweeper will enqueue it")
)

// ReplayEvent applies a failed or stale inbound event again, with the
// current code: the point is to fix whatever made it fail (a mapping, a
// missing user) and replay the failures. A stale event is applied only if
// it is no longer older than the state it would overwrite.
//
// In one transaction the event goes back to received and its replay is
// counted; then it is enqueued under a task id of its own (see
// jobs.ApplyEvent.Replay). It returns the event as it now stands. The API
// and the command line both replay through here.
func ReplayEvent(ctx context.Context, db *storage.DB, queue *jobs.Client, id int64) (storage.InboxEvent, error) {
	var ev storage.InboxEvent
	err := db.InTx(ctx, func(tx *storage.Tx) error {
		row, err := tx.LockInboxEvent(ctx, id)
		if err != nil {
			return err
		}
		if row.Status != storage.InboxFailed && row.Status != storage.InboxStale {
			return fmt.Errorf("event %d is %s: %w", id, row.Status, ErrNotReplayable)
		}
		ev, err = tx.ReceiveAgain(ctx, id)
		return err
	})
	if err != nil {
		return storage.InboxEvent{}, err
	}
	if _, err := queue.EnqueueApplyEvent(ctx, applyEvent(ev)); err != nil {
		return ev, fmt.Errorf("event %d: %w: %w", id, ErrReplayNotQueued, err)
	}
	return ev, nil
}

// applyEvent is the task that applies a recorded event, the inverse of
// inboxEvent. It carries the row's replay count, so that whoever enqueues
// a replayed event (the replay itself, or the sweeper when that enqueue
// was lost) uses the replay's task id.
func applyEvent(row storage.InboxEvent) jobs.ApplyEvent {
	return jobs.ApplyEvent{
		Source: row.Source, Kind: row.Kind, EventID: row.EventID, EventType: row.EventType,
		OccurredAt: row.OccurredAt, Payload: row.Payload, Replay: row.Replays,
	}
}
