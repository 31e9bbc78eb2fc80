package engine

import (
	"context"
	"errors"

	"github.com/seatsync/seatsync/storage"
)

// Assign seats a user of the order's customer in a free seat of the line,
// or in seatID when given. A user who already holds that seat (or, without
// a seat id, any seat of the line) is left alone. Planner errors (rules 2
// and 3, no free seat, canceled order) come back as they are. It reads the
// few seats the decision needs: the one asked for or the oldest free one,
// and the user's own.
func (e *Engine) Assign(ctx context.Context, tx *storage.Tx, orderExternalID, productID, seatID, userExternalID string) error {
	u, line, err := e.lockUserOnLine(ctx, tx, orderExternalID, productID, userExternalID)
	if err != nil {
		return err
	}
	seats, err := tx.UserSeats(ctx, []string{u.ID}, []string{line.ID})
	if err != nil {
		return err
	}
	var more []storage.Seat
	if seatID != "" {
		more, err = tx.SeatsByID(ctx, []string{line.ID}, []string{seatID})
	} else if line.Free() > 0 {
		more, err = tx.FreeSeats(ctx, line.ID, 1)
	}
	if err != nil {
		return err
	}
	seatID, noop, err := PlanAssign(AssignRequest{
		OrderStatus: line.OrderStatus, OrderCustomerID: line.CustomerID,
		User:   userView(u),
		SeatID: seatID, Seats: views(union(seats, more)),
	})
	if errors.Is(err, ErrNoFreeSeat) && line.Elastic {
		return e.assignGrown(ctx, tx, line, u, "manual")
	}
	if err != nil || noop {
		return err
	}
	return e.occupy(ctx, tx, line, []Fill{{SeatID: seatID, UserID: u.ID}}, "manual")
}

// Unassign frees the seat a user holds on the line, if any, and gives it
// to whoever waits. Quantity never changes (rule 5).
func (e *Engine) Unassign(ctx context.Context, tx *storage.Tx, orderExternalID, productID, userExternalID string) error {
	u, line, err := e.lockUserOnLine(ctx, tx, orderExternalID, productID, userExternalID)
	if errors.Is(err, errNoSuchUser) {
		return nil // a user nobody created holds no seat
	}
	if err != nil {
		return err
	}
	held, err := tx.UserSeats(ctx, []string{u.ID}, []string{line.ID})
	if err != nil || len(held) == 0 {
		return err
	}
	if _, err := e.vacate(ctx, tx, line, idsOf(held), ReasonUnassigned); err != nil {
		return err
	}
	return e.refill(ctx, tx, line, idsOf(held))
}

func userView(u storage.UserState) UserView {
	return UserView{ID: u.ID, ExternalID: u.ExternalID, CustomerID: u.CustomerID, Status: u.Status}
}

// union is a and the seats of b that a lacks.
func union(a, b []storage.Seat) []storage.Seat {
	out := append([]storage.Seat{}, a...)
	for _, s := range b {
		if !containsSeat(out, s.ID) {
			out = append(out, s)
		}
	}
	return out
}

func containsSeat(seats []storage.Seat, id string) bool {
	for _, s := range seats {
		if s.ID == id {
			return true
		}
	}
	return false
}
