package storage

import (
	"context"
	"encoding/json"
	"time"
)

// OutboxMessage is one outbound event as stored: the body is sent as it is.
type OutboxMessage struct {
	ID         int64     `db:"id"`
	MessageID  string    `db:"message_id"`
	EventType  string    `db:"event_type"`
	CustomerID string    `db:"customer_id"`
	LineID     *string   `db:"line_id"`
	Sequence   *int64    `db:"sequence"`
	Body       []byte    `db:"body"`
	CreatedAt  time.Time `db:"created_at"`
}

// AppendOutbox writes one outbound event in the caller's transaction, so
// the event exists exactly when the change it reports does.
func (tx *Tx) AppendOutbox(ctx context.Context, eventType, customerID, lineID string, sequence int64, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return wrapf(err, "encode %s event", eventType)
	}
	var line *string
	var seq *int64
	if lineID != "" {
		line, seq = &lineID, &sequence
	}
	_, err = tx.x.ExecContext(ctx, `
		INSERT INTO outbox (event_type, customer_id, line_id, sequence, body) VALUES ($1, $2, $3, $4, $5)`,
		eventType, customerID, line, seq, string(b))
	return wrapf(err, "append %s event", eventType)
}

// OutboxMessages lists outbound events in the order they were written.
func (db *DB) OutboxMessages(ctx context.Context, afterID int64, limit int) ([]OutboxMessage, error) {
	var msgs []OutboxMessage
	err := db.x.SelectContext(ctx, &msgs, `
		SELECT id, message_id, event_type, customer_id, line_id, sequence, convert_to(body::text, 'UTF8') AS body, created_at
		FROM outbox WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	return msgs, wrapf(err, "list outbox")
}
