package storage

import (
	"context"
	"encoding/json"

	"github.com/lib/pq"
)

// OutboxEntry is one outbound event of a line. Its body's data.sequence
// is set when it is written: the line's next number.
type OutboxEntry struct {
	EventType string
	Body      any
}

// AppendLineEvents writes a line's events in the caller's transaction, in
// the order given, numbering them with the line's next sequence numbers
// (in each body's data.sequence and the row's sequence), in one statement
// however many there are. The caller holds the line lock.
func (tx *Tx) AppendLineEvents(ctx context.Context, customerID, lineID string, events []OutboxEntry) error {
	if len(events) == 0 {
		return nil
	}
	types, bodies := make(pq.StringArray, len(events)), make(pq.StringArray, len(events))
	for i, e := range events {
		b, err := json.Marshal(e.Body)
		if err != nil {
			return wrapf(err, "encode %s event", e.EventType)
		}
		types[i], bodies[i] = e.EventType, string(b)
	}
	_, err := tx.x.ExecContext(ctx, `
		WITH line AS (
		    UPDATE order_lines SET sequence = sequence + cardinality($3::text[]) WHERE id = $2
		    RETURNING sequence - cardinality($3::text[]) AS base
		)
		INSERT INTO outbox (event_type, customer_id, line_id, sequence, body)
		SELECT t, $1, $2, line.base + n, jsonb_set(b::jsonb, '{data,sequence}', to_jsonb(line.base + n))
		FROM line, unnest($3::text[], $4::text[]) WITH ORDINALITY AS e(t, b, n)
		ORDER BY n`, customerID, lineID, types, bodies)
	return wrapf(err, "append %d events of line %s", len(events), lineID)
}
