package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/seatsync/seatsync/storage"
)

// ErrUnknownUser is a batch entry naming a user the order's customer does
// not have.
var ErrUnknownUser = errors.New("user_not_found")

// BatchAssignment asks for one seat of an order to be given to a user, or freed
// when UserExternalID is "".
type BatchAssignment struct {
	SeatID         string
	UserExternalID string
}

// BatchError lists, by entry index, why a batch was refused; nothing of it
// was applied.
type BatchError struct {
	Entries map[int]error
}

func (e *BatchError) Error() string {
	idx := make([]int, 0, len(e.Entries))
	for i := range e.Entries {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	parts := make([]string, len(idx))
	for n, i := range idx {
		parts[n] = fmt.Sprintf("entry %d: %v", i, e.Entries[i])
	}
	return fmt.Sprintf("%d of the batch's entries cannot be applied: %s", len(idx), strings.Join(parts, "; "))
}

// Batch applies seat assignments across an order, all or nothing: every
// entry is checked against the state the earlier entries leave (so a batch
// can free a seat and fill it), and if any entry breaks a rule none is
// applied and the BatchError says which and why.
func (e *Engine) Batch(ctx context.Context, tx *storage.Tx, orderExternalID string, entries []BatchAssignment) error {
	customer, err := tx.OrderCustomer(ctx, orderExternalID)
	if err != nil {
		return err
	}
	// Customer first, then lines, as every transaction locks, even when
	// no entry names a user.
	if _, err := tx.LockCustomer(ctx, storage.CustomerRef{ExternalID: customer}); err != nil {
		return err
	}
	users, errs, err := e.batchUsers(ctx, tx, customer, entries)
	if err != nil {
		return err
	}
	orderID, err := tx.OrderID(ctx, orderExternalID)
	if err != nil {
		return err
	}
	lines, err := tx.LockOrderLines(ctx, orderID)
	if err != nil {
		return err
	}
	// Split the entries by line, keeping their order; rule 2 is per line.
	lineOf := map[string]int{}
	for li, l := range lines {
		for _, s := range l.Seats {
			lineOf[s.ID] = li
		}
	}
	perLine := make([][]BatchEntry, len(lines))
	origin := make([][]int, len(lines))
	for i, entry := range entries {
		li, ok := lineOf[entry.SeatID]
		if !ok {
			errs[i] = fmt.Errorf("seat %s is not a live seat of order %s: %w", entry.SeatID, orderExternalID, ErrSeatNotFound)
			continue
		}
		if _, bad := errs[i]; bad {
			continue
		}
		be := BatchEntry{SeatID: entry.SeatID}
		if u, ok := users[entry.UserExternalID]; ok {
			be.User = &UserView{ID: u.ID, CustomerID: u.CustomerID, Status: u.Status}
		}
		perLine[li] = append(perLine[li], be)
		origin[li] = append(origin[li], i)
	}
	plans := make([][]BatchStep, len(lines))
	for li, l := range lines {
		steps, lineErrs := PlanBatch(l.OrderStatus, l.CustomerID, views(l.Seats), perLine[li])
		for local, err := range lineErrs {
			errs[origin[li][local]] = err
		}
		plans[li] = steps
	}
	if len(errs) > 0 {
		return &BatchError{Entries: errs}
	}
	for li, l := range lines {
		if err := e.applyBatch(ctx, tx, l, plans[li]); err != nil {
			return err
		}
	}
	return nil
}

// batchUsers locks the users the entries name; unknown ones are entry
// errors. Any other failure (a deadlock, a lost connection) fails the
// whole batch, so that the transaction is retried or reported as it is.
func (e *Engine) batchUsers(ctx context.Context, tx *storage.Tx, customer string, entries []BatchAssignment) (map[string]storage.UserState, map[int]error, error) {
	users, errs := map[string]storage.UserState{}, map[int]error{}
	for i, entry := range entries {
		if entry.UserExternalID == "" {
			continue
		}
		if _, ok := users[entry.UserExternalID]; ok {
			continue
		}
		u, err := tx.LockUser(ctx, storage.CustomerRef{ExternalID: customer}, entry.UserExternalID)
		if errors.Is(err, storage.ErrNotFound) {
			errs[i] = fmt.Errorf("customer %s has no user %s: %w", customer, entry.UserExternalID, ErrUnknownUser)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		users[entry.UserExternalID] = u
	}
	return users, errs, nil
}

// applyBatch writes one line's planned steps in order, then gives the seats
// left free to whoever waits.
func (e *Engine) applyBatch(ctx context.Context, tx *storage.Tx, line storage.Line, steps []BatchStep) error {
	if len(steps) == 0 {
		return nil
	}
	seats := map[string]storage.Seat{}
	for _, s := range line.Seats {
		seats[s.ID] = s
	}
	for _, step := range steps {
		if step.Noop {
			continue
		}
		seat := seats[step.SeatID]
		if step.UserID == "" {
			if err := e.vacate(ctx, tx, line, seat, ReasonUnassigned); err != nil {
				return err
			}
			seat.Status, seat.UserID = SeatUnassigned, ""
		} else {
			if err := e.occupy(ctx, tx, line, step.SeatID, step.UserID, "manual"); err != nil {
				return err
			}
			if err := tx.StopWaiting(ctx, line.CustomerID, line.ProductID, step.UserID); err != nil {
				return err
			}
			seat.Status, seat.UserID = SeatAssigned, step.UserID
		}
		seats[step.SeatID] = seat
	}
	return e.refill(ctx, tx, line.OrderExternalID, line.ProductID)
}
