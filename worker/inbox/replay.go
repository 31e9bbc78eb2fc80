package inbox

import (
	"context"
	"errors"
	"fmt"

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

// Replay applies a failed or stale inbound event again, with the current
// code: the point is to fix whatever made it fail (a mapping, a missing
// user) and replay the failures. A stale event is applied only if it is no
// longer older than the state it would overwrite.
//
// In one transaction the event goes back to received and its replay is
// counted; then it is enqueued under a task id of its own (see
// jobs.ApplyEvent.Replay). It returns the event as it now stands. The API
// and the command line both replay through here.
func (i *Inbox) Replay(ctx context.Context, id int64) (storage.InboxEvent, error) {
	var ev storage.InboxEvent
	err := i.db.InTx(ctx, func(tx *storage.Tx) error {
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
	if _, err := i.queue.EnqueueApplyEvent(ctx, Task(ev)); err != nil {
		return ev, fmt.Errorf("event %d: %w: %w", id, ErrReplayNotQueued, err)
	}
	return ev, nil
}
