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
