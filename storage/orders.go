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

// Line release settings (LineSettings.Release), spelled as webhooks spells
// them for canonical events: a seat freed on an elastic line above its
// quantity is retired at once, or at the order's current_period_end.
const (
	ReleaseImmediate = "immediate"
	ReleasePeriodEnd = "period_end"
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
	CancelAt           *time.Time `db:"cancel_at"`
	CurrentPeriodEnd   *time.Time `db:"current_period_end"`
	ScheduleEventAt    *time.Time `db:"schedule_event_at"`
	CreatedAt          time.Time  `db:"created_at"`
	UpdatedAt          time.Time  `db:"updated_at"`
	Lines              []OrderLine
}

// OrderLine is one seat-based line: a product and its quantity, with its
// scheduled change and elastic settings (SPEC §1, seats over time).
type OrderLine struct {
	ID        string `db:"id"`
	ProductID string `db:"product_id"`
	Quantity  int    `db:"quantity"`
	LineSettings
}

// LineSettings are what an order line carries beside its quantity: a lower
// quantity scheduled for a time (both set or neither), and whether it is
// elastic, up to what, and when a seat freed on it is retired ("immediate"
// or "period_end").
type LineSettings struct {
	ScheduledQuantity *int       `db:"scheduled_quantity"`
	ScheduledAt       *time.Time `db:"scheduled_at"`
	Elastic           bool       `db:"elastic"`
	MaxQuantity       *int       `db:"max_quantity"`
	Release           string     `db:"release"`
}

// OrderInput is what an upsert sets. Lines is the order's complete set: a
// product missing from it drops to quantity 0.
type OrderInput struct {
	ExternalID string
	Customer   CustomerRef
	Status     string
	Lines      []LineInput
	// CancelAt and CurrentPeriodEnd are the provider's current state:
	// nil clears them.
	CancelAt         *time.Time
	CurrentPeriodEnd *time.Time
	// KeepSchedules leaves the lines' schedules as they are: for a
	// provider whose subscription events do not carry them (Stripe sends
	// subscription schedules as events of their own, see SetSchedules).
	KeepSchedules bool
}

// LineInput is one line of an OrderInput. An empty Release is "immediate".
type LineInput struct {
	ProductID string
	Quantity  int
	LineSettings
}

// UpsertOrder creates or updates an order and its lines as of the provider
// time `at`. It reports false, and changes nothing, when the stored order
// reflects a newer event.
func (tx *Tx) UpsertOrder(ctx context.Context, in OrderInput, at time.Time) (applied bool, err error) {
	customerID, err := tx.resolveCustomer(ctx, in.Customer)
	if err != nil {
		return false, err
	}
	// Lines (with the customer and the schedule) and status each move only
	// forward in event time; the lines are rewritten when this event is their newest.
	var row struct {
		ID       string `db:"id"`
		NewLines bool   `db:"new_lines"`
	}
	err = tx.x.GetContext(ctx, &row, `
		INSERT INTO orders (external_id, customer_id, status, applied_event_at, status_event_at, cancel_at, current_period_end)
		VALUES ($1, $2, $3, COALESCE($4, now()), COALESCE($4, now()), $5, $6)
		ON CONFLICT (external_id) DO UPDATE SET
		    customer_id = CASE WHEN `+newer("orders.applied_event_at", "$4")+` THEN EXCLUDED.customer_id ELSE orders.customer_id END,
		    cancel_at   = CASE WHEN `+newer("orders.applied_event_at", "$4")+` THEN EXCLUDED.cancel_at ELSE orders.cancel_at END,
		    current_period_end = CASE WHEN `+newer("orders.applied_event_at", "$4")+` THEN EXCLUDED.current_period_end ELSE orders.current_period_end END,
		    status      = CASE WHEN `+newer("orders.status_event_at", "$4")+` THEN EXCLUDED.status ELSE orders.status END,
		    applied_event_at = GREATEST(orders.applied_event_at, EXCLUDED.applied_event_at),
		    status_event_at  = GREATEST(orders.status_event_at, EXCLUDED.status_event_at),
		    updated_at = now()
		WHERE `+newer("orders.applied_event_at", "$4")+` OR `+newer("orders.status_event_at", "$4")+`
		RETURNING id, ($4::timestamptz IS NULL OR applied_event_at = $4) AS new_lines`,
		in.ExternalID, customerID, in.Status, eventTime(at), in.CancelAt, in.CurrentPeriodEnd)
	if applied, err := appliedOrStale(err, "upsert order "+in.ExternalID); !applied || !row.NewLines {
		return applied, err
	}
	id := row.ID
	products := make(pq.StringArray, 0, len(in.Lines))
	for _, l := range in.Lines {
		products = append(products, l.ProductID)
		release := l.Release
		if release == "" {
			release = ReleaseImmediate
		}
		_, err := tx.x.ExecContext(ctx, `
			INSERT INTO order_lines (order_id, product_id, quantity, scheduled_quantity, scheduled_at, elastic, max_quantity, release)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (order_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity,
			    scheduled_quantity = CASE WHEN $9 THEN order_lines.scheduled_quantity ELSE EXCLUDED.scheduled_quantity END,
			    scheduled_at = CASE WHEN $9 THEN order_lines.scheduled_at ELSE EXCLUDED.scheduled_at END,
			    elastic = EXCLUDED.elastic, max_quantity = EXCLUDED.max_quantity, release = EXCLUDED.release,
			    updated_at = now()
			WHERE (order_lines.quantity, order_lines.elastic, order_lines.max_quantity, order_lines.release)
			      IS DISTINCT FROM (EXCLUDED.quantity, EXCLUDED.elastic, EXCLUDED.max_quantity, EXCLUDED.release)
			   OR (NOT $9 AND (order_lines.scheduled_quantity, order_lines.scheduled_at)
			      IS DISTINCT FROM (EXCLUDED.scheduled_quantity, EXCLUDED.scheduled_at))`,
			id, l.ProductID, l.Quantity, l.ScheduledQuantity, l.ScheduledAt, l.Elastic, l.MaxQuantity, release, in.KeepSchedules)
		if err != nil {
			return false, wrapf(err, "set line %s of order %s", l.ProductID, in.ExternalID)
		}
	}
	_, err = tx.x.ExecContext(ctx, `
		UPDATE order_lines SET quantity = 0, scheduled_quantity = NULL, scheduled_at = NULL, updated_at = now()
		WHERE order_id = $1 AND (quantity <> 0 OR scheduled_at IS NOT NULL) AND product_id <> ALL($2::text[])`, id, products)
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
		UPDATE orders SET status = 'canceled', status_event_at = GREATEST(status_event_at, COALESCE($2, now())), updated_at = now()
		WHERE external_id = $1 AND ($2::timestamptz IS NULL OR status_event_at IS NULL OR status_event_at <= $2)
		RETURNING id`, externalID, eventTime(at))
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
		SELECT id, product_id, quantity, scheduled_quantity, scheduled_at, elastic, max_quantity, release
		FROM order_lines WHERE order_id = $1 ORDER BY product_id`, o.ID)
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
