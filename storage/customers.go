package storage

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
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

// CustomerInput is what an upsert sets. ProviderIDs (provider → its id for
// this customer) are linked to it. An empty ExternalID means "the customer
// the provider id is linked to", for provider events that carry no seatsync
// id: then the provider id names a new customer.
type CustomerInput struct {
	ExternalID  string
	Name        string
	Email       string
	ProviderIDs map[string]string
}

// UpsertCustomer creates or updates a customer as of the provider time `at`
// and links its provider ids. It reports false, and leaves name and email
// alone, when the stored customer reflects a newer event: an out-of-order
// delivery must not roll state back. Links are identity facts and are
// recorded either way.
func (tx *Tx) UpsertCustomer(ctx context.Context, in CustomerInput, at time.Time) (applied bool, err error) {
	externalID, id := in.ExternalID, ""
	for _, provider := range slices.Sorted(maps.Keys(in.ProviderIDs)) {
		id, err = tx.resolveCustomer(ctx, CustomerRef{ExternalID: externalID, Provider: provider, ProviderID: in.ProviderIDs[provider]})
		if err != nil {
			return false, err
		}
		if externalID == "" {
			if err := tx.x.GetContext(ctx, &externalID, `SELECT external_id FROM customers WHERE id = $1`, id); err != nil {
				return false, wrapf(err, "customer %s", id)
			}
		}
	}
	if id == "" {
		if id, err = tx.ensureCustomer(ctx, externalID); err != nil {
			return false, err
		}
	}
	err = tx.x.GetContext(ctx, &id, `
		UPDATE customers SET name = $2, email = $3, applied_event_at = $4, updated_at = now()
		WHERE id = $1 AND (applied_event_at IS NULL OR applied_event_at <= $4)
		RETURNING id`, id, in.Name, in.Email, at)
	return appliedOrStale(err, "upsert customer "+externalID)
}

// ensureCustomer returns the id of the customer with this external id,
// creating a bare one when an event about its users or orders arrives
// first, and locks it until the transaction ends. Every event about a
// customer takes this lock first, which is what orders their transactions.
// Locking an existing row writes nothing; only a missing one is inserted.
func (tx *Tx) ensureCustomer(ctx context.Context, externalID string) (string, error) {
	lock := `SELECT id FROM customers WHERE external_id = $1 FOR UPDATE`
	var id string
	err := tx.x.GetContext(ctx, &id, lock, externalID)
	if errors.Is(translate(err), ErrNotFound) {
		err = tx.x.GetContext(ctx, &id, `
			INSERT INTO customers (external_id) VALUES ($1) ON CONFLICT (external_id) DO NOTHING RETURNING id`, externalID)
		if errors.Is(translate(err), ErrNotFound) { // created meanwhile by another transaction
			err = tx.x.GetContext(ctx, &id, lock, externalID)
		}
	}
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

// LockCustomer returns the id of the customer ref names, creating or
// linking it as an event about it would, and locks it.
func (tx *Tx) LockCustomer(ctx context.Context, ref CustomerRef) (string, error) {
	return tx.resolveCustomer(ctx, ref)
}
