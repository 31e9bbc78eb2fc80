package storage

import (
	"context"
	"encoding/json"

	"github.com/lib/pq"
)

// ReserveSequences advances a line's event counter by n and returns the
// first of the n numbers; the caller holds the line lock and numbers its
// events from there.
func (tx *Tx) ReserveSequences(ctx context.Context, lineID string, n int) (int64, error) {
	var last int64
	err := tx.x.GetContext(ctx, &last, `UPDATE order_lines SET sequence = sequence + $2 WHERE id = $1 RETURNING sequence`, lineID, n)
	return last - int64(n) + 1, wrapf(err, "reserve %d sequence numbers of line %s", n, lineID)
}

// OutboxEntry is one outbound event of a line, numbered by the caller.
type OutboxEntry struct {
	EventType string
	Sequence  int64
	Body      any
}

// AppendOutboxAll writes a line's events in one statement, in the
// caller's transaction, in the order given.
func (tx *Tx) AppendOutboxAll(ctx context.Context, customerID, lineID string, events []OutboxEntry) error {
	if len(events) == 0 {
		return nil
	}
	types, seqs, bodies := make(pq.StringArray, len(events)), make(pq.Int64Array, len(events)), make(pq.StringArray, len(events))
	for i, e := range events {
		b, err := json.Marshal(e.Body)
		if err != nil {
			return wrapf(err, "encode %s event", e.EventType)
		}
		types[i], seqs[i], bodies[i] = e.EventType, e.Sequence, string(b)
	}
	_, err := tx.x.ExecContext(ctx, `
		INSERT INTO outbox (event_type, customer_id, line_id, sequence, body)
		SELECT t, $1, $2, s, b::jsonb FROM unnest($3::text[], $4::bigint[], $5::text[]) WITH ORDINALITY AS e(t, s, b, n)
		ORDER BY n`, customerID, lineID, types, seqs, bodies)
	return wrapf(err, "append %d events of line %s", len(events), lineID)
}
