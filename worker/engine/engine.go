// Package engine is the seat engine: the rules of SPEC §1 as pure planners
// over plain values, and the Engine that applies their plans to rows it
// holds locked, writing one outbound event per change of occupancy in the
// same transaction. Inbound events (through the worker) and the management
// API both change seats only through it.
package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/seatsync/seatsync/storage"
)

// Engine applies the seat rules: it reads locked state from storage, asks
// the pure planners what to change, writes the changes and, in the same
// transaction, one outbound event per change of occupancy. Webhooks and the
// management API both go through it, so every rule and every event has one
// code path.
type Engine struct {
	now func() time.Time
}

// NewEngine returns an engine on the wall clock.
func New() *Engine { return &Engine{now: time.Now} }

// Reasons a seat is vacated, as carried by seat.revoked.
const (
	ReasonUnassigned        = "unassigned"
	ReasonUserDeactivated   = "user_deactivated"
	ReasonQuantityDecreased = "quantity_decreased"
	ReasonOrderCanceled     = "order_canceled"
	ReasonLeftGroup         = "left_group"
	// ReasonInvitationRevoked is an invitation withdrawn before anyone
	// claimed it.
	ReasonInvitationRevoked = "invitation_revoked"
)

// ReconcileOrder brings every line of an order in line with its quantity
// and status: seats created or retired (rule 6), everyone unseated when the
// order is canceled, and free seats given to waiting users.
func (e *Engine) ReconcileOrder(ctx context.Context, tx *storage.Tx, orderID string) error {
	lines, err := tx.LockOrderLines(ctx, orderID)
	if err != nil {
		return err
	}
	for _, line := range lines {
		if err := e.reconcileLine(ctx, tx, line); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) reconcileLine(ctx context.Context, tx *storage.Tx, line storage.Line) error {
	var displaced []storage.Seat
	if line.OrderStatus == storage.OrderCanceled {
		for _, s := range line.Seats {
			if s.Status != SeatUnassigned {
				if err := e.vacate(ctx, tx, line, s, ReasonOrderCanceled); err != nil {
					return err
				}
				displaced = append(displaced, s)
			}
		}
		if len(displaced) > 0 {
			var err error
			if line, err = tx.LockLine(ctx, line.OrderExternalID, line.ProductID); err != nil {
				return err
			}
		}
	}
	create, retire := PlanResize(views(line.Seats), line.Quantity)
	if create != 0 || len(retire) != 0 {
		if err := e.resize(ctx, tx, line, create, retire, &displaced); err != nil {
			return err
		}
	}
	if err := e.refill(ctx, tx, line.OrderExternalID, line.ProductID); err != nil {
		return err
	}
	return e.reseat(ctx, tx, line, displaced)
}

// resize creates or retires seats, unseating the holders of retired ones.
func (e *Engine) resize(ctx context.Context, tx *storage.Tx, line storage.Line, create int, retire []SeatView, displaced *[]storage.Seat) error {
	if err := e.emitPool(ctx, tx, line, len(line.Seats)); err != nil {
		return err
	}
	for _, r := range retire {
		if r.Status != SeatUnassigned {
			seat, err := seatByID(line.Seats, r.ID)
			if err != nil {
				return err
			}
			if err := e.vacate(ctx, tx, line, seat, ReasonQuantityDecreased); err != nil {
				return err
			}
			*displaced = append(*displaced, seat)
		}
		if err := tx.RetireSeat(ctx, r.ID, ReasonQuantityDecreased); err != nil {
			return err
		}
	}
	if create > 0 {
		return tx.CreateSeats(ctx, line.ID, create)
	}
	return nil
}

// reseat gives users who lost their seat to a smaller or canceled order
// what they are still entitled to: a seat elsewhere, or a place in line.
func (e *Engine) reseat(ctx context.Context, tx *storage.Tx, line storage.Line, displaced []storage.Seat) error {
	for _, s := range displaced {
		if s.UserID == "" {
			continue // an invitation
		}
		u, err := tx.LockUser(ctx, storage.CustomerRef{ExternalID: line.CustomerExternalID}, s.UserExternalID)
		if err != nil {
			return err
		}
		if u.Status == storage.UserActive {
			if err := e.ReconcileUser(ctx, tx, u, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// refill reloads a line after its seats changed and fills it.
func (e *Engine) refill(ctx context.Context, tx *storage.Tx, orderExternalID, productID string) error {
	line, err := tx.LockLine(ctx, orderExternalID, productID)
	if err != nil {
		return err
	}
	return e.fill(ctx, tx, line)
}

// fill gives the line's free seats to the users waiting for its product.
func (e *Engine) fill(ctx context.Context, tx *storage.Tx, line storage.Line) error {
	if line.OrderStatus != storage.OrderActive {
		return nil
	}
	waiting, err := tx.Waiting(ctx, line.CustomerID, line.ProductID)
	if err != nil || len(waiting) == 0 {
		return err
	}
	for _, f := range PlanFill(views(line.Seats), waiting) {
		if err := e.occupy(ctx, tx, line, f.SeatID, f.UserID, "auto"); err != nil {
			return err
		}
		if err := tx.StopWaiting(ctx, line.CustomerID, line.ProductID, f.UserID); err != nil {
			return err
		}
	}
	return nil
}

// occupy seats a user and reports it.
func (e *Engine) occupy(ctx context.Context, tx *storage.Tx, line storage.Line, seatID, userID, source string) error {
	assignmentID, err := tx.Occupy(ctx, seatID, line.ID, userID, source)
	if err != nil {
		return err
	}
	return e.emitSeat(ctx, tx, "seat.assigned", line, seatID, assignmentID, "", userID)
}

// vacate frees a held or invited seat and reports who lost it: the user,
// or for an invited seat the invited email (its invitation ends with the
// same reason, so the token stops working).
func (e *Engine) vacate(ctx context.Context, tx *storage.Tx, line storage.Line, seat storage.Seat, reason string) error {
	assignmentID, err := tx.Vacate(ctx, seat.ID, reason)
	if err != nil {
		return err
	}
	var inv *invitationRef
	if seat.Status == SeatInvited {
		inv = &invitationRef{Email: seat.InvitedEmail}
	}
	return e.emitSeatInvitation(ctx, tx, "seat.revoked", line, seat.ID, assignmentID, reason, seat.UserID, inv)
}

func views(seats []storage.Seat) []SeatView {
	out := make([]SeatView, len(seats))
	for i, s := range seats {
		out[i] = SeatView{ID: s.ID, Status: s.Status, UserID: s.UserID, CreatedAt: s.CreatedAt}
		if s.OccupiedAt != nil {
			out[i].OccupiedAt = *s.OccupiedAt
		}
	}
	return out
}

func seatByID(seats []storage.Seat, id string) (storage.Seat, error) {
	for _, s := range seats {
		if s.ID == id {
			return s, nil
		}
	}
	return storage.Seat{}, fmt.Errorf("seat %s is not on its line: %w", id, storage.ErrNotFound)
}
