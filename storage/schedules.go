package storage

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// ScheduleInput is an order's complete set of scheduled line changes, as a
// provider that sends them apart from the subscription states them
// (Stripe's subscription schedules): a line left out has none.
type ScheduleInput struct {
	OrderExternalID string
	Lines           []ScheduledLine
}

// ScheduledLine is one line's lower quantity and when it takes effect.
type ScheduledLine struct {
	ProductID string
	Quantity  int
	At        time.Time
}

// SetSchedules sets the schedules of an order's lines as of the provider
// time `at`, by the order's own clock for schedules (schedule_event_at):
// it reports false, and changes nothing, when a newer schedule event was
// applied. A scheduled quantity that is not below the line's quantity is
// no reduction, and leaves the line without a schedule. It returns
// ErrNotFound when no event made the order yet: the caller retries.
func (tx *Tx) SetSchedules(ctx context.Context, in ScheduleInput, at time.Time) (applied bool, err error) {
	var orderID string
	err = tx.x.GetContext(ctx, &orderID, `
		UPDATE orders SET schedule_event_at = COALESCE($2, now()), updated_at = now()
		WHERE external_id = $1 AND ($2::timestamptz IS NULL OR schedule_event_at IS NULL OR schedule_event_at <= $2)
		RETURNING id`, in.OrderExternalID, eventTime(at))
	if applied, err := appliedOrStale(err, "schedule order "+in.OrderExternalID); !applied {
		if err != nil {
			return false, err
		}
		if _, err := tx.OrderID(ctx, in.OrderExternalID); err != nil {
			return false, err // ErrNotFound: not made yet
		}
		return false, nil
	}
	products := make(pq.StringArray, len(in.Lines))
	quantities := make(pq.Int64Array, len(in.Lines))
	times := make(pq.StringArray, len(in.Lines))
	for i, l := range in.Lines {
		products[i], quantities[i], times[i] = l.ProductID, int64(l.Quantity), l.At.UTC().Format(time.RFC3339Nano)
	}
	_, err = tx.x.ExecContext(ctx, `
		UPDATE order_lines l
		SET scheduled_quantity = s.quantity, scheduled_at = s.at, updated_at = now()
		FROM (SELECT l.id, CASE WHEN c.quantity < l.quantity THEN c.quantity END AS quantity,
		             CASE WHEN c.quantity < l.quantity THEN c.at END AS at
		      FROM order_lines l
		      LEFT JOIN unnest($2::text[], $3::int[], $4::timestamptz[]) AS c(product_id, quantity, at) ON c.product_id = l.product_id
		      WHERE l.order_id = $1) s
		WHERE l.id = s.id AND (l.scheduled_quantity, l.scheduled_at) IS DISTINCT FROM (s.quantity, s.at)`,
		orderID, products, quantities, times)
	return true, wrapf(err, "schedule order %s", in.OrderExternalID)
}

// What a schedule applies (Due.Kind).
const (
	DueLine  = "line"  // a line's scheduled_quantity at its scheduled_at
	DueOrder = "order" // an order's cancel_at
	// DueRelease is an elastic line's seats marked pending_removal by its
	// period_end release, retired at the order's current_period_end.
	DueRelease = "release"
)

// Due is a scheduled change and when it takes effect: a line's reduction
// (ID is the line's) or an order's cancellation (ID is the order's).
type Due struct {
	Kind string    `db:"kind"`
	ID   string    `db:"id"`
	At   time.Time `db:"at"`
}

// DueTarget is what applying a Due locks: its customer, then its order's
// lines (the one lock order).
type DueTarget struct {
	CustomerExternalID string `db:"customer_external_id"`
	OrderExternalID    string `db:"order_external_id"`
	OrderID            string `db:"order_id"`
	ProductID          string `db:"product_id"` // "" for an order's cancellation
}

