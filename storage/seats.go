package storage

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// Seat is one live (non-retired) seat, with its holder when assigned.
type Seat struct {
	ID             string     `db:"id"`
	LineID         string     `db:"line_id"`
	ProductID      string     `db:"product_id"`
	Status         string     `db:"status"`
	UserID         string     `db:"user_id"`
	UserExternalID string     `db:"user_external_id"`
	UserEmail      string     `db:"user_email"`
	InvitedEmail   string     `db:"invited_email"`
	Source         string     `db:"source"` // how the holder got it: manual or auto ("" when not assigned)
	OccupiedAt     *time.Time `db:"occupied_at"`
	CreatedAt      time.Time  `db:"created_at"`
	// PendingRemoval: the seat is marked to go when its line's scheduled
	// reduction applies. CancelPending: its order has a cancel_at, so every
	// seat goes then (read by OrderSeats only; no row is marked for it).
	PendingRemoval bool `db:"pending_removal"`
	CancelPending  bool `db:"cancel_pending"`
}

// Line is an order line locked for the rest of the transaction, with its
// counters as they were when it was locked. Holding this lock is what
// serialises every change to the line's seats, whichever worker makes it;
// the seats themselves are read a few at a time, by index, as a decision
// needs them.
type Line struct {
	ID                 string `db:"id"`
	ProductID          string `db:"product_id"`
	Quantity           int    `db:"quantity"`
	Live               int    `db:"live"`     // non-retired seats
	Assigned           int    `db:"assigned"` // of them held by a user
	Invited            int    `db:"invited"`  // of them held for an invitee
	OrderID            string `db:"order_id"`
	OrderExternalID    string `db:"order_external_id"`
	OrderStatus        string `db:"order_status"`
	CustomerID         string `db:"customer_id"`
	CustomerExternalID string `db:"customer_external_id"`
	LineSettings
	PendingRemovals int  `db:"pending_removals"` // live seats marked pending_removal
	Exhausted       bool `db:"exhausted"`        // last reported seat.pool_exhausted, not seat.pool_available
	// The order's scheduled cancellation and period end.
	CancelAt         *time.Time `db:"cancel_at"`
	CurrentPeriodEnd *time.Time `db:"current_period_end"`

	// What the line last reported of its schedule in seat.pool_updated.
	Reported ReportedSchedule `db:"reported"`
}

// Free is how many of the line's seats nobody holds.
func (l Line) Free() int { return l.Live - l.Assigned - l.Invited }

// seatColumns reads a Seat and its holder from seats s LEFT JOIN users u.
const seatColumns = `s.id, s.line_id, s.status, COALESCE(s.user_id::text, '') AS user_id,
	COALESCE(u.external_id, '') AS user_external_id, COALESCE(u.email, '') AS user_email,
	COALESCE(s.invited_email, '') AS invited_email, s.occupied_at, s.created_at, s.pending_removal,
	COALESCE((SELECT a.source FROM assignments a WHERE a.seat_id = s.id AND a.ended_at IS NULL), '') AS source`

const lineColumns = `
	l.id, l.product_id, l.quantity, l.live, l.assigned, l.invited, o.id AS order_id,
	l.scheduled_quantity, l.scheduled_at, l.elastic, l.max_quantity, l.release, l.pending_removals, l.exhausted,
	o.external_id AS order_external_id, o.status AS order_status, o.cancel_at, o.current_period_end,
	l.reported_scheduled_quantity AS "reported.scheduled_quantity", l.reported_scheduled_at AS "reported.scheduled_at",
	l.reported_cancel_at AS "reported.cancel_at",
	c.id AS customer_id, c.external_id AS customer_external_id
	FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN customers c ON c.id = o.customer_id`

// LockOrderLines locks every line of an order, in id order so that
// transactions locking several lines never wait on each other in a circle.
func (tx *Tx) LockOrderLines(ctx context.Context, orderID string) ([]Line, error) {
	return tx.lockLines(ctx, `WHERE l.order_id = $1 ORDER BY l.id FOR UPDATE OF l`, orderID)
}

