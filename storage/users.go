package storage

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// User statuses.
const (
	UserActive      = "active"
	UserDeactivated = "deactivated"
)

// User is an identity inside one customer.
type User struct {
	ID                 string         `db:"id"`
	CustomerID         string         `db:"customer_id"`
	CustomerExternalID string         `db:"customer_external_id"`
	ExternalID         string         `db:"external_id"`
	Email              string         `db:"email"`
	Name               string         `db:"name"`
	Status             string         `db:"status"`
	Groups             pq.StringArray `db:"groups"`
	AppliedEventAt     *time.Time     `db:"applied_event_at"`
	CreatedAt          time.Time      `db:"created_at"`
	UpdatedAt          time.Time      `db:"updated_at"`
}

// UserInput is what an upsert sets. Groups is only written when GroupsSet,
// because an event that omits groups leaves them unchanged.
type UserInput struct {
	CustomerExternalID string
	ExternalID         string
	Email              string
	Name               string
	Status             string
	Groups             []string
	GroupsSet          bool
}

// UpsertUser creates or updates a user as of the provider time `at`,
// creating its customer if no event about it arrived yet. It reports false,
// and changes nothing, when the stored user reflects a newer event.
func (tx *Tx) UpsertUser(ctx context.Context, in UserInput, at time.Time) (applied bool, err error) {
	customerID, err := tx.ensureCustomer(ctx, in.CustomerExternalID)
	if err != nil {
		return false, err
	}
	var groups pq.StringArray
	if in.GroupsSet {
		groups = append(pq.StringArray{}, in.Groups...)
	}
	var id string
	err = tx.x.GetContext(ctx, &id, `
		INSERT INTO users (customer_id, external_id, email, name, status, groups, applied_event_at)
		VALUES ($1, $2, $3, $4, $5, COALESCE($6, '{}'::text[]), $7)
		ON CONFLICT (customer_id, external_id) DO UPDATE
		SET email = EXCLUDED.email, name = EXCLUDED.name, status = EXCLUDED.status,
		    groups = COALESCE($6, users.groups),
		    applied_event_at = EXCLUDED.applied_event_at, updated_at = now()
		WHERE users.applied_event_at IS NULL OR users.applied_event_at <= EXCLUDED.applied_event_at
		RETURNING id`, customerID, in.ExternalID, in.Email, in.Name, in.Status, groups, at)
	return appliedOrStale(err, "upsert user "+in.CustomerExternalID+"/"+in.ExternalID)
}

// DeactivateUser marks a user deactivated as of the provider time `at`. A
// deactivation that arrives before the user's creation still records the
// user, so that the older creation is later recognised as stale.
func (tx *Tx) DeactivateUser(ctx context.Context, customerExternalID, externalID string, at time.Time) (applied bool, err error) {
	customerID, err := tx.ensureCustomer(ctx, customerExternalID)
	if err != nil {
		return false, err
	}
	var id string
	err = tx.x.GetContext(ctx, &id, `
		INSERT INTO users (customer_id, external_id, status, applied_event_at)
		VALUES ($1, $2, 'deactivated', $3)
		ON CONFLICT (customer_id, external_id) DO UPDATE
		SET status = 'deactivated', applied_event_at = EXCLUDED.applied_event_at, updated_at = now()
		WHERE users.applied_event_at IS NULL OR users.applied_event_at <= EXCLUDED.applied_event_at
		RETURNING id`, customerID, externalID, at)
	return appliedOrStale(err, "deactivate user "+customerExternalID+"/"+externalID)
}

// UserByExternalID returns one user of one customer.
func (db *DB) UserByExternalID(ctx context.Context, customerExternalID, externalID string) (User, error) {
	var u User
	err := db.x.GetContext(ctx, &u, `
		SELECT u.*, c.external_id AS customer_external_id
		FROM users u JOIN customers c ON c.id = u.customer_id
		WHERE c.external_id = $1 AND u.external_id = $2`, customerExternalID, externalID)
	if err != nil {
		return User{}, wrapf(err, "user %s/%s", customerExternalID, externalID)
	}
	return u, nil
}
