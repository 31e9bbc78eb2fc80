package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/seatsync/seatsync/storage"
)

// ExpireInvitations frees the seats of up to limit invitations past their
// expiry at now, each in a transaction of its own, so that no customer's
// lock is held for longer than one invitation takes. Several sweeps may
// run at once: each invitation is checked again under its line's lock, so
// it expires exactly once. It returns how many it expired; an invitation
// that fails does not stop the others, and its error is returned with
// theirs.
func (e *Engine) ExpireInvitations(ctx context.Context, db *storage.DB, now time.Time, limit int) (int, error) {
	candidates, err := db.ExpiredInvitations(ctx, now, limit)
	if err != nil {
		return 0, err
	}
	expired := 0
	var errs []error
	for _, inv := range candidates {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		var done bool
		err := db.InTx(ctx, func(tx *storage.Tx) (err error) {
			done, err = e.ExpireInvitation(ctx, tx, inv, now)
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("expire invitation %s: %w", inv.ID, err))
			continue
		}
		if done {
			expired++
		}
	}
	return expired, errors.Join(errs...)
}

// ExpireInvitation frees the seat of one invitation past its expiry: the
// seat becomes unassigned, the invitation ends (invitation_expired), one
// seat.revoked names the invitee, and a waiting user takes the seat. It
// locks the customer, then the line (the one lock order), and reports
// false, changing nothing, when the invitation was claimed, resent,
// revoked or expired by someone else meanwhile.
func (e *Engine) ExpireInvitation(ctx context.Context, tx *storage.Tx, inv storage.ExpiringInvitation, now time.Time) (bool, error) {
	if _, err := tx.LockExistingCustomer(ctx, inv.CustomerExternalID); err != nil {
		return false, err
	}
	line, err := tx.LockLine(ctx, inv.OrderExternalID, inv.ProductID)
	if err != nil {
		return false, err
	}
	open, err := tx.InvitationStillExpiring(ctx, inv.ID, now)
	if err != nil || !open {
		return false, err
	}
	// Vacate ends the seat's open invitation with the same reason.
	if _, err := e.vacate(ctx, tx, line, []string{inv.SeatID}, ReasonInvitationExpired); err != nil {
		return false, err
	}
	return true, e.refill(ctx, tx, line, []string{inv.SeatID})
}
