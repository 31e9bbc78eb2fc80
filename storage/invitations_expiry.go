package storage

import (
	"context"
	"time"
)

// ExpiringInvitation is an open invitation past its expiry, with what the
// sweep needs to lock its customer and its line.
type ExpiringInvitation struct {
	ID                 string    `db:"id"`
	SeatID             string    `db:"seat_id"`
	ExpiresAt          time.Time `db:"expires_at"`
	ProductID          string    `db:"product_id"`
	OrderExternalID    string    `db:"order_external_id"`
	CustomerExternalID string    `db:"customer_external_id"`
}

// ExpiredInvitations lists up to limit open invitations whose expiry is at
// or before now, oldest expiry first. It reads without locking (a sweep
// locks the customer, then the line, then checks again with
// InvitationStillExpiring), so it never takes a row lock out of the lock
// order. The partial index invitations_open_expiry makes it a range scan
// over open invitations only.
func (db *DB) ExpiredInvitations(ctx context.Context, now time.Time, limit int) ([]ExpiringInvitation, error) {
	out := []ExpiringInvitation{}
	err := db.x.SelectContext(ctx, &out, `
		SELECT i.id, i.seat_id, i.expires_at, l.product_id, o.external_id AS order_external_id,
		       c.external_id AS customer_external_id
		FROM (SELECT id, seat_id, expires_at FROM invitations
		      WHERE ended_at IS NULL AND expires_at <= $1
		      ORDER BY expires_at LIMIT $2) i
		JOIN seats s ON s.id = i.seat_id JOIN order_lines l ON l.id = s.line_id
		JOIN orders o ON o.id = l.order_id JOIN customers c ON c.id = o.customer_id
		ORDER BY i.expires_at`, now, limit)
	return out, wrapf(err, "expired invitations")
}

// InvitationStillExpiring reports whether the invitation is still open and
// expired at now. The caller holds its line's lock, under which every
// invitation change is made, so the answer holds until commit.
func (tx *Tx) InvitationStillExpiring(ctx context.Context, id string, now time.Time) (bool, error) {
	var open bool
	err := tx.x.GetContext(ctx, &open, `
		SELECT EXISTS (SELECT 1 FROM invitations WHERE id = $1 AND ended_at IS NULL AND expires_at <= $2)`, id, now)
	return open, wrapf(err, "check invitation %s", id)
}
