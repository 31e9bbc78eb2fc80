package storage

import (
	"context"
	"errors"
)

// CustomerRef names a customer by seatsync external id, by a provider's id
// for it, or by both, which links the two.
type CustomerRef struct {
	ExternalID string
	Provider   string
	ProviderID string
}

func (r CustomerRef) String() string {
	if r.Provider == "" {
		return r.ExternalID
	}
	return r.Provider + ":" + r.ProviderID + "/" + r.ExternalID
}

// resolveCustomer returns the id of the customer ref names, creating it or
// linking it as needed. The rules make the outcome independent of the order
// events arrive in:
//   - a provider id alone finds its linked customer, or makes one whose
//     external id is the provider id ("auto-named");
//   - an external id with a provider id links them; if the provider id was
//     linked to an auto-named customer, that customer is renamed (or merged
//     into an existing one), so what arrived first under the provider id
//     ends up under the external id, exactly as if the link came first.
func (tx *Tx) resolveCustomer(ctx context.Context, ref CustomerRef) (string, error) {
	// One event resolves the same customer several times; the first answer
	// holds for the rest of the transaction, which keeps its lock.
	if id, ok := tx.customers[ref]; ok {
		return id, nil
	}
	id, err := tx.resolveCustomerOnce(ctx, ref)
	if err == nil {
		if tx.customers == nil {
			tx.customers = map[CustomerRef]string{}
		}
		tx.customers[ref] = id
	}
	return id, err
}

func (tx *Tx) resolveCustomerOnce(ctx context.Context, ref CustomerRef) (string, error) {
	if ref.Provider == "" {
		return tx.ensureCustomer(ctx, ref.ExternalID)
	}
	// Until the link exists there is no row to lock, and two events about
	// the same provider id would each create a customer for it; a lock on
	// the provider id itself makes them take turns.
	if _, err := tx.x.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`,
		advisoryLinks, ref.Provider+":"+ref.ProviderID); err != nil {
		return "", wrapf(err, "lock %s %s", ref.Provider, ref.ProviderID)
	}
	linked, err := tx.linkedCustomer(ctx, ref.Provider, ref.ProviderID)
	switch {
	case errors.Is(err, ErrNotFound):
		name := ref.ExternalID
		if name == "" {
			name = ref.ProviderID
		}
		id, err := tx.ensureCustomer(ctx, name)
		if err != nil {
			return "", err
		}
		return id, tx.link(ctx, ref.Provider, ref.ProviderID, id)
	case err != nil:
		return "", err
	case ref.ExternalID == "" || linked.ExternalID == ref.ExternalID:
		return linked.ID, nil
	case linked.ExternalID != ref.ProviderID:
		// Linked to a customer someone named: the newer claim wins.
		id, err := tx.ensureCustomer(ctx, ref.ExternalID)
		if err != nil {
			return "", err
		}
		return id, tx.link(ctx, ref.Provider, ref.ProviderID, id)
	}
	target, err := tx.customerID(ctx, ref.ExternalID)
	if errors.Is(err, ErrNotFound) {
		_, err := tx.x.ExecContext(ctx, `UPDATE customers SET external_id = $2, updated_at = now() WHERE id = $1`,
			linked.ID, ref.ExternalID)
		if err != nil {
			return "", wrapf(err, "rename customer %s to %s", linked.ExternalID, ref.ExternalID)
		}
		tx.created = append(tx.created, ref.ExternalID) // new under the caller's id
		return linked.ID, nil
	}
	if err != nil {
		return "", err
	}
	return target, tx.mergeCustomer(ctx, linked.ID, target)
}

// advisoryLinks is the first key of the advisory locks on provider ids.
const advisoryLinks = 1

type linkedRow struct {
	ID         string `db:"id"`
	ExternalID string `db:"external_id"`
}

func (tx *Tx) linkedCustomer(ctx context.Context, provider, providerID string) (linkedRow, error) {
	var c linkedRow
	err := tx.x.GetContext(ctx, &c, `
		SELECT c.id, c.external_id FROM customer_links l JOIN customers c ON c.id = l.customer_id
		WHERE l.provider = $1 AND l.provider_id = $2
		FOR UPDATE OF c`, provider, providerID)
	if err != nil {
		return linkedRow{}, wrapf(err, "customer linked to %s %s", provider, providerID)
	}
	return c, nil
}

func (tx *Tx) customerID(ctx context.Context, externalID string) (string, error) {
	var id string
	err := tx.x.GetContext(ctx, &id, `SELECT id FROM customers WHERE external_id = $1 FOR UPDATE`, externalID)
	if err != nil {
		return "", wrapf(err, "customer %s", externalID)
	}
	return id, nil
}

func (tx *Tx) link(ctx context.Context, provider, providerID, customerID string) error {
	_, err := tx.x.ExecContext(ctx, `
		INSERT INTO customer_links (provider, provider_id, customer_id) VALUES ($1, $2, $3)
		ON CONFLICT (provider, provider_id) DO UPDATE SET customer_id = EXCLUDED.customer_id`,
		provider, providerID, customerID)
	if err != nil {
		return wrapf(err, "link %s %s", provider, providerID)
	}
	return nil
}

// mergeCustomer moves what an auto-named customer collected into the
// customer it turned out to be. A user known under both stays behind with
// the auto-named customer, which then is not deleted.
func (tx *Tx) mergeCustomer(ctx context.Context, from, into string) error {
	for _, stmt := range []string{
		`UPDATE orders SET customer_id = $2, updated_at = now() WHERE customer_id = $1`,
		`UPDATE customer_links SET customer_id = $2 WHERE customer_id = $1`,
		`UPDATE users SET customer_id = $2, updated_at = now() WHERE customer_id = $1
		   AND external_id NOT IN (SELECT external_id FROM users WHERE customer_id = $2)`,
		`DELETE FROM customers WHERE id = $1 AND $2::uuid IS NOT NULL
		   AND NOT EXISTS (SELECT 1 FROM users WHERE customer_id = $1)`,
	} {
		if _, err := tx.x.ExecContext(ctx, stmt, from, into); err != nil {
			return wrapf(err, "merge customer %s into %s", from, into)
		}
	}
	return nil
}

// CustomerLinks lists the provider ids linked to a customer.
func (db *DB) CustomerLinks(ctx context.Context, externalID string) (map[string]string, error) {
	var rows []struct {
		Provider   string `db:"provider"`
		ProviderID string `db:"provider_id"`
	}
	err := db.x.SelectContext(ctx, &rows, `
		SELECT l.provider, l.provider_id FROM customer_links l JOIN customers c ON c.id = l.customer_id
		WHERE c.external_id = $1 ORDER BY l.provider, l.provider_id`, externalID)
	if err != nil {
		return nil, wrapf(err, "links of customer %s", externalID)
	}
	links := make(map[string]string, len(rows))
	for _, r := range rows {
		links[r.Provider] = r.ProviderID
	}
	return links, nil
}
