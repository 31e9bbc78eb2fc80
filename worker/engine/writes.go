package engine

import (
	"context"
	"time"

	"github.com/seatsync/seatsync/storage"
)

// The writes below are how customers, users and orders change, whether the
// change comes from an inbound event (at = the provider's time) or from the
// management API (at = now). Each reports false, and changes nothing, when
// the stored state reflects a newer change (rule 8); otherwise it applies
// the seat consequences in the same transaction.

// UpsertCustomer creates or updates a customer and links its provider ids.
func (e *Engine) UpsertCustomer(ctx context.Context, tx *storage.Tx, in storage.CustomerInput, at time.Time) (bool, error) {
	return tx.UpsertCustomer(ctx, in, at)
}

// UpsertUser creates or updates a user; a user who becomes deactivated
// loses their seats (rule 4), one who gains a group may gain one.
func (e *Engine) UpsertUser(ctx context.Context, tx *storage.Tx, in storage.UserInput, at time.Time) (bool, error) {
	return e.changeUser(ctx, tx, func() (storage.UserChange, error) {
		return tx.UpsertUser(ctx, in, at)
	})
}

// DeactivateUser deactivates a user (creating them deactivated when the
// event comes first) and revokes their seats.
func (e *Engine) DeactivateUser(ctx context.Context, tx *storage.Tx, customer storage.CustomerRef, externalID string, at time.Time) (bool, error) {
	return e.changeUser(ctx, tx, func() (storage.UserChange, error) {
		return tx.DeactivateUser(ctx, customer, externalID, at)
	})
}

// ChangeUserGroup adds a user to a group or removes them from it, with the
// automatic seats that follow.
func (e *Engine) ChangeUserGroup(ctx context.Context, tx *storage.Tx, customer storage.CustomerRef, userExternalID, group string, member bool, at time.Time) (bool, error) {
	return e.changeUser(ctx, tx, func() (storage.UserChange, error) {
		return tx.ChangeUserGroup(ctx, customer, userExternalID, group, member, at)
	})
}

// UpsertOrder creates or updates an order and its lines, then creates or
// retires seats to match (rule 6).
func (e *Engine) UpsertOrder(ctx context.Context, tx *storage.Tx, in storage.OrderInput, at time.Time) (bool, error) {
	return e.changeOrder(ctx, tx, in.ExternalID, func() (bool, error) {
		return tx.UpsertOrder(ctx, in, at)
	})
}

// CancelOrder cancels an order and revokes every seat. An unknown order is
// storage.ErrNotFound.
func (e *Engine) CancelOrder(ctx context.Context, tx *storage.Tx, externalID string, at time.Time) (bool, error) {
	// Customer first, as every transaction locks: reseating the users a
	// cancel displaces locks them, and so their customer, after the lines.
	if _, err := e.lockOrderCustomer(ctx, tx, externalID); err != nil {
		return false, err
	}
	return e.changeOrder(ctx, tx, externalID, func() (bool, error) {
		return tx.CancelOrder(ctx, externalID, at)
	})
}

// SetSchedules sets the scheduled changes of an order's lines (a provider
// that sends them apart from the subscription: Stripe's subscription
// schedules), then brings the lines in line with them. An unknown order is
// storage.ErrNotFound.
func (e *Engine) SetSchedules(ctx context.Context, tx *storage.Tx, in storage.ScheduleInput, at time.Time) (bool, error) {
	if _, err := e.lockOrderCustomer(ctx, tx, in.OrderExternalID); err != nil {
		return false, err
	}
	return e.changeOrder(ctx, tx, in.OrderExternalID, func() (bool, error) {
		return tx.SetSchedules(ctx, in, at)
	})
}

// changeUser applies a change to a user, then its seat consequences when
// its status or memberships changed (a profile alone has none). The
// change's own statement locks the user and says what the user was before,
// so the user is read once.
func (e *Engine) changeUser(ctx context.Context, tx *storage.Tx, change func() (storage.UserChange, error)) (bool, error) {
	c, err := change()
	if err != nil || !c.Reseat {
		return c.Applied, err
	}
	return true, e.ReconcileUser(ctx, tx, c.User, c.Before == storage.UserActive)
}

// changeOrder applies a change to an order, then its seat consequences.
func (e *Engine) changeOrder(ctx context.Context, tx *storage.Tx, externalID string, change func() (bool, error)) (bool, error) {
	applied, err := change()
	if err != nil || !applied {
		return applied, err
	}
	orderID, err := tx.OrderID(ctx, externalID)
	if err != nil {
		return false, err
	}
	return true, e.ReconcileOrder(ctx, tx, orderID)
}
