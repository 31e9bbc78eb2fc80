package storage

import (
	"context"
	"crypto/sha256"
	"time"

	"github.com/jmoiron/sqlx"
)

// Invitation ends, as stored in invitations.end_reason. Besides these, an
// invitation ended by a change that vacated its seat keeps that change's
// reason (unassigned, quantity_decreased, order_canceled).
const (
	InvitationClaimed = "claimed"
	InvitationResent  = "resent"
	InvitationRevoked = "revoked"
)

// Invitation is an invitation found by its token, with what a claim page
// shows and what a claim needs to lock. The token itself is never stored,
// so it is not here either.
type Invitation struct {
	ID                 string     `db:"id"`
	SeatID             string     `db:"seat_id"`
	Email              string     `db:"email"`
	ExpiresAt          time.Time  `db:"expires_at"`
	CreatedAt          time.Time  `db:"created_at"`
	EndedAt            *time.Time `db:"ended_at"`
	EndReason          string     `db:"end_reason"`
	ProductID          string     `db:"product_id"`
	OrderExternalID    string     `db:"order_external_id"`
	CustomerExternalID string     `db:"customer_external_id"`
	CustomerName       string     `db:"customer_name"`
}

// Tokens carry 256 random bits, so an unsalted fast hash is enough: there
// is nothing to brute-force, and a lookup by hash stays an index probe.
func hashInvitationToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// OpenInvitation invites email to a seat with a token valid until
// expiresAt: it stores the token's hash only and marks the seat invited.
// The seat keeps its occupied_at across a resend, since it has been held
// for the same invitee all along. The caller holds the line lock and has
// ended any earlier invitation of the seat.
func (tx *Tx) OpenInvitation(ctx context.Context, seatID, email, token string, expiresAt time.Time) error {
	_, err := tx.x.ExecContext(ctx, `
		UPDATE seats SET status = 'invited', invited_email = $2, occupied_at = COALESCE(occupied_at, clock_timestamp())
		WHERE id = $1`, seatID, email)
	if err != nil {
		return wrapf(err, "invite to seat %s", seatID)
	}
	_, err = tx.x.ExecContext(ctx, `
		INSERT INTO invitations (seat_id, email, token_hash, expires_at) VALUES ($1, $2, $3, $4)`,
		seatID, email, hashInvitationToken(token), expiresAt)
	return wrapf(err, "open invitation of seat %s", seatID)
}

// EndInvitation ends the open invitation of a seat, if any, with the
// reason (and, for a claim, the claiming user; "" otherwise). It leaves the
// seat alone: the caller vacates or occupies it. ended reports whether an
// invitation was open.
func (tx *Tx) EndInvitation(ctx context.Context, seatID, reason, claimedBy string) (ended bool, err error) {
	var by *string
	if claimedBy != "" {
		by = &claimedBy
	}
	res, err := tx.x.ExecContext(ctx, `
		UPDATE invitations SET ended_at = clock_timestamp(), end_reason = $2, claimed_by = $3
		WHERE seat_id = $1 AND ended_at IS NULL`, seatID, reason, by)
	if err != nil {
		return false, wrapf(err, "end invitation of seat %s", seatID)
	}
	n, err := res.RowsAffected()
	return n > 0, wrapf(err, "end invitation of seat %s", seatID)
}

// InvitationByToken finds an invitation, open or not, by its token: an
// unknown token is ErrNotFound. It reads without locking: a claim reads it
// again once it holds the line lock, under which every invitation change
// is made.
func (tx *Tx) InvitationByToken(ctx context.Context, token string) (Invitation, error) {
	return invitationByToken(ctx, tx.x.Tx, token)
}

// InvitationByToken is the read of a claim page: it changes nothing.
func (db *DB) InvitationByToken(ctx context.Context, token string) (Invitation, error) {
	return invitationByToken(ctx, db.x, token)
}

func invitationByToken(ctx context.Context, q sqlx.QueryerContext, token string) (Invitation, error) {
	var inv Invitation
	err := sqlx.GetContext(ctx, q, &inv, `
		SELECT i.id, i.seat_id, i.email, i.expires_at, i.created_at, i.ended_at, COALESCE(i.end_reason, '') AS end_reason,
		       l.product_id, o.external_id AS order_external_id,
		       c.external_id AS customer_external_id, c.name AS customer_name
		FROM invitations i JOIN seats s ON s.id = i.seat_id JOIN order_lines l ON l.id = s.line_id
		JOIN orders o ON o.id = l.order_id JOIN customers c ON c.id = o.customer_id
		WHERE i.token_hash = $1`, hashInvitationToken(token))
	if err != nil {
		// The token is a secret: errors name the invitation, never it.
		return Invitation{}, wrapf(err, "invitation by token")
	}
	return inv, nil
}
