package storage

import (
	"context"
	"errors"
	"fmt"
)

// UserFilter narrows ListUsers; empty fields match everything.
type UserFilter struct {
	Status string
	After  string // user id: users after it in (created_at, id) order
	Limit  int    // 0: no limit
}

// ListUsers lists a customer's users in creation order. A user created
// later sorts after every existing one, so a client paging through the list
// while users are added sees each one once.
func (db *DB) ListUsers(ctx context.Context, customerID string, f UserFilter) ([]User, error) {
	limit := any(nil)
	if f.Limit > 0 {
		limit = f.Limit
	}
	users := []User{}
	err := db.x.SelectContext(ctx, &users, `SELECT `+userColumns+`
		WHERE u.customer_id = $1 AND ($2 = '' OR u.status = $2)
		  AND ($3 = '' OR (u.created_at, u.id) > (SELECT created_at, id FROM users WHERE id::text = $3))
		ORDER BY u.created_at, u.id
		LIMIT $4`, customerID, f.Status, f.After, limit)
	return users, wrapf(err, "users of customer %s", customerID)
}

// CheckUserOfCustomer returns ErrNotFound unless userID is the id of one of
// the customer's users.
func (db *DB) CheckUserOfCustomer(ctx context.Context, customerID, userID string) error {
	var ok bool
	// Comparing as text keeps a malformed id a plain "not found" instead of
	// a uuid syntax error.
	err := db.x.GetContext(ctx, &ok, `
		SELECT EXISTS (SELECT 1 FROM users WHERE customer_id = $1 AND id::text = $2)`, customerID, userID)
	if err != nil {
		return wrapf(err, "user %s of customer %s", userID, customerID)
	}
	if !ok {
		return fmt.Errorf("user %s of customer %s: %w", userID, customerID, ErrNotFound)
	}
	return nil
}

// UserExists reports whether the customer has a user with this external
// id. Under the customer's lock (LockExistingCustomer) the answer holds for
// the rest of the transaction: every write of a user locks its customer.
func (tx *Tx) UserExists(ctx context.Context, customerID, externalID string) (bool, error) {
	_, err := tx.userID(ctx, customerID, externalID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
