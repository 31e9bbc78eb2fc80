package engine

import (
	"context"
	"slices"

	"github.com/seatsync/seatsync/storage"
)

// entitles reports whether a mapping to group ("" = every active user)
// entitles an active user to the product.
func entitles(group string, u storage.UserState) bool {
	return group == "" || slices.Contains(u.Groups, group)
}

// SetAutoAssign maps a group ("" = every active user) to a product and
// seats, or queues, everyone it entitles. Replacing a mapping re-evaluates
// every active user against it: those it no longer entitles lose the seats
// automation gave them (seats given by hand stay) and their place in line.
//
// The order makes every change of occupancy a real one: first the users
// the mapping no longer entitles leave the waiting list, so that a seat
// freed next cannot go to one of them only to be taken back; then their
// automatic seats are freed, going to those already waiting, first come
// first served; then the users it entitles are seated or queued, oldest
// user first.
func (e *Engine) SetAutoAssign(ctx context.Context, tx *storage.Tx, customerExternalID, productID, group string) error {
	customer := storage.CustomerRef{ExternalID: customerExternalID}
	c, err := tx.LockOrCreateCustomer(ctx, customer)
	if err != nil {
		return err
	}
	if err := tx.SetAutoAssign(ctx, c, productID, group); err != nil {
		return err
	}
	externalIDs, err := tx.ActiveUsers(ctx, c)
	if err != nil {
		return err
	}
	var entitled, others []storage.UserState
	var left []string
	for _, externalID := range externalIDs {
		u, err := tx.LockUser(ctx, customer, externalID)
		if err != nil {
			return err
		}
		if entitles(group, u) {
			entitled = append(entitled, u)
			continue
		}
		others = append(others, u)
		gone, err := tx.StopWaiting(ctx, c, productID, u.ID)
		if err != nil {
			return err
		}
		left = append(left, gone...)
	}
	for _, u := range append(others, entitled...) {
		if err := e.ReconcileUser(ctx, tx, u, true); err != nil {
			return err
		}
	}
	return e.settleProducts(ctx, tx, c, left)
}

// RemoveAutoAssign stops automatic assignment of a product for an existing
// customer: the mapping goes, and so does the product's waiting list, since
// nothing would seat those users any more. Seats already handed out stay
// with their holders: stopping automation must not take anyone's access
// away; an operator who wants that unassigns the seats. An unknown customer
// or mapping is storage.ErrNotFound.
func (e *Engine) RemoveAutoAssign(ctx context.Context, tx *storage.Tx, customerExternalID, productID string) error {
	c, err := tx.LockExistingCustomer(ctx, customerExternalID)
	if err != nil {
		return err
	}
	if err := tx.DeleteAutoAssign(ctx, c, productID); err != nil {
		return err
	}
	if err := tx.ClearWaiting(ctx, c, productID); err != nil {
		return err
	}
	return e.settleDemand(ctx, tx, c, productID)
}
