package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// AutoAssign maps a customer's identity group (or every active user, when
// Group is "") to a product whose seats they get automatically.
type AutoAssign struct {
	CustomerID string    `db:"customer_id"`
	ProductID  string    `db:"product_id"`
	Group      string    `db:"group_name"`
	CreatedAt  time.Time `db:"created_at"`
}

// SetAutoAssign creates or replaces the mapping of one product.
func (tx *Tx) SetAutoAssign(ctx context.Context, customerID, productID, group string) error {
	_, err := tx.x.ExecContext(ctx, `
		INSERT INTO auto_assign (customer_id, product_id, group_name) VALUES ($1, $2, NULLIF($3, ''))
		ON CONFLICT (customer_id, product_id) DO UPDATE SET group_name = EXCLUDED.group_name`, customerID, productID, group)
	return wrapf(err, "set auto-assign of %s", productID)
}

// DeleteAutoAssign removes the mapping of one product; ErrNotFound when
// there is none.
func (tx *Tx) DeleteAutoAssign(ctx context.Context, customerID, productID string) error {
	res, err := tx.x.ExecContext(ctx, `DELETE FROM auto_assign WHERE customer_id = $1 AND product_id = $2`, customerID, productID)
	if err != nil {
		return wrapf(err, "delete auto-assign of %s", productID)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("auto-assign of %s: %w", productID, orNotFound(err))
	}
	return nil
}

// Wait puts a user at the back of the waiting list for a product; waiting
// again keeps their place.
func (tx *Tx) Wait(ctx context.Context, customerID, productID, userID string) error {
	_, err := tx.x.ExecContext(ctx, `
		INSERT INTO waiting_list (customer_id, product_id, user_id) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, customerID, productID, userID)
	return wrapf(err, "wait for %s", productID)
}

// StopWaiting takes a user off the waiting list of a product, or of every
// product when productID is "", and returns the products whose list they
// left (none when they were not waiting).
func (tx *Tx) StopWaiting(ctx context.Context, customerID, productID, userID string) ([]string, error) {
	var left []string
	err := tx.x.SelectContext(ctx, &left, `
		DELETE FROM waiting_list WHERE customer_id = $1 AND ($2 = '' OR product_id = $2) AND user_id = $3
		RETURNING product_id`,
		customerID, productID, userID)
	return left, wrapf(err, "stop waiting")
}

// ClearWaiting empties the waiting list of a product for one customer.
func (tx *Tx) ClearWaiting(ctx context.Context, customerID, productID string) error {
	_, err := tx.x.ExecContext(ctx, `DELETE FROM waiting_list WHERE customer_id = $1 AND product_id = $2`, customerID, productID)
	return wrapf(err, "clear waiting list of %s", productID)
}

// Waiting lists the users waiting for a product, first come first.
func (tx *Tx) Waiting(ctx context.Context, customerID, productID string) ([]string, error) {
	var ids []string
	err := tx.x.SelectContext(ctx, &ids, `
		SELECT user_id FROM waiting_list WHERE customer_id = $1 AND product_id = $2 ORDER BY id`, customerID, productID)
	return ids, wrapf(err, "waiting list of %s", productID)
}

// NextWaiting returns, first come first served, the users waiting for the
// line's product who hold no seat of the line, at most as many as the
// line has free seats now: the users a refill seats.
func (tx *Tx) NextWaiting(ctx context.Context, line Line) ([]string, error) {
	var ids []string
	err := tx.x.SelectContext(ctx, &ids, `
		SELECT w.user_id FROM waiting_list w
		WHERE w.customer_id = $1 AND w.product_id = $2
		  AND NOT EXISTS (SELECT 1 FROM seats s WHERE s.line_id = $3 AND s.user_id = w.user_id AND s.retired_at IS NULL)
		ORDER BY w.id
		LIMIT (SELECT greatest(live - assigned - invited, 0) FROM order_lines WHERE id = $3)`,
		line.CustomerID, line.ProductID, line.ID)
	return ids, wrapf(err, "waiting list of %s", line.ProductID)
}

// WaitIfEntitled puts, in the order given, those of the users that are
// active and entitled to the product by the customer's automatic
// assignment at the back of its waiting list: where the holders of seats a
// smaller or canceled order took away go.
func (tx *Tx) WaitIfEntitled(ctx context.Context, customerID, productID string, userIDs []string) error {
	_, err := tx.x.ExecContext(ctx, `
		INSERT INTO waiting_list (customer_id, product_id, user_id)
		SELECT $1, $2, u.id
		FROM unnest($3::uuid[]) WITH ORDINALITY AS t(id, n) JOIN users u ON u.id = t.id
		JOIN auto_assign m ON m.customer_id = $1 AND m.product_id = $2
		WHERE u.status = 'active' AND (m.group_name IS NULL OR EXISTS (
		    SELECT 1 FROM user_groups g WHERE g.user_id = u.id AND g.group_name = m.group_name AND g.member))
		ORDER BY t.n
		ON CONFLICT DO NOTHING`, customerID, productID, pq.StringArray(userIDs))
	return wrapf(err, "queue displaced users for %s", productID)
}

// Entitlement says whether a customer's automatic assignment of a product
// entitles one user to a seat of it: its group holds the user, or it maps
// every active user. The user's status is the caller's to weigh.
type Entitlement struct {
	ProductID string `db:"product_id"`
	Entitled  bool   `db:"entitled"`
}

// Entitlements lists, by product, what the customer's mappings entitle a
// user to, as the user's memberships stand in this transaction.
func (tx *Tx) Entitlements(ctx context.Context, customerID, userID string) ([]Entitlement, error) {
	var es []Entitlement
	err := tx.x.SelectContext(ctx, &es, `
		SELECT m.product_id, m.group_name IS NULL OR EXISTS (
		    SELECT 1 FROM user_groups g WHERE g.user_id = $2 AND g.group_name = m.group_name AND g.member) AS entitled
		FROM auto_assign m WHERE m.customer_id = $1 ORDER BY m.product_id`, customerID, userID)
	return es, wrapf(err, "entitlements of user %s", userID)
}
