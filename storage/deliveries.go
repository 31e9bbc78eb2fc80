package storage

import (
	"context"
	"errors"
	"time"
)

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// DeliveryRef names a delivery for the queue.
type DeliveryRef struct {
	ID         int64  `db:"id"`
	MessageID  string `db:"message_id"`
	EndpointID string `db:"endpoint_id"`
	Resends    int    `db:"resends"` // part of the task id: each resend is a task of its own
}

// RelayOutbox fans up to limit outbox rows that were never relayed out to
// the endpoints that want them, and returns the deliveries it created.
// SKIP LOCKED lets every worker replica relay at once without doing the
// same row twice; the unique (message, endpoint) key makes a repeat
// harmless anyway.
func (tx *Tx) RelayOutbox(ctx context.Context, limit int) ([]DeliveryRef, error) {
	var rows []struct {
		ID         int64  `db:"id"`
		EventType  string `db:"event_type"`
		CustomerID string `db:"customer_id"`
	}
	err := tx.x.SelectContext(ctx, &rows, `
		SELECT id, event_type, customer_id FROM outbox WHERE relayed_at IS NULL
		ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
	if err != nil {
		return nil, wrapf(err, "unrelayed outbox")
	}
	var created []DeliveryRef
	for _, r := range rows {
		endpoints, err := tx.matchingEndpoints(ctx, r.EventType, r.CustomerID)
		if err != nil {
			return nil, err
		}
		for _, endpoint := range endpoints {
			var d DeliveryRef
			err := tx.x.GetContext(ctx, &d, `
				WITH d AS (INSERT INTO deliveries (outbox_id, endpoint_id) VALUES ($1, $2)
				           ON CONFLICT DO NOTHING RETURNING id, outbox_id, endpoint_id)
				SELECT d.id, o.message_id, d.endpoint_id FROM d JOIN outbox o ON o.id = d.outbox_id`, r.ID, endpoint)
			if err == nil {
				created = append(created, d)
			} else if !errors.Is(translate(err), ErrNotFound) {
				return nil, wrapf(err, "deliver outbox %d to %s", r.ID, endpoint)
			}
		}
		if _, err := tx.x.ExecContext(ctx, `UPDATE outbox SET relayed_at = now() WHERE id = $1`, r.ID); err != nil {
			return nil, wrapf(err, "mark outbox %d relayed", r.ID)
		}
	}
	return created, nil
}

// PendingDeliveries lists deliveries still pending whose last change is
// older than before: ones whose queue task may have been lost.
func (db *DB) PendingDeliveries(ctx context.Context, before time.Time, limit int) ([]DeliveryRef, error) {
	var refs []DeliveryRef
	err := db.x.SelectContext(ctx, &refs, `
		SELECT d.id, o.message_id, d.endpoint_id, d.resends FROM deliveries d JOIN outbox o ON o.id = d.outbox_id
		JOIN webhook_endpoints e ON e.id = d.endpoint_id
		WHERE d.status = 'pending' AND d.updated_at < $1 AND e.enabled
		ORDER BY d.updated_at LIMIT $2`, before, limit)
	return refs, wrapf(err, "pending deliveries")
}

// DeliveryToSend is a delivery with everything an attempt needs.
type DeliveryToSend struct {
	ID        int64  `db:"id"`
	Status    string `db:"status"`
	MessageID string `db:"message_id"`
	Body      []byte `db:"body"`
	Pruned    bool   `db:"pruned"`
	// CustomerExternalID is the customer the message is about, for logs.
	CustomerExternalID string `db:"customer_external_id"`
	// Endpoint has the fields an attempt uses: ID, URL, the secrets and
	// Enabled.
	Endpoint Endpoint
}

const deliveryForSending = `
SELECT d.id, d.status, o.message_id, convert_to(o.body::text, 'UTF8'), o.pruned_at IS NOT NULL,
       COALESCE(c.external_id, ''),
       e.id, e.url, e.secret, e.previous_secret, e.previous_secret_expires_at, e.enabled
FROM deliveries d JOIN outbox o ON o.id = d.outbox_id JOIN webhook_endpoints e ON e.id = d.endpoint_id
LEFT JOIN customers c ON c.id = o.customer_id
WHERE d.id = $1`

// DeliveryForSending loads a delivery, its message and its endpoint, in
// one statement.
func (db *DB) DeliveryForSending(ctx context.Context, id int64) (DeliveryToSend, error) {
	var d DeliveryToSend
	e := &d.Endpoint
	err := db.prepared(deliveryForSending).QueryRowxContext(ctx, id).
		Scan(&d.ID, &d.Status, &d.MessageID, &d.Body, &d.Pruned, &d.CustomerExternalID,
			&e.ID, &e.URL, &e.Secret, &e.PreviousSecret, &e.PreviousSecretExpiresAt, &e.Enabled)
	if err != nil {
		return DeliveryToSend{}, wrapf(err, "delivery %d", id)
	}
	return d, nil
}

// Attempt is one try at a delivery, as logged.
type Attempt struct {
	ID         int64     `db:"id"`
	DeliveryID int64     `db:"delivery_id"`
	StatusCode *int      `db:"status_code"`
	LatencyMS  int       `db:"latency_ms"`
	Snippet    string    `db:"response_snippet"`
	Error      string    `db:"error"`
	CreatedAt  time.Time `db:"created_at"`
}

// AttemptOutcome is what an attempt leads to.
type AttemptOutcome struct {
	// Status is the delivery's status after the attempt: pending while it
	// will be retried.
	Status string
	// Disable, when not empty, disables the endpoint with this reason
	// (a 410 Gone).
	Disable string
	// DisableAfter, when positive, disables the endpoint of a failed
	// attempt whose every delivery has failed since at least Now minus
	// DisableAfter, with DisableReason, and fails the delivery.
	DisableAfter  time.Duration
	DisableReason string
	Now           time.Time
}

// AttemptRecord is what recording an attempt found.
type AttemptRecord struct {
	FailingSince *time.Time // since when the endpoint has been failing; nil after a success
	Disabled     bool       // the endpoint was disabled by this attempt
}

// recordAttempt is an attempt's record in one statement (one round trip,
// no transaction of its own): the delivery's new status and attempt count,
// the attempt's log row, and the endpoint's failing streak and, for a 410
// Gone, its disabling. The endpoint row is written only when one of these
// changes, so that deliveries to a healthy endpoint do not all queue on
// its row lock; the condition is in the UPDATE's WHERE, so it is checked
// against the row as it stands when locked, not as the statement's
// snapshot saw it. It answers the endpoint's failing_since after the
// statement.
//
// It commits without waiting for the WAL to reach the disk
// (synchronous_commit off for its own transaction alone, set by the
// statement itself, so it stays one round trip): that wait was most of a
// delivery's time on this machine. What a Postgres crash can lose is the
// last fraction of a second of attempt records (at most three
// wal_writer_delay, 600 ms by default), never a message: a delivery whose
// "delivered" was lost is pending again, and the sweep sends it again
// under the same webhook-id (its task is gone from the queue once done):
// outbound delivery is at least once, and subscribers dedupe by that id. A
// lost failed attempt is retried anyway.
const recordAttempt = `
WITH d AS (
	UPDATE deliveries SET attempts = attempts + 1, last_attempt_at = now(), status = $2, updated_at = now()
	WHERE id = $1 RETURNING id, endpoint_id
), a AS (
	INSERT INTO delivery_attempts (delivery_id, status_code, latency_ms, response_snippet, error)
	SELECT d.id, $3::integer, $4::integer, $5::text, $6::text FROM d
), e AS (
	UPDATE webhook_endpoints w
	SET failing_since = CASE WHEN $7 THEN NULL ELSE COALESCE(w.failing_since, now()) END,
	    enabled = w.enabled AND $8 = '',
	    disabled_reason = CASE WHEN $8 = '' THEN w.disabled_reason ELSE $8 END,
	    updated_at = CASE WHEN $8 = '' THEN w.updated_at ELSE now() END
	FROM d
	WHERE w.id = d.endpoint_id
	  AND ($8 <> '' OR ($7 AND w.failing_since IS NOT NULL) OR (NOT $7 AND w.failing_since IS NULL))
	RETURNING w.failing_since
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM e) THEN (SELECT failing_since FROM e) ELSE w.failing_since END
FROM d JOIN webhook_endpoints w ON w.id = d.endpoint_id
CROSS JOIN set_config('synchronous_commit', 'off', true)`

// RecordAttempt logs an attempt and moves the delivery to o.Status. A
// success clears the endpoint's failing streak; a failure starts it.
//
// A 410 Gone disables the endpoint in the same statement. Failing too
// long disables it, and fails the delivery, in a second transaction of its
// own, taken only then: no reader (and no crash) sees the delivery failed
// while the endpoint still takes deliveries; a crash between the two
// leaves the delivery pending, and its next failed attempt disables the
// endpoint.
func (db *DB) RecordAttempt(ctx context.Context, a Attempt, o AttemptOutcome) (rec AttemptRecord, err error) {
	err = db.prepared(recordAttempt).GetContext(ctx, &rec.FailingSince, a.DeliveryID, o.Status,
		a.StatusCode, a.LatencyMS, a.Snippet, a.Error, o.Status == DeliveryDelivered, o.Disable)
	if err != nil {
		return AttemptRecord{}, wrapf(err, "record attempt of delivery %d", a.DeliveryID)
	}
	rec.Disabled = o.Disable != ""
	if o.Disable != "" || o.Status != DeliveryPending || o.DisableAfter <= 0 || rec.FailingSince == nil ||
		o.Now.Sub(*rec.FailingSince) < o.DisableAfter {
		return rec, nil
	}
	err = db.InTx(ctx, func(tx *Tx) error {
		var endpointID string
		if err := tx.x.GetContext(ctx, &endpointID, `
			UPDATE deliveries SET status = 'failed', updated_at = now() WHERE id = $1 RETURNING endpoint_id`,
			a.DeliveryID); err != nil {
			return wrapf(err, "fail delivery %d", a.DeliveryID)
		}
		if _, err := tx.x.ExecContext(ctx, `
			UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now() WHERE id = $1`,
			endpointID, o.DisableReason); err != nil {
			return wrapf(err, "disable endpoint %s", endpointID)
		}
		return nil
	})
	if err != nil {
		return AttemptRecord{}, err
	}
	rec.Disabled = true
	return rec, nil
}

// PruneOutbox drops the bodies of messages written before `before` that no
// delivery still waits for, and reports how many it dropped.
func (db *DB) PruneOutbox(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.x.ExecContext(ctx, `
		UPDATE outbox SET body = 'null'::jsonb, pruned_at = now()
		WHERE created_at < $1 AND pruned_at IS NULL
		  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.outbox_id = outbox.id AND d.status = 'pending')`, before)
	if err != nil {
		return 0, wrapf(err, "prune outbox")
	}
	return res.RowsAffected()
}

// FailDelivery gives up on a delivery that is still pending.
func (db *DB) FailDelivery(ctx context.Context, id int64) error {
	_, err := db.x.ExecContext(ctx, `
		UPDATE deliveries SET status = 'failed', updated_at = now() WHERE id = $1 AND status = 'pending'`, id)
	return wrapf(err, "fail delivery %d", id)
}

// DeliveryAttempts lists a delivery's attempts, oldest first.
func (db *DB) DeliveryAttempts(ctx context.Context, deliveryID int64) ([]Attempt, error) {
	var as []Attempt
	err := db.x.SelectContext(ctx, &as, `
		SELECT id, delivery_id, status_code, latency_ms, response_snippet, error, created_at
		FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id`, deliveryID)
	return as, wrapf(err, "attempts of delivery %d", deliveryID)
}

// DeliveryStatus returns a delivery's status and attempt count.
func (db *DB) DeliveryStatus(ctx context.Context, messageID, endpointID string) (status string, attempts int, id int64, err error) {
	var d struct {
		ID       int64  `db:"id"`
		Status   string `db:"status"`
		Attempts int    `db:"attempts"`
	}
	err = db.x.GetContext(ctx, &d, `
		SELECT d.id, d.status, d.attempts FROM deliveries d JOIN outbox o ON o.id = d.outbox_id
		WHERE o.message_id::text = $1 AND d.endpoint_id::text = $2`, messageID, endpointID)
	return d.Status, d.Attempts, d.ID, wrapf(err, "delivery of %s to %s", messageID, endpointID)
}