// LockLine locks one line, by order external id and product.
func (tx *Tx) LockLine(ctx context.Context, orderExternalID, productID string) (Line, error) {
	lines, err := tx.lockLines(ctx, `WHERE o.external_id = $1 AND l.product_id = $2 FOR UPDATE OF l`, orderExternalID, productID)
	if err != nil {
		return Line{}, err
	}
	if len(lines) == 0 {
		return Line{}, wrapf(ErrNotFound, "line %s of order %s", productID, orderExternalID)
	}
	return lines[0], nil
}

// LockLinesOfProduct locks a customer's lines of one product on active
// orders, oldest line first: where automatic assignment looks for seats.
func (tx *Tx) LockLinesOfProduct(ctx context.Context, customerID, productID string) ([]Line, error) {
	return tx.lockLines(ctx, `WHERE o.customer_id = $1 AND l.product_id = $2 AND o.status = 'active'
		ORDER BY l.id FOR UPDATE OF l`, customerID, productID)
}

// LockLinesOfUser locks the lines on which a user holds a seat.
func (tx *Tx) LockLinesOfUser(ctx context.Context, userID string) ([]Line, error) {
	return tx.lockLines(ctx, `WHERE l.id IN (SELECT line_id FROM seats WHERE user_id = $1 AND retired_at IS NULL)
		ORDER BY l.id FOR UPDATE OF l`, userID)
}

func (tx *Tx) lockLines(ctx context.Context, where string, args ...any) ([]Line, error) {
	var lines []Line
	if err := tx.x.SelectContext(ctx, &lines, `SELECT `+lineColumns+` `+where, args...); err != nil {
		return nil, wrapf(err, "lock order lines")
	}
	return lines, nil
}

// SeatsByID returns the live seats among ids on the given lines (all of an
// order's lines, say), in creation order. Ids that are no live seat of
// those lines, malformed ones included, are left out.
func (tx *Tx) SeatsByID(ctx context.Context, lineIDs, ids []string) ([]Seat, error) {
	var seats []Seat
	err := tx.x.SelectContext(ctx, &seats, `
		SELECT `+seatColumns+` FROM seats s LEFT JOIN users u ON u.id = s.user_id
		WHERE s.line_id = ANY($1::uuid[]) AND s.id::text = ANY($2::text[]) AND s.retired_at IS NULL
		ORDER BY s.created_at, s.id`, pq.StringArray(lineIDs), pq.StringArray(ids))
	return seats, wrapf(err, "seats by id")
}

// UserSeats returns the live seats the users hold on the given lines (rule
// 2 makes that at most one per user and line), in line order, found
// through the one-seat-per-user index.
func (tx *Tx) UserSeats(ctx context.Context, userIDs, lineIDs []string) ([]Seat, error) {
	var seats []Seat
	err := tx.x.SelectContext(ctx, &seats, `
		SELECT `+seatColumns+` FROM seats s LEFT JOIN users u ON u.id = s.user_id
		WHERE s.user_id = ANY($1::uuid[]) AND s.line_id = ANY($2::uuid[]) AND s.retired_at IS NULL
		ORDER BY s.line_id, s.id`, pq.StringArray(userIDs), pq.StringArray(lineIDs))
	return seats, wrapf(err, "seats of %d users", len(userIDs))
}

// FreeSeats returns up to n of a line's unassigned seats, unmarked ones
// first (a seat marked pending_removal is handed out only when no unmarked
// one is free), then oldest first: the seats assignment and refilling hand
// out (index seats_free_unmarked).
func (tx *Tx) FreeSeats(ctx context.Context, lineID string, n int) ([]Seat, error) {
	var seats []Seat
	err := tx.x.SelectContext(ctx, &seats, `
		SELECT `+seatColumns+` FROM seats s LEFT JOIN users u ON u.id = s.user_id
		WHERE s.line_id = $1 AND s.retired_at IS NULL AND s.status = 'unassigned'
		ORDER BY s.pending_removal, s.created_at, s.id LIMIT $2`, lineID, n)
	return seats, wrapf(err, "free seats of line %s", lineID)
}

