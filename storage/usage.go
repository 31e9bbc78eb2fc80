package storage

import (
	"context"
	"fmt"
)

// SeatCounts counts live seats by status.
type SeatCounts struct {
	Assigned   int `db:"assigned"`
	Invited    int `db:"invited"`
	Unassigned int `db:"unassigned"`
}

// LineSeatCounts counts the live seats of each line of an order, by line id.
// A line without live seats is missing from the map: its counts are zero.
func (db *DB) LineSeatCounts(ctx context.Context, orderID string) (map[string]SeatCounts, error) {
	var rows []struct {
		LineID string `db:"line_id"`
		SeatCounts
	}
	err := db.x.SelectContext(ctx, &rows, `
		SELECT s.line_id,
		       count(*) FILTER (WHERE s.status = 'assigned')   AS assigned,
		       count(*) FILTER (WHERE s.status = 'invited')    AS invited,
		       count(*) FILTER (WHERE s.status = 'unassigned') AS unassigned
		FROM seats s JOIN order_lines l ON l.id = s.line_id
		WHERE l.order_id = $1 AND s.retired_at IS NULL
		GROUP BY s.line_id`, orderID)
	if err != nil {
		return nil, wrapf(err, "seat counts of order %s", orderID)
	}
	counts := make(map[string]SeatCounts, len(rows))
	for _, r := range rows {
		counts[r.LineID] = r.SeatCounts
	}
	return counts, nil
}

// CheckSeatOfOrder returns ErrNotFound unless seatID is a seat of the order.
// Retired seats count: a cursor handed out before a seat was retired must
// keep working.
func (db *DB) CheckSeatOfOrder(ctx context.Context, orderID, seatID string) error {
	var ok bool
	// Comparing as text keeps a malformed id a plain "not found" instead of
	// a uuid syntax error.
	err := db.x.GetContext(ctx, &ok, `
		SELECT EXISTS (SELECT 1 FROM seats s JOIN order_lines l ON l.id = s.line_id
		               WHERE l.order_id = $1 AND s.id::text = $2)`, orderID, seatID)
	if err != nil {
		return wrapf(err, "seat %s of order %s", seatID, orderID)
	}
	if !ok {
		return fmt.Errorf("seat %s of order %s: %w", seatID, orderID, ErrNotFound)
	}
	return nil
}

// ProductUsage is a customer's use of one product across its active orders.
type ProductUsage struct {
	ProductID  string `db:"product_id"`
	Quantity   int    `db:"quantity"`
	Assigned   int    `db:"assigned"`
	Invited    int    `db:"invited"`
	Unassigned int    `db:"unassigned"`
	Waiting    int    `db:"waiting"`
}

// SeatUsage sums, per product, the quantity of a customer's active orders'
// lines and the live seats of those lines, with the number of users on the
// product's waiting list. Products with nothing to report (every line
// dropped to 0, no seat, nobody waiting) are left out. Canceled orders do
// not count: the customer no longer pays for them.
func (db *DB) SeatUsage(ctx context.Context, customerExternalID string) ([]ProductUsage, error) {
	var customerID string
	err := db.x.GetContext(ctx, &customerID, `SELECT id FROM customers WHERE external_id = $1`, customerExternalID)
	if err != nil {
		return nil, wrapf(err, "customer %s", customerExternalID)
	}
	usage := []ProductUsage{}
	err = db.x.SelectContext(ctx, &usage, `
		WITH lines AS (
		    SELECT l.product_id, l.quantity,
		           count(s.id) FILTER (WHERE s.status = 'assigned')   AS assigned,
		           count(s.id) FILTER (WHERE s.status = 'invited')    AS invited,
		           count(s.id) FILTER (WHERE s.status = 'unassigned') AS unassigned
		    FROM order_lines l JOIN orders o ON o.id = l.order_id
		    LEFT JOIN seats s ON s.line_id = l.id AND s.retired_at IS NULL
		    WHERE o.customer_id = $1 AND o.status = 'active'
		    GROUP BY l.id
		), products AS (
		    SELECT product_id, sum(quantity) AS quantity, sum(assigned) AS assigned,
		           sum(invited) AS invited, sum(unassigned) AS unassigned
		    FROM lines GROUP BY product_id
		), waiting AS (
		    SELECT product_id, count(*) AS waiting FROM waiting_list
		    WHERE customer_id = $1 GROUP BY product_id
		)
		SELECT COALESCE(p.product_id, w.product_id) AS product_id,
		       COALESCE(p.quantity, 0)::int   AS quantity,
		       COALESCE(p.assigned, 0)::int   AS assigned,
		       COALESCE(p.invited, 0)::int    AS invited,
		       COALESCE(p.unassigned, 0)::int AS unassigned,
		       COALESCE(w.waiting, 0)::int    AS waiting
		FROM products p FULL JOIN waiting w ON w.product_id = p.product_id
		WHERE COALESCE(p.quantity, 0) + COALESCE(p.assigned, 0) + COALESCE(p.invited, 0)
		    + COALESCE(p.unassigned, 0) + COALESCE(w.waiting, 0) > 0
		ORDER BY 1`, customerID)
	return usage, wrapf(err, "seat usage of customer %s", customerExternalID)
}
