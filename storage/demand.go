package storage

import (
	"context"

	"github.com/lib/pq"
)

// DemandLines locks a customer's lines of one product on active orders, as
// LockLinesOfProduct does, and says whether anyone waits for the product:
// what deciding seat.pool_exhausted and seat.pool_available needs. The
// waiting list is probed once through waiting_list_fifo (EXISTS, never a
// count), and the lines come with their counters, so the cost does not
// depend on how many seats or waiting users there are.
func (tx *Tx) DemandLines(ctx context.Context, customerID, productID string) (lines []Line, waiting bool, err error) {
	var rows []struct {
		Waiting bool `db:"anyone_waiting"`
		Line
	}
	err = tx.x.SelectContext(ctx, &rows, `
		SELECT EXISTS (SELECT 1 FROM waiting_list w WHERE w.customer_id = $1 AND w.product_id = $2) AS anyone_waiting,
		`+lineColumns+`
		WHERE o.customer_id = $1 AND l.product_id = $2 AND o.status = 'active'
		ORDER BY l.id FOR UPDATE OF l`, customerID, productID)
	if err != nil {
		return nil, false, wrapf(err, "demand for %s", productID)
	}
	lines = make([]Line, len(rows))
	for i, r := range rows {
		lines[i], waiting = r.Line, r.Waiting
	}
	return lines, waiting, nil
}

// SetExhausted records which of the lines last reported seat.pool_exhausted
// (exhausted true) or seat.pool_available (false), in one statement. The
// caller holds the lines' locks.
func (tx *Tx) SetExhausted(ctx context.Context, lineIDs []string, exhausted bool) error {
	if len(lineIDs) == 0 {
		return nil
	}
	_, err := tx.x.ExecContext(ctx, `
		UPDATE order_lines SET exhausted = $2 WHERE id = ANY($1::uuid[]) AND exhausted <> $2`,
		pq.StringArray(lineIDs), exhausted)
	return wrapf(err, "mark %d lines exhausted=%t", len(lineIDs), exhausted)
}
