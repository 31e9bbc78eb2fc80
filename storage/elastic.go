package storage

import (
	"context"
	"encoding/json"

	"github.com/lib/pq"
)

// Elastic lines (SPEC §1, seats over time): a line that grows a seat for a
// user when none is free, up to its max_quantity, and retires or marks the
// seats its users leave. Every statement here reads or writes only the
// rows the decision names, by primary key or by index; none reads the
// pool.

// RetiredElastic is the retired_reason of a seat an elastic line gave
// back: it was grown for a user (above the quantity bought) and the user
// left.
const RetiredElastic = "elastic_release"

// RefreshLine reads a locked line's counters again, by primary key: what
// the line holds after the writes this transaction made since locking it.
func (tx *Tx) RefreshLine(ctx context.Context, line Line) (Line, error) {
	err := tx.x.QueryRowxContext(ctx, `
		SELECT quantity, live, assigned, invited, pending_removals FROM order_lines WHERE id = $1`, line.ID).
		Scan(&line.Quantity, &line.Live, &line.Assigned, &line.Invited, &line.PendingRemovals)
	return line, wrapf(err, "read line %s", line.ID)
}

// NextWaitingUpTo is NextWaiting with the limit given: an elastic line
// seats more users than it has free seats, since it grows seats for them.
func (tx *Tx) NextWaitingUpTo(ctx context.Context, line Line, n int) ([]string, error) {
	var ids []string
	err := tx.x.SelectContext(ctx, &ids, `
		SELECT w.user_id FROM waiting_list w
		WHERE w.customer_id = $1 AND w.product_id = $2
		  AND NOT EXISTS (SELECT 1 FROM seats s WHERE s.line_id = $3 AND s.user_id = w.user_id AND s.retired_at IS NULL)
		ORDER BY w.id LIMIT $4`,
		line.CustomerID, line.ProductID, line.ID, n)
	return ids, wrapf(err, "waiting list of %s", line.ProductID)
}

// GrowSeats adds n unassigned seats to an elastic line in one statement
// and returns them, oldest first.
func (tx *Tx) GrowSeats(ctx context.Context, lineID string, n int) ([]Seat, error) {
	var seats []Seat
	err := tx.x.SelectContext(ctx, &seats, `
		WITH grown AS (
		    INSERT INTO seats (line_id, created_at)
		    SELECT $1, clock_timestamp() FROM generate_series(1, $2)
		    RETURNING id, line_id, status, created_at
		)
		SELECT id, line_id, status, created_at FROM grown ORDER BY created_at, id`, lineID, n)
	return seats, wrapf(err, "grow %d seats on line %s", n, lineID)
}

// ReleaseFreed gives back those of seatIDs that are still free, unmarked
// seats of the line, as many as the line holds above its quantity: retire
// true retires them (RetiredElastic), false marks them pending_removal,
// counting the seats already marked as going. It returns how many.
func (tx *Tx) ReleaseFreed(ctx context.Context, lineID string, seatIDs []string, retire bool) (int, error) {
	set, room := `retired_at = now(), retired_reason = '`+RetiredElastic+`'`, `live - quantity`
	if !retire {
		set, room = `pending_removal = true`, `live - quantity - pending_removals`
	}
	var n int
	err := tx.x.GetContext(ctx, &n, `
		WITH pick AS (
		    SELECT s.id FROM seats s
		    WHERE s.id = ANY($2::uuid[]) AND s.line_id = $1 AND s.retired_at IS NULL
		      AND s.status = 'unassigned' AND NOT s.pending_removal
		    ORDER BY s.created_at DESC, s.id DESC
		    LIMIT (SELECT greatest(`+room+`, 0) FROM order_lines WHERE id = $1)
		    FOR UPDATE OF s
		), released AS (
		    UPDATE seats s SET `+set+` FROM pick WHERE s.id = pick.id RETURNING s.id
		)
		SELECT count(*) FROM released`, lineID, pq.StringArray(seatIDs))
	return n, wrapf(err, "release %d seats of line %s", len(seatIDs), lineID)
}

