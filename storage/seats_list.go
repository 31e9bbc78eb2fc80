package storage

import (
	"context"

	"github.com/lib/pq"
)

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
		SELECT l.product_id, `+seatColumns+`, (o.cancel_at IS NOT NULL AND o.status = 'active') AS cancel_pending
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
