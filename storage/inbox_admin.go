package storage

import (
	"context"
)

// InboxStatuses are every status an inbox event can have, for filters.
var InboxStatuses = []string{InboxReceived, InboxApplied, InboxStale, InboxFailed}

// InboxFilter narrows ListInboxEvents; empty fields match everything.
type InboxFilter struct {
	Source string
	Status string
	Before int64 // inbox id: events received before it (0: from the newest)
	Limit  int
}

// inboxListColumns leave out the payload: a page of events must not carry
// up to a megabyte per row that nobody reads in a list.
const inboxListColumns = `id, source, kind, event_id, event_type, occurred_at, status, error,
	received_at, processed_at, replays, replayed_at`

// ListInboxEvents pages through recorded events newest first, without
// their payloads. Ids come from a sequence, so an event recorded while a
// client pages has an id above the cursor and never shows up on a later
// page.
func (db *DB) ListInboxEvents(ctx context.Context, f InboxFilter) ([]InboxEvent, error) {
	evs := []InboxEvent{}
	err := db.x.SelectContext(ctx, &evs, `SELECT `+inboxListColumns+` FROM inbox_events
		WHERE ($1 = '' OR source = $1) AND ($2 = '' OR status = $2) AND ($3 = 0 OR id < $3)
		ORDER BY id DESC LIMIT $4`, f.Source, f.Status, f.Before, f.Limit)
	return evs, wrapf(err, "list inbox events")
}

// InboxEvent returns one recorded event, payload included, by inbox id.
func (db *DB) InboxEvent(ctx context.Context, id int64) (InboxEvent, error) {
	var ev InboxEvent
	err := db.x.GetContext(ctx, &ev, `SELECT * FROM inbox_events WHERE id = $1`, id)
	return ev, wrapf(err, "inbox event %d", id)
}

// LockInboxEvent returns one recorded event by inbox id and locks it until
// the transaction ends; a worker applying the event holds the same lock.
func (tx *Tx) LockInboxEvent(ctx context.Context, id int64) (InboxEvent, error) {
	var ev InboxEvent
	err := tx.x.GetContext(ctx, &ev, `SELECT * FROM inbox_events WHERE id = $1 FOR UPDATE`, id)
	return ev, wrapf(err, "inbox event %d", id)
}

// ReceiveAgain puts a processed event back to received, as if it had just
// arrived, and counts the replay. processed_at is cleared with the outcome
// it dated; replayed_at says when this happened.
func (tx *Tx) ReceiveAgain(ctx context.Context, id int64) (InboxEvent, error) {
	var ev InboxEvent
	err := tx.x.GetContext(ctx, &ev, `
		UPDATE inbox_events SET status = 'received', error = '', processed_at = NULL,
		    replays = replays + 1, replayed_at = now()
		WHERE id = $1 RETURNING *`, id)
	return ev, wrapf(err, "replay inbox event %d", id)
}
