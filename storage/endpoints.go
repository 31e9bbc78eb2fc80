package storage

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// Endpoint is a subscriber's webhook endpoint.
type Endpoint struct {
	ID                      string         `db:"id"`
	URL                     string         `db:"url"`
	EventTypes              pq.StringArray `db:"event_types"`
	CustomerID              *string        `db:"customer_id"`
	CustomerExternalID      *string        `db:"customer_external_id"`
	Secret                  string         `db:"secret"`
	PreviousSecret          *string        `db:"previous_secret"`
	PreviousSecretExpiresAt *time.Time     `db:"previous_secret_expires_at"`
	Enabled                 bool           `db:"enabled"`
	DisabledReason          string         `db:"disabled_reason"`
	FailingSince            *time.Time     `db:"failing_since"`
	CreatedAt               time.Time      `db:"created_at"`
	UpdatedAt               time.Time      `db:"updated_at"`
}

// SigningSecrets are the secrets that sign a delivery now: the current one,
// and the previous one during its grace period.
func (e Endpoint) SigningSecrets(now time.Time) []string {
	secrets := []string{e.Secret}
	if e.PreviousSecret != nil && e.PreviousSecretExpiresAt != nil && now.Before(*e.PreviousSecretExpiresAt) {
		secrets = append(secrets, *e.PreviousSecret)
	}
	return secrets
}

// EndpointInput is what creating an endpoint sets.
type EndpointInput struct {
	URL                string
	EventTypes         []string // empty: every type
	CustomerExternalID string   // empty: every customer
	Secret             string
}

const endpointColumns = `e.id, e.url, e.event_types, e.customer_id, c.external_id AS customer_external_id,
	e.secret, e.previous_secret, e.previous_secret_expires_at, e.enabled, e.disabled_reason,
	e.failing_since, e.created_at, e.updated_at
	FROM webhook_endpoints e LEFT JOIN customers c ON c.id = e.customer_id`

// CreateEndpoint registers an endpoint; ErrNotFound for an unknown customer.
func (db *DB) CreateEndpoint(ctx context.Context, in EndpointInput) (Endpoint, error) {
	var id string
	err := db.x.GetContext(ctx, &id, `
		INSERT INTO webhook_endpoints (url, event_types, customer_id, secret)
		SELECT $1, $2, c.id, $4 FROM (SELECT NULL) AS one
		LEFT JOIN customers c ON c.external_id = $3
		WHERE $3 = '' OR c.id IS NOT NULL
		RETURNING id`, in.URL, pq.StringArray(append([]string{}, in.EventTypes...)), in.CustomerExternalID, in.Secret)
	if err != nil {
		return Endpoint{}, wrapf(err, "create endpoint for customer %q", in.CustomerExternalID)
	}
	return db.Endpoint(ctx, id)
}

// Endpoint returns one endpoint.
func (db *DB) Endpoint(ctx context.Context, id string) (Endpoint, error) {
	var e Endpoint
	err := db.x.GetContext(ctx, &e, `SELECT `+endpointColumns+` WHERE e.id::text = $1`, id)
	return e, wrapf(err, "endpoint %s", id)
}

// RotateEndpointSecret replaces the secret; the previous one keeps signing
// for grace.
func (db *DB) RotateEndpointSecret(ctx context.Context, id, secret string, grace time.Duration) (Endpoint, error) {
	res, err := db.x.ExecContext(ctx, `
		UPDATE webhook_endpoints SET previous_secret = secret, secret = $2,
		       previous_secret_expires_at = now() + $3 * interval '1 second', updated_at = now()
		WHERE id::text = $1`, id, secret, grace.Seconds())
	if err != nil {
		return Endpoint{}, wrapf(err, "rotate secret of endpoint %s", id)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Endpoint{}, wrapf(ErrNotFound, "endpoint %s", id)
	}
	return db.Endpoint(ctx, id)
}

// DisableEndpoint stops deliveries to an endpoint and says why.
func (db *DB) DisableEndpoint(ctx context.Context, id, reason string) error {
	_, err := db.x.ExecContext(ctx, `
		UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now() WHERE id = $1`, id, reason)
	return wrapf(err, "disable endpoint %s", id)
}

// matchingEndpoints are the enabled endpoints that want an event of this
// type about this customer.
func (tx *Tx) matchingEndpoints(ctx context.Context, eventType, customerID string) ([]string, error) {
	var ids []string
	err := tx.x.SelectContext(ctx, &ids, `
		SELECT id FROM webhook_endpoints
		WHERE enabled AND (cardinality(event_types) = 0 OR $1 = ANY(event_types))
		  AND (customer_id IS NULL OR customer_id = $2)`, eventType, customerID)
	return ids, wrapf(err, "endpoints for %s", eventType)
}
