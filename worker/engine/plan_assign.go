package engine

import (
	"cmp"
	"time"
)

// statusActive is the one order and user status that allows an assignment.
// Anything else, including "", is refused: an unknown state must never
// hand out a seat.
const statusActive = "active"

// UserView is the user an assignment is about.
type UserView struct {
	ID         string
	ExternalID string // the caller's id of the user, for messages
	CustomerID string
	Status     string // "active" or "deactivated"
}

// name is how messages call the user: the caller's id when known.
func (u UserView) name() string { return cmp.Or(u.ExternalID, u.ID) }

// AssignRequest asks for user to sit in SeatID, or in any free seat when SeatID is "".
type AssignRequest struct {
	OrderStatus     string // "active" or "canceled"
	OrderCustomerID string
	User            UserView
	SeatID          string
	Seats           []SeatView // the line's non-retired seats
}

// PlanAssign decides an assignment. It returns the seat to assign, or
// noop = true when the user already holds the requested seat (or, for
// SeatID "", already holds any seat of the line — asking twice is
// harmless). Rules are checked in this order: order canceled; user
// deactivated; customer mismatch; seat not found (SeatID given); noop;
// user already seated in another seat; seat occupied (SeatID given);
// no free seat (SeatID ""; choose the oldest free seat: CreatedAt, then ID).
// Errors wrap the sentinels above with context (seat id, user id), so
// errors.Is works and the message is specific.
func PlanAssign(req AssignRequest) (seatID string, noop bool, err error) {
	u := req.User
	if req.OrderStatus != statusActive {
		return "", false, broke(ErrOrderCanceled, "the order is %s, so user %s cannot be given a seat", req.OrderStatus, u.name())
	}
	if u.Status != statusActive {
		return "", false, broke(ErrUserDeactivated, "user %s is %s; only active users hold seats", u.name(), u.Status)
	}
	// An empty customer on either side is a missing link, not a match.
	if u.CustomerID == "" || u.CustomerID != req.OrderCustomerID {
		return "", false, broke(ErrCustomerMismatch, "user %s belongs to another customer than the order", u.name())
	}

	var target *SeatView
	if req.SeatID != "" {
		for i := range req.Seats {
			if req.Seats[i].ID == req.SeatID {
				target = &req.Seats[i]
				break
			}
		}
		if target == nil {
			return "", false, broke(ErrSeatNotFound, "seat %s is not a live seat of this line", req.SeatID)
		}
		if target.Status == SeatAssigned && target.UserID == u.ID {
			return target.ID, true, nil
		}
	}

	for _, s := range req.Seats {
		if !s.occupiedBy(u.ID) {
			continue
		}
		// Asking for "any seat" while sitting in one is a retry, not a
		// conflict. An invitation is not yet a seat the user holds, so it
		// still blocks a second one.
		if target == nil && s.Status == SeatAssigned {
			return s.ID, true, nil
		}
		return "", false, broke(ErrUserAlreadySeated, "user %s already holds seat %s of this line", u.name(), s.ID)
	}

	if target != nil {
		if target.Status != SeatUnassigned {
			return "", false, broke(ErrSeatOccupied, "seat %s is %s to someone else", target.ID, target.Status)
		}
		return target.ID, false, nil
	}
	free := freeSeats(req.Seats)
	if len(free) == 0 {
		return "", false, broke(ErrNoFreeSeat, "every seat of the line is taken, so user %s cannot be seated", u.name())
	}
	return free[0].ID, false, nil
}

// BatchEntry is one line of a batch: SeatID to assign to User, or to free
// when User is nil. A nil-user entry must name its seat; a user entry with
// SeatID "" takes the oldest free seat, like PlanAssign.
type BatchEntry struct {
	SeatID string
	User   *UserView // nil = unassign the seat
}

// BatchStep is one write the batch needs, in entry order.
type BatchStep struct {
	SeatID string
	UserID string // "" = unassign
	Noop   bool   // already so: nothing to write
}

// PlanBatch validates a batch of (seat, user-or-unassign) entries against
// one line, all or nothing: it applies the entries in order to a copy of the
// seats (an unassign, UserID == "", frees the seat first so a later entry in
// the same batch may take it; an entry for a user who is unassigned earlier
// in the batch may seat them elsewhere) and returns either every step or,
// if any entry fails, one error per failing entry (index → error) and no steps.
//
// A failing entry leaves the working copy untouched and evaluation goes on,
// so the caller learns about every bad entry at once; a later entry may then
// fail only because it relied on the earlier one.
func PlanBatch(orderStatus, orderCustomerID string, seats []SeatView, entries []BatchEntry) (steps []BatchStep, errs map[int]error) {
	work := make([]SeatView, len(seats))
	copy(work, seats)
	index := make(map[string]int, len(work))
	for i, s := range work {
		index[s.ID] = i
	}

	steps = make([]BatchStep, 0, len(entries))
	for i, e := range entries {
		step, err := planEntry(orderStatus, orderCustomerID, work, index, e)
		if err != nil {
			if errs == nil {
				errs = make(map[int]error)
			}
			errs[i] = err
			continue
		}
		steps = append(steps, step)
	}
	if errs != nil {
		return nil, errs
	}
	return steps, nil
}

// planEntry plans one entry against work and, on success, applies it there
// so later entries see it.
func planEntry(orderStatus, orderCustomerID string, work []SeatView, index map[string]int, e BatchEntry) (BatchStep, error) {
	if e.User == nil {
		// Freeing seats stays allowed on a canceled order: it only moves
		// the line toward the revocation cancellation demands anyway.
		i, ok := index[e.SeatID]
		if !ok {
			return BatchStep{}, broke(ErrSeatNotFound, "seat %s is not a live seat of this line", e.SeatID)
		}
		if work[i].Status == SeatUnassigned {
			return BatchStep{SeatID: e.SeatID, Noop: true}, nil
		}
		work[i].Status, work[i].UserID, work[i].OccupiedAt = SeatUnassigned, "", time.Time{}
		return BatchStep{SeatID: e.SeatID}, nil
	}

	seatID, noop, err := PlanAssign(AssignRequest{
		OrderStatus:     orderStatus,
		OrderCustomerID: orderCustomerID,
		User:            *e.User,
		SeatID:          e.SeatID,
		Seats:           work,
	})
	if err != nil {
		return BatchStep{}, err
	}
	if !noop {
		i := index[seatID]
		// OccupiedAt stays zero: no entry ranks seats by it, and the real
		// time is the transaction's, not the planner's.
		work[i].Status, work[i].UserID = SeatAssigned, e.User.ID
	}
	return BatchStep{SeatID: seatID, UserID: e.User.ID, Noop: noop}, nil
}