// RetirementCandidates returns the seats among which rule 6 picks n to
// retire: up to n of each kind, unassigned newest first, then invited and
// assigned, most recently occupied first. Each kind is read by index, so
// the cost follows n, not the size of the pool.
func (tx *Tx) RetirementCandidates(ctx context.Context, lineID string, n int) ([]Seat, error) {
	var seats []Seat
	err := tx.x.SelectContext(ctx, &seats, `
		(SELECT `+seatColumns+` FROM seats s LEFT JOIN users u ON u.id = s.user_id
		 WHERE s.line_id = $1 AND s.retired_at IS NULL AND s.status = 'unassigned'
		 ORDER BY s.created_at DESC, s.id DESC LIMIT $2)
		UNION ALL
		(SELECT `+seatColumns+` FROM seats s LEFT JOIN users u ON u.id = s.user_id
		 WHERE s.line_id = $1 AND s.retired_at IS NULL AND s.status = 'invited'
		 ORDER BY s.occupied_at DESC, s.id DESC LIMIT $2)
		UNION ALL
		(SELECT `+seatColumns+` FROM seats s LEFT JOIN users u ON u.id = s.user_id
		 WHERE s.line_id = $1 AND s.retired_at IS NULL AND s.status = 'assigned'
		 ORDER BY s.occupied_at DESC, s.id DESC LIMIT $2)`, lineID, n)
	return seats, wrapf(err, "retirement candidates of line %s", lineID)
}

// OccupiedSeats returns every held or invited seat of a line: what a
// canceled order must take back, all of it.
func (tx *Tx) OccupiedSeats(ctx context.Context, lineID string) ([]Seat, error) {
	var seats []Seat
	err := tx.x.SelectContext(ctx, &seats, `
		SELECT `+seatColumns+` FROM seats s LEFT JOIN users u ON u.id = s.user_id
		WHERE s.line_id = $1 AND s.retired_at IS NULL AND s.status <> 'unassigned'
		ORDER BY s.occupied_at, s.id`, lineID)
	return seats, wrapf(err, "occupied seats of line %s", lineID)
}

// InvitedEmails returns the emails of the line's open invitations that are
// email, compared case-insensitively.
func (tx *Tx) InvitedEmails(ctx context.Context, lineID, email string) ([]string, error) {
	var emails []string
	err := tx.x.SelectContext(ctx, &emails, `
		SELECT invited_email FROM seats
		WHERE line_id = $1 AND retired_at IS NULL AND status = 'invited' AND lower(invited_email) = lower($2)`, lineID, email)
	return emails, wrapf(err, "invitations of line %s", lineID)
}

// CreateSeats adds n unassigned seats to a line, in one statement.
func (tx *Tx) CreateSeats(ctx context.Context, lineID string, n int) error {
	_, err := tx.x.ExecContext(ctx, `
		INSERT INTO seats (line_id, created_at)
		SELECT $1, clock_timestamp() FROM generate_series(1, $2)`, lineID, n)
	return wrapf(err, "create %d seats on line %s", n, lineID)
}

// RetireSeats takes unassigned seats out of their line for good.
func (tx *Tx) RetireSeats(ctx context.Context, seatIDs []string, reason string) error {
	_, err := tx.x.ExecContext(ctx, `
		UPDATE seats SET retired_at = now(), retired_reason = $2
		WHERE id = ANY($1::uuid[]) AND status = 'unassigned'`, pq.StringArray(seatIDs), reason)
	return wrapf(err, "retire %d seats", len(seatIDs))
}
