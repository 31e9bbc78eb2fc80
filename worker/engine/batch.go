package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/seatsync/seatsync/storage"
)

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
// applied and the BatchError says which and why. It reads the seats the
// entries name and those their users hold, nothing else of the order.
func (e *Engine) Batch(ctx context.Context, tx *storage.Tx, orderExternalID string, entries []BatchAssignment) error {
	// Customer first, then lines, as every transaction locks, even when
	// no entry names a user.
	customer, err := e.lockOrderCustomer(ctx, tx, orderExternalID)
	if err != nil {
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
	named := make([]string, 0, len(entries))
	for _, entry := range entries {
		named = append(named, entry.SeatID)
	}
	seats, err := tx.SeatsByID(ctx, lineIDs(lines), named)
	if err != nil {
		return err
	}
	userIDs := make([]string, 0, len(users))
	for _, u := range users {
		userIDs = append(userIDs, u.ID)
	}
	held, err := tx.UserSeats(ctx, userIDs, lineIDs(lines))
	if err != nil {
		return err
	}
	seats = union(seats, held)

	// Split the entries by line, keeping their order; rule 2 is per line.
	lineOf := map[string]int{}
	for li, l := range lines {
		for _, s := range seatsOn(seats, l.ID) {
			lineOf[s.ID] = li
		}
	}
	perLine := make([][]BatchEntry, len(lines))
	origin := make([][]int, len(lines))
	for i, entry := range entries {
		li, ok := lineOf[entry.SeatID]
		if !ok {
			errs[i] = broke(ErrSeatNotFound, "seat %s is not a live seat of order %s", entry.SeatID, orderExternalID)
			continue
		}
		if _, bad := errs[i]; bad {
			continue
		}
		be := BatchEntry{SeatID: entry.SeatID}
		if u, ok := users[entry.UserExternalID]; ok {
			v := userView(u)
			be.User = &v
		}
		perLine[li] = append(perLine[li], be)
		origin[li] = append(origin[li], i)
	}
	plans := make([][]BatchStep, len(lines))
	for li, l := range lines {
		steps, lineErrs := PlanBatch(l.OrderStatus, l.CustomerID, views(seatsOn(seats, l.ID)), perLine[li])
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
			errs[i] = broke(ErrUnknownUser, "customer %s has no user %s", customer, entry.UserExternalID)
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
	var freed []string
	for _, step := range steps {
		switch {
		case step.Noop:
		case step.UserID == "":
			if _, err := e.vacate(ctx, tx, line, []string{step.SeatID}, ReasonUnassigned); err != nil {
				return err
			}
			freed = append(freed, step.SeatID)
		default:
			if err := e.occupy(ctx, tx, line, []Fill{{SeatID: step.SeatID, UserID: step.UserID}}, "manual"); err != nil {
				return err
			}
		}
	}
	return e.refill(ctx, tx, line, freed)
}
