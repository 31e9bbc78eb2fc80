package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Customer is a billed account, keyed by the caller's own external id.
type Customer struct {
	ID             string      `db:"id"`
	ExternalID     string      `db:"external_id"`
	Name           string      `db:"name"`
	Email          string      `db:"email"`
	AppliedEventAt *time.Time  `db:"applied_event_at"`
	CreatedAt      time.Time   `db:"created_at"`
	UpdatedAt      time.Time   `db:"updated_at"`
	ProviderIDs    ProviderIDs `db:"provider_ids"`
}

// ProviderIDs maps each provider to its id linked to a customer. A
// customer linked to several ids of one provider shows the newest link.
type ProviderIDs map[string]string

// Scan reads the JSON object customerColumns builds.
func (p *ProviderIDs) Scan(src any) error {
	b, ok := src.([]byte)
	if !ok {
		return fmt.Errorf("provider ids: want JSON bytes, got %T", src)
	}
	return json.Unmarshal(b, p)
}

// customerColumns reads a customer with its links in one statement, so that
// a list costs one query however long it is.
const customerColumns = `
	c.id, c.external_id, c.name, c.email, c.applied_event_at, c.created_at, c.updated_at,
	(SELECT COALESCE(jsonb_object_agg(l.provider, l.provider_id ORDER BY l.created_at, l.provider_id), '{}')
	 FROM customer_links l WHERE l.customer_id = c.id) AS provider_ids
	FROM customers c`

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
	err := db.x.GetContext(ctx, &c, `SELECT `+customerColumns+` WHERE c.external_id = $1`, externalID)
	if err != nil {
		return Customer{}, wrapf(err, "customer %s", externalID)
	}
	return c, nil
}

// ListCustomers lists customers in creation order, at most limit of them,
// after the customer with id after (""; from the first). A customer created
// later sorts after every existing one, so a client paging through the list
// while customers are added sees each one once. An after that is no
// customer's id is ErrNotFound.
func (db *DB) ListCustomers(ctx context.Context, after string, limit int) ([]Customer, error) {
	if after != "" {
		var ok bool
		// Compared as text, a malformed id is "not found", not a uuid error.
		err := db.x.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM customers WHERE id::text = $1)`, after)
		if err != nil {
			return nil, wrapf(err, "customer %s", after)
		}
		if !ok {
			return nil, fmt.Errorf("customer %s: %w", after, ErrNotFound)
		}
	}
	cs := []Customer{}
	err := db.x.SelectContext(ctx, &cs, `SELECT `+customerColumns+`
		WHERE $1 = '' OR (c.created_at, c.id) > (SELECT created_at, id FROM customers WHERE id::text = $1)
		ORDER BY c.created_at, c.id LIMIT $2`, after, limit)
	return cs, wrapf(err, "list customers")
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

// LockOrCreateCustomer returns the id of the customer ref names, creating
// or linking it as an event about it would, and locks it.
func (tx *Tx) LockOrCreateCustomer(ctx context.Context, ref CustomerRef) (string, error) {
	return tx.resolveCustomer(ctx, ref)
}

// LockExistingCustomer locks the customer with this external id, like
// LockOrCreateCustomer, but never creates it: ErrNotFound when there is none. The
// management API creates customers only through their own upsert.
func (tx *Tx) LockExistingCustomer(ctx context.Context, externalID string) (string, error) {
	ref := CustomerRef{ExternalID: externalID}
	if id, ok := tx.customers[ref]; ok {
		return id, nil
	}
	id, err := tx.customerID(ctx, externalID)
	if err != nil {
		return "", err
	}
	if tx.customers == nil {
		tx.customers = map[CustomerRef]string{}
	}
	tx.customers[ref] = id // what resolveCustomer would find, lock held
	return id, nil
}

// CustomerLinkedTo returns the external id of the customer a provider id is
// linked to, "" when it is not linked, and holds the provider id's lock
// until the transaction ends, so that the answer stays true while the
// caller acts on it. Callers checking several provider ids go through them
// in provider order, as UpsertCustomer does.
func (tx *Tx) CustomerLinkedTo(ctx context.Context, provider, providerID string) (string, error) {
	if _, err := tx.x.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`,
		advisoryLinks, provider+":"+providerID); err != nil {
		return "", wrapf(err, "lock %s %s", provider, providerID)
	}
	linked, err := tx.linkedCustomer(ctx, provider, providerID)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return linked.ExternalID, err
}
