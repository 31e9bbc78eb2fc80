package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// insertInboxEvents is the group commit of the receive path: many
// requests' rows in one statement and one commit. unnest keeps the text of
// the statement the same whatever the batch size (six array parameters), so
// Postgres plans one shape and the driver sends one message. Rows already
// recorded are skipped; RETURNING names the ones that were new. Rows go in
// key order: two batches holding some of the same events (a provider's
// retry racing its first delivery) then take the unique index's locks in
// the same order, and one waits for the other instead of deadlocking.
const insertInboxEvents = `
INSERT INTO inbox_events (source, kind, event_id, event_type, occurred_at, payload)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::bytea[])
    AS e(source, kind, event_id, event_type, occurred_at, payload)
ORDER BY source COLLATE "C", event_id COLLATE "C"
ON CONFLICT (source, event_id) DO NOTHING
RETURNING source, event_id`

// InboxKey names one inbound event: the inbox is unique on it.
type InboxKey struct {
	Source  string
	EventID string
}

// InsertInboxEvents records received events in one statement. It answers,
// for each of evs in order, whether that event is new; an event recorded
// before, or earlier in evs, answers false. Either every event is recorded
// (or was already) or, on error, none of them is.
func (db *DB) InsertInboxEvents(ctx context.Context, evs []InboxEvent) ([]bool, error) {
	n := len(evs)
	if n == 0 {
		return nil, nil
	}
	// A second delivery of an event within evs is left out of the
	// statement, so that the first one is the row recorded and the one
	// answered new.
	first := make(map[InboxKey]int, n)
	var (
		sources    = make(pq.StringArray, 0, n)
		kinds      = make(pq.StringArray, 0, n)
		eventIDs   = make(pq.StringArray, 0, n)
		eventTypes = make(pq.StringArray, 0, n)
		occurred   = make(pq.StringArray, 0, n)
		payloads   = make(pq.ByteaArray, 0, n)
	)
	for i, ev := range evs {
		k := InboxKey{ev.Source, ev.EventID}
		if _, seen := first[k]; seen {
			continue
		}
		first[k] = i
		sources, kinds = append(sources, ev.Source), append(kinds, ev.Kind)
		eventIDs, eventTypes = append(eventIDs, ev.EventID), append(eventTypes, ev.EventType)
		occurred = append(occurred, ev.OccurredAt.UTC().Format(time.RFC3339Nano))
		payloads = append(payloads, ev.Payload)
	}
	rows, err := db.prepared(insertInboxEvents).QueryxContext(ctx, sources, kinds, eventIDs, eventTypes, occurred, payloads)
	if err != nil {
		return nil, wrapf(err, "insert %d inbox events", n)
	}
	defer rows.Close()
	out := make([]bool, n)
	for rows.Next() {
		var k InboxKey
		if err := rows.Scan(&k.Source, &k.EventID); err != nil {
			return nil, fmt.Errorf("insert %d inbox events: scan: %w", n, err)
		}
		out[first[k]] = true
	}
	if err := rows.Err(); err != nil {
		return nil, wrapf(err, "insert %d inbox events", n)
	}
	return out, nil
}
