package engine

import (
	"context"
	"errors"

	"github.com/seatsync/seatsync/storage"
)

// ReconcileUser applies the seat consequences of a change to a user. A
// deactivated user loses every seat (rule 4) and waiting place, and their
// seats go to whoever waits; an active user gets, or queues for, a seat of
// every product their groups entitle them to, and loses the automatic seats
// they are no longer entitled to. wasActive says whether the user was
// active before the change, so user.deactivated is reported once.
func (e *Engine) ReconcileUser(ctx context.Context, tx *storage.Tx, u storage.UserState, wasActive bool) error {
	if u.Status == storage.UserDeactivated {
		return e.unseatUser(ctx, tx, u, wasActive)
	}
	mappings, err := tx.AutoAssigns(ctx, u.CustomerID)
	if err != nil {
		return err
	}
	for _, m := range mappings {
		if err := e.entitle(ctx, tx, u, m.ProductID, entitles(m.Group, u)); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) unseatUser(ctx context.Context, tx *storage.Tx, u storage.UserState, wasActive bool) error {
	if wasActive {
		if err := e.emitUserDeactivated(ctx, tx, u, u.CustomerExternalID); err != nil {
			return err
		}
	}
	lines, err := tx.LockLinesOfUser(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, line := range lines {
		for _, s := range line.Seats {
			if s.UserID != u.ID {
				continue
			}
			if err := e.vacate(ctx, tx, line, s, ReasonUserDeactivated); err != nil {
				return err
			}
		}
		if err := e.refill(ctx, tx, line.OrderExternalID, line.ProductID); err != nil {
			return err
		}
	}
	return tx.StopWaiting(ctx, u.CustomerID, "", u.ID)
}

// entitle seats (or queues) an entitled user for a product, or takes an
// automatic seat back from one who is no longer entitled.
func (e *Engine) entitle(ctx context.Context, tx *storage.Tx, u storage.UserState, productID string, entitled bool) error {
	lines, err := tx.LockLinesOfProduct(ctx, u.CustomerID, productID)
	if err != nil {
		return err
	}
	for _, line := range lines {
		for _, s := range line.Seats {
			if s.UserID != u.ID {
				continue
			}
			if entitled {
				return nil // already seated
			}
			source, err := tx.AssignmentSource(ctx, s.ID)
			if err != nil || source != "auto" {
				return err // seats given by hand stay
			}
			if err := e.vacate(ctx, tx, line, s, ReasonLeftGroup); err != nil {
				return err
			}
			return e.refill(ctx, tx, line.OrderExternalID, line.ProductID)
		}
	}
	if !entitled {
		return tx.StopWaiting(ctx, u.CustomerID, productID, u.ID)
	}
	for _, line := range lines {
		seatID, _, err := PlanAssign(AssignRequest{
			OrderStatus: line.OrderStatus, OrderCustomerID: line.CustomerID,
			User: UserView{ID: u.ID, CustomerID: u.CustomerID, Status: u.Status}, Seats: views(line.Seats),
		})
		if errors.Is(err, ErrNoFreeSeat) {
			continue
		}
		if err != nil {
			return err
		}
		if err := e.occupy(ctx, tx, line, seatID, u.ID, "auto"); err != nil {
			return err
		}
		return tx.StopWaiting(ctx, u.CustomerID, productID, u.ID)
	}
	return tx.Wait(ctx, u.CustomerID, productID, u.ID)
}
