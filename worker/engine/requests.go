package engine

import (
	"context"
	"errors"

	"github.com/seatsync/seatsync/storage"
)

// Locks are taken customer first (LockUser locks the customer row), then
// lines, as every other transaction does, so that two never wait on each
// other in a circle.

// Assign seats a user of the order's customer in a free seat of the line,
// or in seatID when given. A user who already holds that seat (or, without
// a seat id, any seat of the line) is left alone. Planner errors (rules 2
// and 3, no free seat, canceled order) come back as they are.
func (e *Engine) Assign(ctx context.Context, tx *storage.Tx, orderExternalID, productID, seatID, userExternalID string) error {
	customer, err := tx.OrderCustomer(ctx, orderExternalID)
	if err != nil {
		return err
	}
	u, err := tx.LockUser(ctx, storage.CustomerRef{ExternalID: customer}, userExternalID)
	if err != nil {
		return err
	}
	line, err := tx.LockLine(ctx, orderExternalID, productID)
	if err != nil {
		return err
	}
	seatID, noop, err := PlanAssign(AssignRequest{
		OrderStatus: line.OrderStatus, OrderCustomerID: line.CustomerID,
		User:   UserView{ID: u.ID, CustomerID: u.CustomerID, Status: u.Status},
		SeatID: seatID, Seats: views(line.Seats),
	})
	if err != nil || noop {
		return err
	}
	if err := e.occupy(ctx, tx, line, seatID, u.ID, "manual"); err != nil {
		return err
	}
	return tx.StopWaiting(ctx, line.CustomerID, line.ProductID, u.ID)
}

// Unassign frees the seat a user holds on the line, if any, and gives it
// to whoever waits. Quantity never changes (rule 5).
func (e *Engine) Unassign(ctx context.Context, tx *storage.Tx, orderExternalID, productID, userExternalID string) error {
	customer, err := tx.OrderCustomer(ctx, orderExternalID)
	if err != nil {
		return err
	}
	u, err := tx.LockUser(ctx, storage.CustomerRef{ExternalID: customer}, userExternalID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // a user nobody created holds no seat
	}
	if err != nil {
		return err
	}
	line, err := tx.LockLine(ctx, orderExternalID, productID)
	if err != nil {
		return err
	}
	for _, s := range line.Seats {
		if s.UserID == u.ID {
			if err := e.vacate(ctx, tx, line, s, ReasonUnassigned); err != nil {
				return err
			}
			return e.refill(ctx, tx, line.OrderExternalID, line.ProductID)
		}
	}
	return nil
}
