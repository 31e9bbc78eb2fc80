package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/seatsync/seatsync/storage"
)

// Every transaction takes its locks in one order: the customer first,
// then lines in id order (storage locks several lines in id order), then
// nothing else. The customer lock is what serialises every change about
// one customer; because every transaction takes it first, two never wait
// on each other in a circle. The functions below are the only places the
// engine starts taking locks.

// lockOrder locks an order's customer, then its lines.
func (e *Engine) lockOrder(ctx context.Context, tx *storage.Tx, orderExternalID string) ([]storage.Line, error) {
	if _, err := e.lockOrderCustomer(ctx, tx, orderExternalID); err != nil {
		return nil, err
	}
	orderID, err := tx.OrderID(ctx, orderExternalID)
	if err != nil {
		return nil, err
	}
	return tx.LockOrderLines(ctx, orderID)
}

// lockOrderCustomer locks the customer of an order and returns its
// external id.
func (e *Engine) lockOrderCustomer(ctx context.Context, tx *storage.Tx, orderExternalID string) (string, error) {
	customer, err := tx.OrderCustomer(ctx, orderExternalID)
	if err != nil {
		return "", err
	}
	_, err = tx.LockOrCreateCustomer(ctx, storage.CustomerRef{ExternalID: customer})
	return customer, err
}

// errNoSuchUser marks the storage.ErrNotFound of a user the customer does
// not have, for callers to whom that differs from a missing order or line.
var errNoSuchUser = errors.New("no such user")

// lockUserOnLine locks the customer of an order, one of its users (locking
// the user locks the customer), then the line of the product. A user the
// customer does not have is storage.ErrNotFound, and errNoSuchUser.
func (e *Engine) lockUserOnLine(ctx context.Context, tx *storage.Tx, orderExternalID, productID, userExternalID string) (storage.UserState, storage.Line, error) {
	customer, err := tx.OrderCustomer(ctx, orderExternalID)
	if err != nil {
		return storage.UserState{}, storage.Line{}, err
	}
	u, err := tx.LockUser(ctx, storage.CustomerRef{ExternalID: customer}, userExternalID)
	if errors.Is(err, storage.ErrNotFound) {
		err = fmt.Errorf("%w: %w", errNoSuchUser, err)
	}
	if err != nil {
		return storage.UserState{}, storage.Line{}, err
	}
	line, err := tx.LockLine(ctx, orderExternalID, productID)
	return u, line, err
}
