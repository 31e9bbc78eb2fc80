package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Inbox event statuses. An event leaves "received" exactly once.
const (
	InboxReceived = "received"
	InboxApplied  = "applied"
	InboxStale    = "stale"
	InboxFailed   = "failed"
)

// InboxEvent is one inbound event as it was received, and what became of it.
type InboxEvent struct {
	ID          int64      `db:"id"`
	Source      string     `db:"source"`
	Kind        string     `db:"kind"`
	EventID     string     `db:"event_id"`
	EventType   string     `db:"event_type"`
	OccurredAt  time.Time  `db:"occurred_at"`
	Payload     []byte     `db:"payload"`
	Status      string     `db:"status"`
	Error       string     `db:"error"`
	ReceivedAt  time.Time  `db:"received_at"`
	ProcessedAt *time.Time `db:"processed_at"`
	Replays     int        `db:"replays"`     // operator replays so far
	ReplayedAt  *time.Time `db:"replayed_at"` // the last one
}

const insertInboxEvent = `
INSERT INTO inbox_events (source, kind, event_id, event_type, occurred_at, payload)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (source, event_id) DO NOTHING`

// InsertInboxEvent records a received event. It reports false, and changes
// nothing, when the event was already recorded: a redelivery.
func (db *DB) InsertInboxEvent(ctx context.Context, ev InboxEvent) (inserted bool, err error) {
	res, err := db.x.ExecContext(ctx, insertInboxEvent,
		ev.Source, ev.Kind, ev.EventID, ev.EventType, ev.OccurredAt, ev.Payload)
	if err != nil {
		return false, wrapf(err, "insert inbox event %s/%s", ev.Source, ev.EventID)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert inbox event %s/%s: %w", ev.Source, ev.EventID, err)
	}
	return n == 1, nil
}

// claimInboxEvent is the claim's one statement in the usual case, where the
// receiver recorded the row and nobody has applied it yet: it locks the
// row and marks it applied at once, so that an event whose apply ends
// applied (nearly all of them) needs no second write of its row. The mark
// commits or rolls back with the effect; FinishInboxEvent corrects it for
// any other outcome. A concurrent claim of the same row waits for this
// transaction and then, the row no longer received, claims nothing.
const claimInboxEvent = `
UPDATE inbox_events SET status = 'applied', error = '', processed_at = now()
WHERE ` + receivedInboxRow + `
RETURNING id`

// receivedInboxRow picks the row of event ($1, $2) if it is still
// received. The row is found by its key in a subquery: written as
// "source = $1 AND event_id = $2 AND status = 'received'", Postgres may
// take the listing index (source, status, id) instead of the unique key and
// read every received event of the source, as it did under a backlog.
const receivedInboxRow = `id = (SELECT id FROM inbox_events WHERE source = $1 AND event_id = $2) AND status = 'received'`

// lockInboxEvent reads and locks the row of an event the claim did not
// mark: one dealt with already, or one not recorded yet.
const lockInboxEvent = `
SELECT id, status FROM inbox_events
WHERE source = $1 AND event_id = $2
FOR UPDATE`

// InboxClaim is what a worker's claim of an event's inbox row found.
type InboxClaim struct {
	ID int64
	// Claimed: the row was received and this transaction now holds it,
	// marked applied. Otherwise the event was dealt with already.
	Claimed bool
}

// ClaimInboxEvent makes sure the event has its inbox row (the receiver may
// have accepted it through the queue alone while Postgres was down), locks
// that row until the transaction ends and, when the event is still to be
// applied, marks it applied (see claimInboxEvent). The lock makes
// concurrent deliveries of the same event wait and then see the final
// status.
//
// The usual claim is one round trip. Of workers that find the row missing
// at once, one inserts it and the others' inserts wait for that
// transaction, then do nothing; their second claim sees the row as it
// committed.
func (tx *Tx) ClaimInboxEvent(ctx context.Context, ev InboxEvent) (InboxClaim, error) {
	for retried := false; ; retried = true {
		var id int64
		err := tx.x.GetContext(ctx, &id, claimInboxEvent, ev.Source, ev.EventID)
		if err == nil {
			return InboxClaim{ID: id, Claimed: true}, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return InboxClaim{}, wrapf(err, "claim inbox event %s/%s", ev.Source, ev.EventID)
		}
		var row struct {
			ID     int64  `db:"id"`
			Status string `db:"status"`
		}
		err = tx.x.GetContext(ctx, &row, lockInboxEvent, ev.Source, ev.EventID)
		switch {
		case err == nil && row.Status != InboxReceived:
			return InboxClaim{ID: row.ID}, nil
		case err == nil:
			// A replay put the row back between the two statements; the
			// lock now held makes the next claim take it.
		case errors.Is(err, sql.ErrNoRows) && !retried:
			if _, err := tx.x.ExecContext(ctx, insertInboxEvent,
				ev.Source, ev.Kind, ev.EventID, ev.EventType, ev.OccurredAt, ev.Payload); err != nil {
				return InboxClaim{}, wrapf(err, "record inbox event %s/%s", ev.Source, ev.EventID)
			}
		default:
			return InboxClaim{}, wrapf(err, "lock inbox event %s/%s", ev.Source, ev.EventID)
		}
	}
}

// FinishInboxEvent records the outcome of applying an event the claim did
// not leave right: one that ended stale or failed.
func (tx *Tx) FinishInboxEvent(ctx context.Context, id int64, status, reason string) error {
	_, err := tx.x.ExecContext(ctx, `
		UPDATE inbox_events SET status = $2, error = $3, processed_at = now()
		WHERE id = $1`, id, status, reason)
	if err != nil {
		return wrapf(err, "finish inbox event %d", id)
	}
	return nil
}

// UnprocessedInboxEvents lists events received before `before` that were
// never applied, oldest first. FOR UPDATE SKIP LOCKED keeps concurrent
// sweepers off each other's rows and off rows a worker is applying.
func (tx *Tx) UnprocessedInboxEvents(ctx context.Context, before time.Time, limit int) ([]InboxEvent, error) {
	var evs []InboxEvent
	err := tx.x.SelectContext(ctx, &evs, `
		SELECT * FROM inbox_events
		WHERE status = 'received' AND received_at < $1
		ORDER BY received_at
		LIMIT $2
		FOR UPDATE SKIP LOCKED`, before, limit)
	if err != nil {
		return nil, wrapf(err, "list unprocessed inbox events")
	}
	return evs, nil
}

// InboxEventByID returns one recorded event by source and provider event id.
func (db *DB) InboxEventByID(ctx context.Context, source, eventID string) (InboxEvent, error) {
	var ev InboxEvent
	err := db.x.GetContext(ctx, &ev, `SELECT * FROM inbox_events WHERE source = $1 AND event_id = $2`, source, eventID)
	if err != nil {
		return InboxEvent{}, wrapf(err, "inbox event %s/%s", source, eventID)
	}
	return ev, nil
}

// GiveUpInboxEvent marks an event failed when the queue stops retrying it,
// unless it was applied meanwhile.
func (db *DB) GiveUpInboxEvent(ctx context.Context, source, eventID, reason string) error {
	_, err := db.x.ExecContext(ctx, `
		UPDATE inbox_events SET status = 'failed', error = $3, processed_at = now()
		WHERE `+receivedInboxRow, source, eventID, reason)
	if err != nil {
		return wrapf(err, "give up inbox event %s/%s", source, eventID)
	}
	return nil
}
