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
	now   func() time.Time
	queue ScheduleQueue // nil: schedules are applied by the sweep alone
}

// New returns an engine on the wall clock.
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
	// ReasonInvitationExpired is an invitation nobody claimed before its
	// expiry, freed by the worker's sweep.
	ReasonInvitationExpired = "invitation_expired"
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
	return e.settleOrderDemand(ctx, tx, lines)
}

func (e *Engine) reconcileLine(ctx context.Context, tx *storage.Tx, line storage.Line) error {
	var displaced []storage.Vacated
	if line.OrderStatus == storage.OrderCanceled && line.Assigned+line.Invited > 0 {
		occupied, err := tx.OccupiedSeats(ctx, line.ID)
		if err != nil {
			return err
		}
		if displaced, err = e.vacate(ctx, tx, line, idsOf(occupied), ReasonOrderCanceled); err != nil {
			return err
		}
		line.Assigned, line.Invited = 0, 0
	}
	resized := line.Live != line.Quantity
	if resized {
		vacated, err := e.resize(ctx, tx, line)
		if err != nil {
			return err
		}
		displaced = append(displaced, vacated...)
		if line.PendingRemovals > 0 { // resize retires marked seats first
			if line.PendingRemovals, err = tx.PendingRemovals(ctx, line.ID); err != nil {
				return err
			}
		}
	}
	if err := e.syncSchedule(ctx, tx, line, resized); err != nil {
		return err
	}
	if err := e.fill(ctx, tx, line); err != nil {
		return err
	}
	return e.reseat(ctx, tx, line, displaced)
}

// resize creates or retires seats to bring the line to its quantity,
// unseating the holders of retired ones, whom it returns.
func (e *Engine) resize(ctx context.Context, tx *storage.Tx, line storage.Line) ([]storage.Vacated, error) {
	if line.Elastic {
		return e.resizeElastic(ctx, tx, line)
	}
	if err := e.emitPool(ctx, tx, line, line.Live); err != nil {
		return nil, err
	}
	if line.Quantity > line.Live {
		return nil, tx.CreateSeats(ctx, line.ID, line.Quantity-line.Live)
	}
	n := line.Live - max(line.Quantity, 0)
	retire, err := e.retirement(ctx, tx, line, n)
	if err != nil {
		return nil, err
	}
	if len(retire) != n {
		return nil, fmt.Errorf("line %s of order %s: %d seats to retire, %d found", line.ProductID, line.OrderExternalID, n, len(retire))
	}
	var occupied []string
	for _, r := range retire {
		if r.Status != SeatUnassigned {
			occupied = append(occupied, r.ID)
		}
	}
	displaced, err := e.vacate(ctx, tx, line, occupied, ReasonQuantityDecreased)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(retire))
	for i, r := range retire {
		ids[i] = r.ID
	}
	return displaced, tx.RetireSeats(ctx, ids, ReasonQuantityDecreased)
}

// reseat gives the users who lost their seat to a smaller or canceled
// order what automatic assignment still entitles them to: a place in line
// for the product, and a free seat of another of the customer's lines of
// it if there is one.
func (e *Engine) reseat(ctx context.Context, tx *storage.Tx, line storage.Line, displaced []storage.Vacated) error {
	var users []string
	for _, v := range displaced {
		if v.UserID != "" { // not an invitation
			users = append(users, v.UserID)
		}
	}
	if len(users) == 0 {
		return nil
	}
	if err := tx.WaitIfEntitled(ctx, line.CustomerID, line.ProductID, users); err != nil {
		return err
	}
	lines, err := tx.LockLinesOfProduct(ctx, line.CustomerID, line.ProductID)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if err := e.fill(ctx, tx, l); err != nil {
			return err
		}
	}
	if line.OrderStatus == storage.OrderActive {
		return nil // ReconcileOrder checks the product's demand last
	}
	return e.settleDemand(ctx, tx, line.CustomerID, line.ProductID)
}

// fill gives the line's free seats to the users waiting for its product,
// first come first served; storage reads only as many of each as can be
// paired, by the line's counters.
func (e *Engine) fill(ctx context.Context, tx *storage.Tx, line storage.Line) error {
	if line.OrderStatus != storage.OrderActive {
		return nil
	}
	if line.Elastic {
		return e.fillElastic(ctx, tx, line)
	}
	waiting, err := tx.NextWaiting(ctx, line)
	if err != nil || len(waiting) == 0 {
		return err
	}
	free, err := tx.FreeSeats(ctx, line.ID, len(waiting))
	if err != nil {
		return err
	}
	fills := PlanFill(views(free), waiting)
	if len(fills) == 0 {
		return nil
	}
	return e.occupy(ctx, tx, line, fills, "auto")
}

// occupy seats users and reports each with seat.assigned.
func (e *Engine) occupy(ctx context.Context, tx *storage.Tx, line storage.Line, fills []Fill, source string) error {
	give := make([]storage.Occupancy, len(fills))
	for i, f := range fills {
		give[i] = storage.Occupancy{SeatID: f.SeatID, UserID: f.UserID}
	}
	occupied, err := tx.Occupy(ctx, line.ID, give, source)
	if err != nil {
		return err
	}
	if err := e.unmarkTaken(ctx, tx, line, seatIDsOf(fills)); err != nil {
		return err
	}
	changes := make([]seatChange, len(occupied))
	for i, o := range occupied {
		changes[i] = seatChange{eventType: "seat.assigned", seatID: o.SeatID, assignmentID: o.AssignmentID,
			user: &userRef{ExternalID: o.UserExternalID, Email: o.UserEmail}}
	}
	if err := e.emitSeats(ctx, tx, line, changes); err != nil {
		return err
	}
	return e.afterOccupy(ctx, tx, line, occupied)
}

// vacate frees held or invited seats and reports who lost each: the user,
// or for an invited seat the invited email (its invitation ends with the
// same reason, so the token stops working). It returns the seats freed.
func (e *Engine) vacate(ctx context.Context, tx *storage.Tx, line storage.Line, seatIDs []string, reason string) ([]storage.Vacated, error) {
	if len(seatIDs) == 0 {
		return nil, nil
	}
	vacated, err := tx.Vacate(ctx, seatIDs, reason)
	if err != nil {
		return nil, err
	}
	changes := make([]seatChange, len(vacated))
	for i, v := range vacated {
		changes[i] = seatChange{eventType: "seat.revoked", seatID: v.SeatID, assignmentID: v.AssignmentID, reason: reason}
		if v.UserID != "" {
			changes[i].user = &userRef{ExternalID: v.UserExternalID, Email: v.UserEmail}
		} else {
			changes[i].invitation = &invitationRef{Email: v.InvitedEmail}
		}
	}
	if err := e.emitSeats(ctx, tx, line, changes); err != nil {
		return nil, err
	}
	return vacated, e.afterFreed(ctx, tx, line)
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

func idsOf(seats []storage.Seat) []string {
	ids := make([]string, len(seats))
	for i, s := range seats {
		ids[i] = s.ID
	}
	return ids
}
