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
	OccupiedAt     *time.Time `db:"occupied_at"`
	CreatedAt      time.Time  `db:"created_at"`
}

// Line is an order line locked for the rest of the transaction, with
// everything the seat rules look at. Holding this lock is what serialises
// every change to the line's seats, whichever worker makes it.
type Line struct {
	ID                 string `db:"id"`
	ProductID          string `db:"product_id"`
	Quantity           int    `db:"quantity"`
	OrderID            string `db:"order_id"`
	OrderExternalID    string `db:"order_external_id"`
	OrderStatus        string `db:"order_status"`
	CustomerID         string `db:"customer_id"`
	CustomerExternalID string `db:"customer_external_id"`
	Seats              []Seat
}

// seatColumns reads a Seat and its holder from seats s LEFT JOIN users u.
const seatColumns = `s.id, s.line_id, s.status, COALESCE(s.user_id::text, '') AS user_id,
	COALESCE(u.external_id, '') AS user_external_id, COALESCE(u.email, '') AS user_email,
	COALESCE(s.invited_email, '') AS invited_email, s.occupied_at, s.created_at`

const lineColumns = `
	l.id, l.product_id, l.quantity, o.id AS order_id, o.external_id AS order_external_id,
	o.status AS order_status, c.id AS customer_id, c.external_id AS customer_external_id
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
// orders, oldest order first: where automatic assignment looks for seats.
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
	for i := range lines {
		err := tx.x.SelectContext(ctx, &lines[i].Seats, `
			SELECT `+seatColumns+`
			FROM seats s LEFT JOIN users u ON u.id = s.user_id
			WHERE s.line_id = $1 AND s.retired_at IS NULL
			ORDER BY s.created_at, s.id`, lines[i].ID)
		if err != nil {
			return nil, wrapf(err, "seats of line %s", lines[i].ID)
		}
	}
	return lines, nil
}

// CreateSeats adds n unassigned seats to a line.
func (tx *Tx) CreateSeats(ctx context.Context, lineID string, n int) error {
	_, err := tx.x.ExecContext(ctx, `
		INSERT INTO seats (line_id, created_at)
		SELECT $1, clock_timestamp() FROM generate_series(1, $2)`, lineID, n)
	return wrapf(err, "create %d seats on line %s", n, lineID)
}

// RetireSeat takes an unassigned seat out of its line for good.
func (tx *Tx) RetireSeat(ctx context.Context, seatID, reason string) error {
	_, err := tx.x.ExecContext(ctx, `
		UPDATE seats SET retired_at = now(), retired_reason = $2 WHERE id = $1 AND status = 'unassigned'`, seatID, reason)
	return wrapf(err, "retire seat %s", seatID)
}

// Occupy gives a seat to a user and opens their assignment; it returns the
// assignment id.
func (tx *Tx) Occupy(ctx context.Context, seatID, lineID, userID, source string) (string, error) {
	_, err := tx.x.ExecContext(ctx, `
		UPDATE seats SET status = 'assigned', user_id = $2, invited_email = NULL, occupied_at = clock_timestamp()
		WHERE id = $1`, seatID, userID)
	if err != nil {
		return "", wrapf(err, "occupy seat %s", seatID)
	}
	var id string
	err = tx.x.GetContext(ctx, &id, `
		INSERT INTO assignments (seat_id, line_id, user_id, source) VALUES ($1, $2, $3, $4) RETURNING id`,
		seatID, lineID, userID, source)
	return id, wrapf(err, "open assignment of seat %s", seatID)
}

// Vacate frees a seat and closes its assignment with the reason; it returns
// the closed assignment's id ("" for a seat that was only invited). An open
// invitation of the seat ends with the same reason, so its token stops
// working whatever took the seat away.
func (tx *Tx) Vacate(ctx context.Context, seatID, reason string) (string, error) {
	// One statement: the seat, its open invitation (an invited seat) and
	// its open assignment (a held one) change together, in one round trip
	// on the paths that vacate many seats (deactivation, a smaller order).
	var ids []string
	err := tx.x.SelectContext(ctx, &ids, `
		WITH seat AS (
		    UPDATE seats SET status = 'unassigned', user_id = NULL, invited_email = NULL, occupied_at = NULL
		    WHERE id = $1
		), invitation AS (
		    UPDATE invitations SET ended_at = clock_timestamp(), end_reason = $2
		    WHERE seat_id = $1 AND ended_at IS NULL
		)
		UPDATE assignments SET ended_at = clock_timestamp(), end_reason = $2
		WHERE seat_id = $1 AND ended_at IS NULL RETURNING id`, seatID, reason)
	if err != nil || len(ids) == 0 {
		return "", wrapf(err, "vacate seat %s", seatID)
	}
	return ids[0], nil
}

// AssignmentSource tells how the user came to hold the seat (manual or auto).
func (tx *Tx) AssignmentSource(ctx context.Context, seatID string) (string, error) {
	var source string
	err := tx.x.GetContext(ctx, &source, `SELECT source FROM assignments WHERE seat_id = $1 AND ended_at IS NULL`, seatID)
	return source, wrapf(err, "assignment of seat %s", seatID)
}

// SeatFilter narrows OrderSeats; empty fields match everything.
type SeatFilter struct {
	ProductID string
	Status    string
	After     string   // seat id: seats after it in (created_at, id) order
	IDs       []string // only these seats
	Limit     int      // 0: no limit
}

// OrderSeats lists an order's live seats in creation order (the order of a
// cursor), with their holders.
func (db *DB) OrderSeats(ctx context.Context, orderExternalID string, f SeatFilter) ([]Seat, error) {
	limit := any(nil)
	if f.Limit > 0 {
		limit = f.Limit
	}
	var seats []Seat
	err := db.x.SelectContext(ctx, &seats, `
		SELECT l.product_id, `+seatColumns+`
		FROM seats s JOIN order_lines l ON l.id = s.line_id JOIN orders o ON o.id = l.order_id
		LEFT JOIN users u ON u.id = s.user_id
		WHERE o.external_id = $1 AND s.retired_at IS NULL
		  AND ($2 = '' OR l.product_id = $2) AND ($3 = '' OR s.status = $3)
		  AND ($4 = '' OR (s.created_at, s.id) > (SELECT created_at, id FROM seats WHERE id::text = $4))
		  AND (cardinality($6::text[]) = 0 OR s.id::text = ANY($6))
		ORDER BY s.created_at, s.id
		LIMIT $5`, orderExternalID, f.ProductID, f.Status, f.After, limit, pq.StringArray(append([]string{}, f.IDs...)))
	return seats, wrapf(err, "seats of order %s", orderExternalID)
}

// OrderSeat returns one live seat of an order, with its holder; ErrNotFound
// when the order has no such live seat (a malformed id included).
func (db *DB) OrderSeat(ctx context.Context, orderExternalID, seatID string) (Seat, error) {
	seats, err := db.OrderSeats(ctx, orderExternalID, SeatFilter{IDs: []string{seatID}})
	if err != nil {
		return Seat{}, err
	}
	if len(seats) == 0 {
		return Seat{}, wrapf(ErrNotFound, "seat %s of order %s", seatID, orderExternalID)
	}
	return seats[0], nil
}
