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
	// Entitled is how many active users the customer's automatic
	// assignment entitles to the product (0 without a mapping).
	Entitled int `db:"entitled"`
	// PendingRemovals is how many live seats a scheduled change will
	// retire: the marked seats, and every live seat of an order with a
	// cancel_at (a scheduled cancellation is not marked seat by seat).
	PendingRemovals int `db:"pending_removals"`
	// BillableQuantity is what the customer is billed for: an elastic
	// line's live seats, any other line's quantity.
	BillableQuantity int `db:"billable_quantity"`
}

// SeatUsage sums, per product, the quantity of a customer's active orders'
// lines and the live seats of those lines, with the number of users on the
// product's waiting list and of active users its automatic assignment
// entitles. Products with nothing to report (every line dropped to 0, no
// seat, nobody waiting or entitled) are left out. Canceled orders do not
// count: the customer no longer pays for them. Seats are counted by the
// lines' counters, never row by row; the waiting and entitled users are
// counted through the customer's indexes (waiting_list_fifo, users_active
// and the memberships' primary key).
func (db *DB) SeatUsage(ctx context.Context, customerExternalID string) ([]ProductUsage, error) {
	var customerID string
	err := db.x.GetContext(ctx, &customerID, `SELECT id FROM customers WHERE external_id = $1`, customerExternalID)
	if err != nil {
		return nil, wrapf(err, "customer %s", customerExternalID)
	}
	usage := []ProductUsage{}
	err = db.x.SelectContext(ctx, &usage, `
		WITH products AS (
		    SELECT l.product_id, sum(l.quantity) AS quantity, sum(l.assigned) AS assigned,
		           sum(l.invited) AS invited, sum(l.live - l.assigned - l.invited) AS unassigned,
		           sum(CASE WHEN o.cancel_at IS NOT NULL THEN l.live ELSE l.pending_removals END) AS pending_removals,
		           sum(CASE WHEN l.elastic THEN l.live ELSE l.quantity END) AS billable_quantity
		    FROM order_lines l JOIN orders o ON o.id = l.order_id
		    WHERE o.customer_id = $1 AND o.status = 'active'
		    GROUP BY l.product_id
		), waiting AS (
		    SELECT product_id, count(*) AS waiting FROM waiting_list
		    WHERE customer_id = $1 GROUP BY product_id
		), entitled AS (
		    -- The membership is a scalar subquery, not EXISTS: an EXISTS
		    -- becomes a (hashed) join that scans every customer's memberships
		    -- of the group; this probes the primary key once per user.
		    SELECT m.product_id, (SELECT count(*) FROM users u
		        WHERE u.customer_id = $1 AND u.status = 'active'
		          AND (m.group_name IS NULL OR (SELECT g.member FROM user_groups g
		               WHERE g.user_id = u.id AND g.group_name = m.group_name))) AS entitled
		    FROM auto_assign m WHERE m.customer_id = $1
		), ids AS (
		    SELECT product_id FROM products UNION SELECT product_id FROM waiting UNION SELECT product_id FROM entitled
		)
		SELECT ids.product_id,
		       COALESCE(p.quantity, 0)::int   AS quantity,
		       COALESCE(p.assigned, 0)::int   AS assigned,
		       COALESCE(p.invited, 0)::int    AS invited,
		       COALESCE(p.unassigned, 0)::int AS unassigned,
		       COALESCE(w.waiting, 0)::int    AS waiting,
		       COALESCE(e.entitled, 0)::int   AS entitled,
		       COALESCE(p.pending_removals, 0)::int  AS pending_removals,
		       COALESCE(p.billable_quantity, 0)::int AS billable_quantity
		FROM ids LEFT JOIN products p USING (product_id) LEFT JOIN waiting w USING (product_id)
		LEFT JOIN entitled e USING (product_id)
		WHERE COALESCE(p.quantity, 0) + COALESCE(p.assigned, 0) + COALESCE(p.invited, 0)
		    + COALESCE(p.unassigned, 0) + COALESCE(p.billable_quantity, 0) + COALESCE(w.waiting, 0)
		    + COALESCE(e.entitled, 0) > 0
		ORDER BY 1`, customerID)
	return usage, wrapf(err, "seat usage of customer %s", customerExternalID)
}