// UnmarkSeats clears the pending_removal mark of those of seatIDs that
// carry it: seats of an elastic line a new holder took, so that the line
// keeps them instead of growing another.
func (tx *Tx) UnmarkSeats(ctx context.Context, lineID string, seatIDs []string) error {
	_, err := tx.x.ExecContext(ctx, `
		UPDATE seats SET pending_removal = false
		WHERE id = ANY($2::uuid[]) AND line_id = $1 AND retired_at IS NULL AND pending_removal`,
		lineID, pq.StringArray(seatIDs))
	return wrapf(err, "unmark %d seats of line %s", len(seatIDs), lineID)
}

// RetireMarkedFree retires the line's free seats marked pending_removal,
// as many as it holds above its quantity, and then clears the mark of the
// free marked seats left (the quantity caught up with them: they are paid
// for). Both read the marked seats only, through seats_pending_removal. It
// returns how many it retired.
func (tx *Tx) RetireMarkedFree(ctx context.Context, lineID string) (int, error) {
	var n int
	err := tx.x.GetContext(ctx, &n, `
		WITH pick AS (
		    SELECT s.id FROM seats s
		    WHERE s.line_id = $1 AND s.retired_at IS NULL AND s.pending_removal AND s.status = 'unassigned'
		    ORDER BY s.id
		    LIMIT (SELECT greatest(live - quantity, 0) FROM order_lines WHERE id = $1)
		    FOR UPDATE OF s
		), retired AS (
		    UPDATE seats s SET retired_at = now(), retired_reason = '`+RetiredElastic+`'
		    FROM pick WHERE s.id = pick.id RETURNING s.id
		)
		SELECT count(*) FROM retired`, lineID)
	if err != nil {
		return 0, wrapf(err, "retire marked seats of line %s", lineID)
	}
	_, err = tx.x.ExecContext(ctx, `
		UPDATE seats SET pending_removal = false
		WHERE line_id = $1 AND retired_at IS NULL AND pending_removal AND status = 'unassigned'`, lineID)
	return n, wrapf(err, "unmark seats of line %s", lineID)
}

// AppendGrowth writes the seat.pool_updated that reports an elastic line's
// growth, once per transaction: a second growth of the line in the same
// transaction (automatic assignment seating users one by one) sets the
// billable quantity of the first event instead of writing another. Any
// other pool event of the line written after it (ForgetGrowth) starts a
// new one.
func (tx *Tx) AppendGrowth(ctx context.Context, customerID, lineID string, e OutboxEntry, billable int) error {
	if id, ok := tx.grown[lineID]; ok {
		_, err := tx.x.ExecContext(ctx, `
			UPDATE outbox SET body = jsonb_set(body, '{data,billable_quantity}', to_jsonb($2::int)) WHERE id = $1`, id, billable)
		return wrapf(err, "update growth event of line %s", lineID)
	}
	b, err := json.Marshal(e.Body)
	if err != nil {
		return wrapf(err, "encode %s event", e.EventType)
	}
	var id int64
	err = tx.x.GetContext(ctx, &id, `
		WITH line AS (UPDATE order_lines SET sequence = sequence + 1 WHERE id = $2 RETURNING sequence)
		INSERT INTO outbox (event_type, customer_id, line_id, sequence, body)
		SELECT $3, $1, $2, line.sequence, jsonb_set($4::jsonb, '{data,sequence}', to_jsonb(line.sequence))
		FROM line RETURNING id`, customerID, lineID, e.EventType, string(b))
	if err != nil {
		return wrapf(err, "append growth event of line %s", lineID)
	}
	if tx.grown == nil {
		tx.grown = make(map[string]int64)
	}
	tx.grown[lineID] = id
	return nil
}

// ForgetGrowth makes the line's next growth in this transaction a new
// event: another pool event of the line came after the last one.
func (tx *Tx) ForgetGrowth(lineID string) { delete(tx.grown, lineID) }
