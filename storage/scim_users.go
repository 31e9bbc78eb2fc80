package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/lib/pq"
	"time"
)

// SCIMUser is a SCIM User resource of one customer. ID is the SCIM id and
// the seatsync user's external id; Active comes from the seatsync user, so
// a deactivation from any source shows.
type SCIMUser struct {
	ID          string          `db:"id"`
	CustomerID  string          `db:"customer_id"`
	UserName    string          `db:"user_name"`
	ExternalID  *string         `db:"external_id"`
	DisplayName string          `db:"display_name"`
	Resource    json.RawMessage `db:"resource"`
	Active      bool            `db:"active"`
	CreatedAt   time.Time       `db:"created_at"`
	UpdatedAt   time.Time       `db:"updated_at"`
}

// SCIMUserInput is what a create or replace writes. Emails is a JSON array
// of email objects; Resource the resource as the client sent it, as a JSON
// object.
type SCIMUserInput struct {
	ID          string
	UserName    string
	ExternalID  *string
	DisplayName string
	Emails      json.RawMessage
	Resource    json.RawMessage
}

const scimUserColumns = `s.id, s.customer_id, s.user_name, s.external_id, s.display_name, s.resource,
	u.status = 'active' AS active, s.created_at, s.updated_at
	FROM scim_users s JOIN users u ON u.customer_id = s.customer_id AND u.external_id = s.id`

// InsertSCIMUser records a new SCIM user; the seatsync user with the same
// id must exist by commit. A userName taken in the customer (in any case)
// is ErrConflict.
func (tx *Tx) InsertSCIMUser(ctx context.Context, customerID string, in SCIMUserInput) error {
	_, err := tx.x.ExecContext(ctx, `
		INSERT INTO scim_users (id, customer_id, user_name, external_id, display_name, emails, resource)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		in.ID, customerID, in.UserName, in.ExternalID, in.DisplayName, string(in.Emails), string(in.Resource))
	return wrapf(err, "insert scim user %s", in.UserName)
}

// UpdateSCIMUser replaces a SCIM user's attributes; ErrNotFound for a user
// that does not exist or was deleted, ErrConflict for a taken userName.
func (tx *Tx) UpdateSCIMUser(ctx context.Context, customerID string, in SCIMUserInput) error {
	res, err := tx.x.ExecContext(ctx, `
		UPDATE scim_users SET user_name = $3, external_id = $4, display_name = $5, emails = $6, resource = $7, updated_at = now()
		WHERE customer_id = $1 AND id = $2 AND deleted_at IS NULL`,
		customerID, in.ID, in.UserName, in.ExternalID, in.DisplayName, string(in.Emails), string(in.Resource))
	if err != nil {
		return wrapf(err, "update scim user %s", in.ID)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("scim user %s: %w", in.ID, ErrNotFound)
	}
	return nil
}

// LockSCIMUser returns a live SCIM user and locks it until the transaction
// ends; ErrNotFound when the customer has no such user.
func (tx *Tx) LockSCIMUser(ctx context.Context, customerID, id string) (SCIMUser, error) {
	var u SCIMUser
	err := tx.x.GetContext(ctx, &u, `SELECT `+scimUserColumns+`
		WHERE s.customer_id = $1 AND s.id = $2 AND s.deleted_at IS NULL FOR UPDATE OF s`, customerID, id)
	return u, wrapf(err, "scim user %s", id)
}

// DeleteSCIMUser ends a SCIM user: it leaves every group and is not found
// from then on. The seatsync user stays (deactivated by the caller).
func (tx *Tx) DeleteSCIMUser(ctx context.Context, customerID, id string) error {
	if _, err := tx.x.ExecContext(ctx, `DELETE FROM scim_group_members WHERE customer_id = $1 AND user_id = $2`, customerID, id); err != nil {
		return wrapf(err, "remove scim user %s from groups", id)
	}
	_, err := tx.x.ExecContext(ctx, `UPDATE scim_users SET deleted_at = now(), updated_at = now()
		WHERE customer_id = $1 AND id = $2 AND deleted_at IS NULL`, customerID, id)
	return wrapf(err, "delete scim user %s", id)
}

// SCIMUser returns one live SCIM user of a customer.
func (db *DB) SCIMUser(ctx context.Context, customerID, id string) (SCIMUser, error) {
	var u SCIMUser
	err := db.x.GetContext(ctx, &u, `SELECT `+scimUserColumns+`
		WHERE s.customer_id = $1 AND s.id = $2 AND s.deleted_at IS NULL`, customerID, id)
	return u, wrapf(err, "scim user %s", id)
}

// ListSCIMUsers returns the live users matching every predicate, oldest
// first, skipping offset and returning at most limit, with the number that
// match in all.
func (db *DB) ListSCIMUsers(ctx context.Context, customerID string, preds []SCIMPredicate, offset, limit int) ([]SCIMUser, int, error) {
	where, args, err := scimWhere(preds, []any{customerID})
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := db.x.GetContext(ctx, &total, `SELECT count(*) FROM scim_users s
		WHERE s.customer_id = $1 AND s.deleted_at IS NULL AND `+where, args...); err != nil {
		return nil, 0, wrapf(err, "count scim users")
	}
	users := []SCIMUser{}
	if limit == 0 || offset >= total {
		return users, total, nil
	}
	args = append(args, offset, limit)
	err = db.x.SelectContext(ctx, &users, fmt.Sprintf(`SELECT `+scimUserColumns+`
		WHERE s.customer_id = $1 AND s.deleted_at IS NULL AND `+where+`
		ORDER BY s.created_at, s.id OFFSET $%d LIMIT $%d`, len(args)-1, len(args)), args...)
	return users, total, wrapf(err, "list scim users")
}

// LiveSCIMUsers returns which of ids are live SCIM users of the customer.
func (tx *Tx) LiveSCIMUsers(ctx context.Context, customerID string, ids []string) (map[string]bool, error) {
	var found []string
	err := tx.x.SelectContext(ctx, &found, `SELECT id FROM scim_users
		WHERE customer_id = $1 AND id = ANY($2) AND deleted_at IS NULL`, customerID, pq.StringArray(ids))
	if err != nil {
		return nil, wrapf(err, "find scim users")
	}
	out := make(map[string]bool, len(found))
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}
