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
	entitlements, err := tx.Entitlements(ctx, u.CustomerID, u.ID)
	if err != nil {
		return err
	}
	for _, m := range entitlements {
		if err := e.entitle(ctx, tx, u, m.ProductID, m.Entitled); err != nil {
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
	var held []storage.Seat
	if len(lines) > 0 {
		if held, err = tx.UserSeats(ctx, []string{u.ID}, lineIDs(lines)); err != nil {
			return err
		}
	}
	for _, line := range lines {
		if _, err := e.vacate(ctx, tx, line, idsOf(seatsOn(held, line.ID)), ReasonUserDeactivated); err != nil {
			return err
		}
		if err := e.refill(ctx, tx, line, idsOf(seatsOn(held, line.ID))); err != nil {
			return err
		}
	}
	left, err := tx.StopWaiting(ctx, u.CustomerID, "", u.ID)
	if err != nil {
		return err
	}
	return e.settleProducts(ctx, tx, u.CustomerID, left)
}

// entitle seats (or queues) an entitled user for a product, or takes an
// automatic seat back from one who is no longer entitled. It reads the
// user's own seats of the product and, to seat them, one free seat.
func (e *Engine) entitle(ctx context.Context, tx *storage.Tx, u storage.UserState, productID string, entitled bool) error {
	lines, err := tx.LockLinesOfProduct(ctx, u.CustomerID, productID)
	if err != nil {
		return err
	}
	held, err := tx.UserSeats(ctx, []string{u.ID}, lineIDs(lines))
	if err != nil {
		return err
	}
	if len(held) > 0 {
		s := held[0]
		if entitled || s.Source != "auto" {
			return nil // already seated; seats given by hand stay
		}
		line, _ := lineByID(lines, s.LineID)
		if _, err := e.vacate(ctx, tx, line, []string{s.ID}, ReasonLeftGroup); err != nil {
			return err
		}
		return e.refill(ctx, tx, line, []string{s.ID})
	}
	if !entitled {
		left, err := tx.StopWaiting(ctx, u.CustomerID, productID, u.ID)
		if err != nil {
			return err
		}
		return e.settleProducts(ctx, tx, u.CustomerID, left)
	}
	for _, line := range lines {
		var free []storage.Seat
		if line.Free() > 0 {
			if free, err = tx.FreeSeats(ctx, line.ID, 1); err != nil {
				return err
			}
		}
		seatID, _, err := PlanAssign(AssignRequest{
			OrderStatus: line.OrderStatus, OrderCustomerID: line.CustomerID,
			User: userView(u), Seats: views(free),
		})
		if errors.Is(err, ErrNoFreeSeat) {
			continue
		}
		if err != nil {
			return err
		}
		return e.occupy(ctx, tx, line, []Fill{{SeatID: seatID, UserID: u.ID}}, "auto")
	}
	if seated, err := e.seatOnElastic(ctx, tx, lines, u); seated || err != nil {
		return err
	}
	if err := tx.Wait(ctx, u.CustomerID, productID, u.ID); err != nil {
		return err
	}
	return e.reportDemand(ctx, tx, lines, true) // the lines are as locked: nothing changed them
}

func lineIDs(lines []storage.Line) []string {
	ids := make([]string, len(lines))
	for i, l := range lines {
		ids[i] = l.ID
	}
	return ids
}

func lineByID(lines []storage.Line, id string) (storage.Line, bool) {
	for _, l := range lines {
		if l.ID == id {
			return l, true
		}
	}
	return storage.Line{}, false
}

func seatsOn(seats []storage.Seat, lineID string) []storage.Seat {
	var out []storage.Seat
	for _, s := range seats {
		if s.LineID == lineID {
			out = append(out, s)
		}
	}
	return out
}
