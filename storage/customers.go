package storage

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Customer is a billed account, keyed by the caller's own external id.
type Customer struct {
	ID             string     `db:"id"`
	ExternalID     string     `db:"external_id"`
	Name           string     `db:"name"`
	Email          string     `db:"email"`
	AppliedEventAt *time.Time `db:"applied_event_at"`
	CreatedAt      time.Time  `db:"created_at"`
	UpdatedAt      time.Time  `db:"updated_at"`
}

// CustomerInput is what an upsert sets.
type CustomerInput struct {
	ExternalID string
	Name       string
	Email      string
}

// UpsertCustomer creates or updates a customer as of the provider time `at`.
// It reports false, and changes nothing, when the stored customer reflects a
// newer event: an out-of-order delivery must not roll state back.
func (tx *Tx) UpsertCustomer(ctx context.Context, in CustomerInput, at time.Time) (applied bool, err error) {
	var id string
	err = tx.x.GetContext(ctx, &id, `
		INSERT INTO customers (external_id, name, email, applied_event_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (external_id) DO UPDATE
		SET name = EXCLUDED.name, email = EXCLUDED.email,
		    applied_event_at = EXCLUDED.applied_event_at, updated_at = now()
		WHERE customers.applied_event_at IS NULL OR customers.applied_event_at <= EXCLUDED.applied_event_at
		RETURNING id`, in.ExternalID, in.Name, in.Email, at)
	return appliedOrStale(err, "upsert customer "+in.ExternalID)
}

// ensureCustomer returns the id of the customer with this external id,
// creating a bare one when an event about its users arrives first. The no-op
// update takes the row lock and makes RETURNING see a concurrent insert.
func (tx *Tx) ensureCustomer(ctx context.Context, externalID string) (string, error) {
	var id string
	err := tx.x.GetContext(ctx, &id, `
		INSERT INTO customers (external_id) VALUES ($1)
		ON CONFLICT (external_id) DO UPDATE SET external_id = EXCLUDED.external_id
		RETURNING id`, externalID)
	if err != nil {
		return "", wrapf(err, "ensure customer %s", externalID)
	}
	return id, nil
}

// CustomerByExternalID returns one customer.
func (db *DB) CustomerByExternalID(ctx context.Context, externalID string) (Customer, error) {
	var c Customer
	err := db.x.GetContext(ctx, &c, `SELECT * FROM customers WHERE external_id = $1`, externalID)
	if err != nil {
		return Customer{}, wrapf(err, "customer %s", externalID)
	}
	return c, nil
}

// appliedOrStale reads the outcome of a conditional upsert: no row back
// means the WHERE clause kept a newer state.
func appliedOrStale(err error, what string) (bool, error) {
	if err == nil {
		return true, nil
	}
	err = translate(err)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return false, fmt.Errorf("%s: %w", what, err)
}
