package storage

import "context"

// The statements below serve the management of automatic-assignment
// mappings; entitlements.go holds those the seat engine runs on every
// change of a user.

// AutoAssignOf returns the mapping of one product; ErrNotFound when the
// product has none.
func (tx *Tx) AutoAssignOf(ctx context.Context, customerID, productID string) (AutoAssign, error) {
	var m AutoAssign
	err := tx.x.GetContext(ctx, &m, `
		SELECT customer_id, product_id, COALESCE(group_name, '') AS group_name, created_at
		FROM auto_assign WHERE customer_id = $1 AND product_id = $2`, customerID, productID)
	return m, wrapf(err, "auto-assign of %s", productID)
}

// ListAutoAssigns pages through a customer's mappings by product id, at
// most limit after the product id after ("": from the start). The cursor
// is a plain key, so it keeps working when its mapping is deleted.
func (db *DB) ListAutoAssigns(ctx context.Context, customerID, after string, limit int) ([]AutoAssign, error) {
	m := []AutoAssign{}
	err := db.x.SelectContext(ctx, &m, `
		SELECT customer_id, product_id, COALESCE(group_name, '') AS group_name, created_at
		FROM auto_assign WHERE customer_id = $1 AND ($2 = '' OR product_id > $2)
		ORDER BY product_id LIMIT $3`, customerID, after, limit)
	return m, wrapf(err, "auto-assign of customer %s", customerID)
}

// AutoAssignReach is what a mapping does now: the mapping, how many of the
// users it entitles hold a seat of the product, and how many wait for one.
type AutoAssignReach struct {
	AutoAssign
	Seated  int `db:"seated"`
	Waiting int `db:"waiting"`
}

// AutoAssignReach reads one mapping with its reach; ErrNotFound when the
// product has no mapping. Seated counts entitled users with a live seat on
// an active order of the customer, however they got it.
func (db *DB) AutoAssignReach(ctx context.Context, customerID, productID string) (AutoAssignReach, error) {
	var r AutoAssignReach
	err := db.x.GetContext(ctx, &r, `
		WITH m AS (
		    SELECT customer_id, product_id, group_name, created_at FROM auto_assign
		    WHERE customer_id = $1 AND product_id = $2
		), entitled AS (
		    SELECT u.id FROM users u, m
		    WHERE u.customer_id = $1 AND u.status = 'active'
		      AND (m.group_name IS NULL OR EXISTS (SELECT 1 FROM user_groups g
		           WHERE g.user_id = u.id AND g.group_name = m.group_name AND g.member))
		)
		SELECT m.customer_id, m.product_id, COALESCE(m.group_name, '') AS group_name, m.created_at,
		       (SELECT count(DISTINCT s.user_id) FROM seats s
		        JOIN order_lines l ON l.id = s.line_id JOIN orders o ON o.id = l.order_id
		        WHERE o.customer_id = $1 AND o.status = 'active' AND l.product_id = $2
		          AND s.retired_at IS NULL AND s.user_id IN (SELECT id FROM entitled))::int AS seated,
		       (SELECT count(*) FROM waiting_list w
		        WHERE w.customer_id = $1 AND w.product_id = $2
		          AND w.user_id IN (SELECT id FROM entitled))::int AS waiting
		FROM m`, customerID, productID)
	return r, wrapf(err, "auto-assign of %s", productID)
}

// orNotFound is err, or ErrNotFound when a statement that should have
// touched a row touched none.
func orNotFound(err error) error {
	if err != nil {
		return err
	}
	return ErrNotFound
}
