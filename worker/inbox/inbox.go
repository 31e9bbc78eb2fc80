// Package inbox is the lifecycle of an inbound event's Postgres row, the
// one record that makes an acknowledged event impossible to lose or to
// apply twice: the receiver records it, the worker claims, applies and
// finishes it in one transaction (or gives up on it), the sweeper puts
// recorded but unapplied events back on the queue, and the API and the
// command line replay failed or stale ones. Everyone goes through here,
// so the row and the task that applies it are converted in one place.
package inbox

import (
	"context"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
)

// Outcomes of applying an event: the inbox statuses an apply can end in,
// and Duplicate for an event whose row says it was already dealt with.
const (
	Applied   = storage.InboxApplied
	Stale     = storage.InboxStale
	Failed    = storage.InboxFailed
	Duplicate = "duplicate"
)

// Inbox is the inbox table as the pipeline's stages use it.
type Inbox struct {
	db    *storage.DB
	queue *jobs.Client
}

// New returns the inbox on db; queue is what replays enqueue on, and may
// be nil for a user that never replays (the receiver).
func New(db *storage.DB, queue *jobs.Client) *Inbox {
	return &Inbox{db: db, queue: queue}
}

// Record inserts ev unless it was recorded before, and reports whether it
// was new. The receiver calls it before it acknowledges the event.
func (i *Inbox) Record(ctx context.Context, ev jobs.ApplyEvent) (bool, error) {
	return i.db.InsertInboxEvent(ctx, Row(ev))
}

// GiveUp marks an event failed with reason once the queue has given up
// on its task, so that the sweeper stops offering it. An event whose row
// already left "received" is left as it is.
func (i *Inbox) GiveUp(ctx context.Context, ev jobs.ApplyEvent, reason string) error {
	return i.db.GiveUpInboxEvent(ctx, ev.Source, ev.EventID, reason)
}

// Row is the inbox row of a task's event.
func Row(ev jobs.ApplyEvent) storage.InboxEvent {
	return storage.InboxEvent{
		Source:     ev.Source,
		Kind:       ev.Kind,
		EventID:    ev.EventID,
		EventType:  ev.EventType,
		OccurredAt: ev.OccurredAt,
		Payload:    ev.Payload,
	}
}

// Task is the task that applies a recorded event, the inverse of Row. It
// carries the row's replay count, so that whoever enqueues a replayed
// event (the replay itself, or the sweeper when that enqueue was lost)
// uses the replay's task id.
func Task(row storage.InboxEvent) jobs.ApplyEvent {
	return jobs.ApplyEvent{
		Source: row.Source, Kind: row.Kind, EventID: row.EventID, EventType: row.EventType,
		OccurredAt: row.OccurredAt, Payload: row.Payload, Replay: row.Replays,
	}
}