// DueSchedules lists up to limit line schedules and cancellations of
// active orders that take effect at or before until, soonest first, and
// the elastic lines whose marked seats their period end releases. It
// reads without locking, through the partial indexes
// order_lines_scheduled_at, orders_cancel_at and order_lines_release_due
// (only what is scheduled),
// so it never takes a lock out of the lock order: applying checks again
// under the locks.
func (db *DB) DueSchedules(ctx context.Context, until time.Time, limit int) ([]Due, error) {
	out := []Due{}
	err := db.x.SelectContext(ctx, &out, `
		SELECT kind, id, at FROM (
		    (SELECT 'line' AS kind, l.id::text, l.scheduled_at AS at FROM order_lines l JOIN orders o ON o.id = l.order_id
		     WHERE l.scheduled_at IS NOT NULL AND l.scheduled_at <= $1 AND o.status = 'active' ORDER BY l.scheduled_at LIMIT $2)
		    UNION ALL
		    (SELECT 'order', id::text, cancel_at FROM orders
		     WHERE cancel_at IS NOT NULL AND status = 'active' AND cancel_at <= $1 ORDER BY cancel_at LIMIT $2)
		    UNION ALL
		    (SELECT 'release', l.id::text, o.current_period_end FROM order_lines l JOIN orders o ON o.id = l.order_id
		     WHERE l.elastic AND l.release = 'period_end' AND l.pending_removals > 0
		       AND o.status = 'active' AND o.current_period_end <= $1 ORDER BY o.current_period_end LIMIT $2)
		) d ORDER BY at, kind, id LIMIT $2`, until, limit)
	return out, wrapf(err, "due schedules")
}

// DueTarget resolves what applying d locks, without locking;
// ErrNotFound when its line or order is gone.
func (tx *Tx) DueTarget(ctx context.Context, d Due) (DueTarget, error) {
	var t DueTarget
	var err error
	if d.Kind == DueLine || d.Kind == DueRelease {
		err = tx.x.GetContext(ctx, &t, `
			SELECT c.external_id AS customer_external_id, o.external_id AS order_external_id, o.id AS order_id, l.product_id
			FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN customers c ON c.id = o.customer_id
			WHERE l.id::text = $1`, d.ID)
	} else {
		err = tx.x.GetContext(ctx, &t, `
			SELECT c.external_id AS customer_external_id, o.external_id AS order_external_id, o.id AS order_id, '' AS product_id
			FROM orders o JOIN customers c ON c.id = o.customer_id
			WHERE o.id::text = $1`, d.ID)
	}
	return t, wrapf(err, "%s %s of a schedule", d.Kind, d.ID)
}

// ApplyLineSchedule makes a line's scheduled quantity its quantity and
// clears its schedule, when the line still has the schedule of `at`; it
// reports false, changing nothing, otherwise (applied already, replaced or
// cleared meanwhile). The change is stamped with the scheduled time on the
// order's clocks for lines and for schedules, so a provider event older
// than the schedule's date is stale and a newer one wins (rule 8). The
// caller holds the line's lock.
func (tx *Tx) ApplyLineSchedule(ctx context.Context, lineID string, at time.Time) (bool, error) {
	var orderID string
	err := tx.x.GetContext(ctx, &orderID, `
		UPDATE order_lines SET quantity = scheduled_quantity, scheduled_quantity = NULL, scheduled_at = NULL, updated_at = now()
		WHERE id = $1 AND scheduled_at = $2
		RETURNING order_id`, lineID, at)
	if applied, err := appliedOrStale(err, "apply schedule of line "+lineID); !applied {
		return false, err
	}
	_, err = tx.x.ExecContext(ctx, `
		UPDATE orders SET applied_event_at = GREATEST(applied_event_at, $2), schedule_event_at = GREATEST(schedule_event_at, $2),
		    updated_at = now()
		WHERE id = $1`, orderID, at)
	return true, wrapf(err, "stamp schedule of line %s", lineID)
}

// ApplyCancelAt cancels an active order whose cancel_at is still `at`,
// stamping the status with that time (so an older provider event is stale
// and a newer one wins); false, changing nothing, otherwise. The caller
// holds the order's lines' locks.
func (tx *Tx) ApplyCancelAt(ctx context.Context, orderID string, at time.Time) (bool, error) {
	var id string
	err := tx.x.GetContext(ctx, &id, `
		UPDATE orders SET status = 'canceled', status_event_at = GREATEST(status_event_at, $2), updated_at = now()
		WHERE id = $1 AND status = 'active' AND cancel_at = $2
		RETURNING id`, orderID, at)
	return appliedOrStale(err, "apply cancel_at of order "+orderID)
}
