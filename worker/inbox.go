package worker

import (
	"context"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
)

// Inbox records events in the Postgres inbox in the receiver; it is the same
// row the worker claims, so the conversion lives in one place.
type Inbox struct {
	db *storage.DB
}

// NewInbox returns the receiver's view of the inbox table.
func NewInbox(db *storage.DB) *Inbox {
	return &Inbox{db: db}
}

// Record inserts ev unless it was recorded before.
func (i *Inbox) Record(ctx context.Context, ev jobs.ApplyEvent) (bool, error) {
	return i.db.InsertInboxEvent(ctx, inboxEvent(ev))
}

func inboxEvent(ev jobs.ApplyEvent) storage.InboxEvent {
	return storage.InboxEvent{
		Source:     ev.Source,
		Kind:       ev.Kind,
		EventID:    ev.EventID,
		EventType:  ev.EventType,
		OccurredAt: ev.OccurredAt,
		Payload:    ev.Payload,
	}
}
