package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Order statuses.
const (
	OrderActive   = "active"
	OrderCanceled = "canceled"
)

// Order is a subscription: how many seats of which product a customer pays for.
type Order struct {
	ID                 string     `db:"id"`
	ExternalID         string     `db:"external_id"`
	CustomerID         string     `db:"customer_id"`
	CustomerExternalID string     `db:"customer_external_id"`
	Status             string     `db:"status"`
	AppliedEventAt     *time.Time `db:"applied_event_at"`
	StatusEventAt      *time.Time `db:"status_event_at"`
	CreatedAt          time.Time  `db:"created_at"`
	UpdatedAt          time.Time  `db:"updated_at"`
	Lines              []OrderLine
}

// OrderLine is one seat-based line: a product and its quantity.
type OrderLine struct {
	ID        string `db:"id"`
	ProductID string `db:"product_id"`
	Quantity  int    `db:"quantity"`
}

// OrderInput is what an upsert sets. Lines is the order's complete set: a
// product missing from it drops to quantity 0.
type OrderInput struct {
	ExternalID string
	Customer   CustomerRef
	Status     string
	Lines      []LineInput
}

// LineInput is one line of an OrderInput.
type LineInput struct {
	ProductID string
	Quantity  int
}

// UpsertOrder creates or updates an order and its lines as of the provider
// time `at`. It reports false, and changes nothing, when the stored order
// reflects a newer event.
func (tx *Tx) UpsertOrder(ctx context.Context, in OrderInput, at time.Time) (applied bool, err error) {
	customerID, err := tx.resolveCustomer(ctx, in.Customer)
	if err != nil {
		return false, err
	}
	// Lines (with the customer) and status each move only forward in event
	// time; the lines are rewritten when this event is their newest.
	var row struct {
		ID       string `db:"id"`
		NewLines bool   `db:"new_lines"`
	}
	err = tx.x.GetContext(ctx, &row, `
		INSERT INTO orders (external_id, customer_id, status, applied_event_at, status_event_at)
		VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (external_id) DO UPDATE SET
		    customer_id = CASE WHEN `+newer("orders.applied_event_at")+` THEN EXCLUDED.customer_id ELSE orders.customer_id END,
		    status      = CASE WHEN `+newer("orders.status_event_at")+` THEN EXCLUDED.status ELSE orders.status END,
		    applied_event_at = GREATEST(orders.applied_event_at, EXCLUDED.applied_event_at),
		    status_event_at  = GREATEST(orders.status_event_at, EXCLUDED.status_event_at),
		    updated_at = now()
		WHERE `+newer("orders.applied_event_at")+` OR `+newer("orders.status_event_at")+`
		RETURNING id, applied_event_at = $4 AS new_lines`, in.ExternalID, customerID, in.Status, at)
	if applied, err := appliedOrStale(err, "upsert order "+in.ExternalID); !applied || !row.NewLines {
		return applied, err
	}
	id := row.ID
	products := make(pq.StringArray, 0, len(in.Lines))
	for _, l := range in.Lines {
		products = append(products, l.ProductID)
		_, err := tx.x.ExecContext(ctx, `
			INSERT INTO order_lines (order_id, product_id, quantity) VALUES ($1, $2, $3)
			ON CONFLICT (order_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity, updated_at = now()
			WHERE order_lines.quantity <> EXCLUDED.quantity`, id, l.ProductID, l.Quantity)
		if err != nil {
			return false, wrapf(err, "set line %s of order %s", l.ProductID, in.ExternalID)
		}
	}
	_, err = tx.x.ExecContext(ctx, `
		UPDATE order_lines SET quantity = 0, updated_at = now()
		WHERE order_id = $1 AND quantity <> 0 AND product_id <> ALL($2::text[])`, id, products)
	if err != nil {
		return false, wrapf(err, "drop lines of order %s", in.ExternalID)
	}
	return true, nil
}

// CancelOrder cancels an order as of `at`. It returns ErrNotFound when no
// event made the order yet: the caller retries, as its creation may still be
// on the way.
func (tx *Tx) CancelOrder(ctx context.Context, externalID string, at time.Time) (applied bool, err error) {
	var id string
	err = tx.x.GetContext(ctx, &id, `
		UPDATE orders SET status = 'canceled', status_event_at = $2, updated_at = now()
		WHERE external_id = $1 AND (status_event_at IS NULL OR status_event_at <= $2)
		RETURNING id`, externalID, at)
	if applied, err := appliedOrStale(err, "cancel order "+externalID); applied || err != nil {
		return applied, err
	}
	var exists bool
	if err := tx.x.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM orders WHERE external_id = $1)`, externalID); err != nil {
		return false, wrapf(err, "cancel order %s", externalID)
	}
	if !exists {
		return false, fmt.Errorf("cancel order %s: %w", externalID, ErrNotFound)
	}
	return false, nil
}

// OrderByExternalID returns an order with its lines, in product order.
func (db *DB) OrderByExternalID(ctx context.Context, externalID string) (Order, error) {
	var o Order
	err := db.x.GetContext(ctx, &o, `
		SELECT o.*, c.external_id AS customer_external_id
		FROM orders o JOIN customers c ON c.id = o.customer_id
		WHERE o.external_id = $1`, externalID)
	if err != nil {
		return Order{}, wrapf(err, "order %s", externalID)
	}
	err = db.x.SelectContext(ctx, &o.Lines, `
		SELECT id, product_id, quantity FROM order_lines WHERE order_id = $1 ORDER BY product_id`, o.ID)
	if err != nil {
		return Order{}, wrapf(err, "lines of order %s", externalID)
	}
	return o, nil
}

// OrderID returns the id of an order by its external id.
func (tx *Tx) OrderID(ctx context.Context, externalID string) (string, error) {
	var id string
	err := tx.x.GetContext(ctx, &id, `SELECT id FROM orders WHERE external_id = $1`, externalID)
	return id, wrapf(err, "order %s", externalID)
}

// OrderCustomer returns the external id of an order's customer, without
// locking: callers lock the customer (through LockUser or LockOrCreateCustomer)
// before the order's lines, the order every transaction takes its locks in.
func (tx *Tx) OrderCustomer(ctx context.Context, orderExternalID string) (string, error) {
	var id string
	err := tx.x.GetContext(ctx, &id, `
		SELECT c.external_id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.external_id = $1`, orderExternalID)
	return id, wrapf(err, "order %s", orderExternalID)
}

// OrderStatus returns an order's status, without locking it.
func (tx *Tx) OrderStatus(ctx context.Context, externalID string) (string, error) {
	var status string
	err := tx.x.GetContext(ctx, &status, `SELECT status FROM orders WHERE external_id = $1`, externalID)
	return status, wrapf(err, "order %s", externalID)
}
