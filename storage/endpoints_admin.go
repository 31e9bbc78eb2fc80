package storage

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// ListEndpoints pages through endpoints in creation order, at most limit
// after the endpoint with id after ("": from the start). An after that
// names no endpoint is ErrNotFound, so a stale cursor is an error rather
// than an empty page.
func (db *DB) ListEndpoints(ctx context.Context, after string, limit int) ([]Endpoint, error) {
	if after != "" {
		if _, err := db.Endpoint(ctx, after); err != nil {
			return nil, err
		}
	}
	es := []Endpoint{}
	err := db.x.SelectContext(ctx, &es, `SELECT `+endpointColumns+`
		WHERE $1 = '' OR (e.created_at, e.id) > (SELECT created_at, id FROM webhook_endpoints WHERE id::text = $1)
		ORDER BY e.created_at, e.id LIMIT $2`, after, limit)
	return es, wrapf(err, "list endpoints")
}

// EndpointPatch is what updating an endpoint changes; nil fields stay.
type EndpointPatch struct {
	URL        *string
	EventTypes *[]string // empty: every type
	Enabled    *bool
}

// disabledByRequest is the disabled_reason of an endpoint an operator
// turned off, as opposed to one the worker gave up on.
const disabledByRequest = "disabled through the API"

// UpdateEndpoint applies patch. Enabling a disabled endpoint clears why it
// was disabled and its failing streak, so the worker judges it afresh;
// disabling an enabled one records that it was on request.
func (db *DB) UpdateEndpoint(ctx context.Context, id string, patch EndpointPatch) (Endpoint, error) {
	var eventTypes any // nil: unchanged
	if patch.EventTypes != nil {
		eventTypes = pq.StringArray(append([]string{}, *patch.EventTypes...))
	}
	// In SET, the column names read the row as it was before the update.
	res, err := db.x.ExecContext(ctx, `
		UPDATE webhook_endpoints SET
			url = COALESCE($2::text, url),
			event_types = COALESCE($3::text[], event_types),
			enabled = COALESCE($4::boolean, enabled),
			disabled_reason = CASE
				WHEN $4::boolean AND NOT enabled THEN ''
				WHEN NOT $4::boolean AND enabled THEN $5
				ELSE disabled_reason END,
			failing_since = CASE WHEN $4::boolean AND NOT enabled THEN NULL ELSE failing_since END,
			updated_at = now()
		WHERE id::text = $1`, id, patch.URL, eventTypes, patch.Enabled, disabledByRequest)
	if err != nil {
		return Endpoint{}, wrapf(err, "update endpoint %s", id)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Endpoint{}, wrapf(ErrNotFound, "endpoint %s", id)
	}
	return db.Endpoint(ctx, id)
}

// DeleteEndpoint removes an endpoint; its deliveries and their attempts go
// with it (ON DELETE CASCADE), and tasks still queued for them find nothing
// to send.
func (db *DB) DeleteEndpoint(ctx context.Context, id string) error {
	res, err := db.x.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id::text = $1`, id)
	if err != nil {
		return wrapf(err, "delete endpoint %s", id)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return wrapf(ErrNotFound, "endpoint %s", id)
	}
	return nil
}

// Delivery is one message's delivery to one endpoint, as listed.
type Delivery struct {
	ID            int64      `db:"id"`
	EndpointID    string     `db:"endpoint_id"`
	MessageID     string     `db:"message_id"`
	EventType     string     `db:"event_type"`
	Status        string     `db:"status"`
	Attempts      int        `db:"attempts"`
	Resends       int        `db:"resends"`
	LastAttemptAt *time.Time `db:"last_attempt_at"`
	CreatedAt     time.Time  `db:"created_at"`
}

const deliveryColumns = `d.id, d.endpoint_id, o.message_id, o.event_type, d.status, d.attempts, d.resends,
	d.last_attempt_at, d.created_at
	FROM deliveries d JOIN outbox o ON o.id = d.outbox_id`

// ListDeliveries pages through an endpoint's deliveries in creation order,
// at most limit after the delivery with id after (0: from the start).
func (db *DB) ListDeliveries(ctx context.Context, endpointID string, after int64, limit int) ([]Delivery, error) {
	ds := []Delivery{}
	err := db.x.SelectContext(ctx, &ds, `SELECT `+deliveryColumns+`
		WHERE d.endpoint_id::text = $1 AND d.id > $2 ORDER BY d.id LIMIT $3`, endpointID, after, limit)
	return ds, wrapf(err, "deliveries of endpoint %s", endpointID)
}

// MessageDeliveries lists a message's deliveries, one per endpoint it went to.
func (db *DB) MessageDeliveries(ctx context.Context, messageID string) ([]Delivery, error) {
	ds := []Delivery{}
	err := db.x.SelectContext(ctx, &ds, `SELECT `+deliveryColumns+`
		WHERE o.message_id::text = $1 ORDER BY d.id`, messageID)
	return ds, wrapf(err, "deliveries of message %s", messageID)
}

// EndpointDelivery returns one delivery of an endpoint; ErrNotFound when
// the delivery is unknown or belongs to another endpoint.
func (db *DB) EndpointDelivery(ctx context.Context, endpointID, deliveryID string) (Delivery, error) {
	var d Delivery
	err := db.x.GetContext(ctx, &d, `SELECT `+deliveryColumns+`
		WHERE d.endpoint_id::text = $1 AND d.id::text = $2`, endpointID, deliveryID)
	return d, wrapf(err, "delivery %s of endpoint %s", deliveryID, endpointID)
}

// ResendDelivery puts a delivery of the endpoint back to pending, whatever
// its status, and counts the resend.
func (db *DB) ResendDelivery(ctx context.Context, endpointID, deliveryID string) (DeliveryRef, error) {
	var r DeliveryRef
	err := db.x.GetContext(ctx, &r, `
		UPDATE deliveries d SET status = 'pending', resends = d.resends + 1, updated_at = now()
		FROM outbox o
		WHERE o.id = d.outbox_id AND d.endpoint_id::text = $1 AND d.id::text = $2
		RETURNING d.id, o.message_id, d.endpoint_id, d.resends`, endpointID, deliveryID)
	return r, wrapf(err, "resend delivery %s of endpoint %s", deliveryID, endpointID)
}

// ResendFailedSince puts every failed delivery of the endpoint created at
// or after since back to pending, in one statement so that two concurrent
// calls never resend the same delivery twice, and returns them.
func (db *DB) ResendFailedSince(ctx context.Context, endpointID string, since time.Time) ([]DeliveryRef, error) {
	refs := []DeliveryRef{}
	err := db.x.SelectContext(ctx, &refs, `
		UPDATE deliveries d SET status = 'pending', resends = d.resends + 1, updated_at = now()
		FROM outbox o
		WHERE o.id = d.outbox_id AND d.endpoint_id::text = $1 AND d.status = 'failed' AND d.created_at >= $2
		RETURNING d.id, o.message_id, d.endpoint_id, d.resends`, endpointID, since)
	return refs, wrapf(err, "resend failed deliveries of endpoint %s since %s", endpointID, since.Format(time.RFC3339))
}
