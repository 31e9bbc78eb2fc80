package engine

import (
	"context"
	"errors"
	"strings"

	"github.com/seatsync/seatsync/storage"
)

// Seat add/remove for a product's backend (SPEC §4, Lumen's model): the
// caller names a customer, a product and a user, not an order or a seat;
// the engine finds the customer's one active line of the product.
var (
	ErrNoActiveLine       = errors.New("no_active_line")       // 404: the customer has no active order with a line of the product
	ErrSeveralActiveLines = errors.New("several_active_lines") // 409: more than one: the caller must name the order
	ErrUserNotSeated      = errors.New("user_not_seated")      // 409: remove of a user holding no seat of the line
)

// LinesError is ErrSeveralActiveLines with the orders whose lines it
// found, for the answer's details.
type LinesError struct {
	error
	Orders []string
}

func (e *LinesError) Unwrap() error { return e.error }

// SeatedUser is the seat add or remove left a user with, and the line.
type SeatedUser struct {
	OrderExternalID string
	Seat            storage.Seat
}

// productLine locks a customer (existing) and its one active line of the
// product.
func (e *Engine) productLine(ctx context.Context, tx *storage.Tx, customerExternalID, productID string) (storage.Line, error) {
	customerID, err := tx.LockExistingCustomer(ctx, customerExternalID)
	if err != nil {
		return storage.Line{}, err
	}
	lines, err := tx.LockLinesOfProduct(ctx, customerID, productID)
	if err != nil {
		return storage.Line{}, err
	}
	switch len(lines) {
	case 0:
		return storage.Line{}, broke(ErrNoActiveLine, "customer %s has no active order with a line of product %s", customerExternalID, productID)
	case 1:
		return lines[0], nil
	}
	orders := make([]string, len(lines))
	for i, l := range lines {
		orders[i] = l.OrderExternalID
	}
	return storage.Line{}, &LinesError{Orders: orders, error: broke(ErrSeveralActiveLines,
		"customer %s has %d active orders with a line of product %s (%s): assign through the order's seats instead",
		customerExternalID, len(lines), productID, strings.Join(orders, ", "))}
}

// AddSeat seats a user of an existing customer on its one active line of
// the product, growing an elastic line when no seat is free. user, when
// given, is upserted first (active, with its name and email); without it a
// user the customer lacks is created active, and an existing one is taken
// as it is. A user already seated on the line keeps their seat. A full
// line (an elastic one at its max_quantity) is ErrNoFreeSeat: the caller
// asked for a seat now, so the user does not wait.
func (e *Engine) AddSeat(ctx context.Context, tx *storage.Tx, customerExternalID, productID, userExternalID string, user *storage.UserInput) (SeatedUser, error) {
	line, err := e.productLine(ctx, tx, customerExternalID, productID)
	if err != nil {
		return SeatedUser{}, err
	}
	ref := storage.CustomerRef{ExternalID: customerExternalID}
	if user == nil {
		if _, err := tx.LockUser(ctx, ref, userExternalID); errors.Is(err, storage.ErrNotFound) {
			user = &storage.UserInput{}
		} else if err != nil {
			return SeatedUser{}, err
		}
	}
	if user != nil {
		in := *user
		in.Customer, in.ExternalID, in.Status = ref, userExternalID, storage.UserActive
		if _, err := e.UpsertUser(ctx, tx, in, storage.CurrentState); err != nil {
			return SeatedUser{}, err
		}
	}
	if err := e.Assign(ctx, tx, line.OrderExternalID, productID, "", userExternalID); err != nil {
		return SeatedUser{}, err
	}
	u, err := tx.LockUser(ctx, ref, userExternalID)
	if err != nil {
		return SeatedUser{}, err
	}
	held, err := tx.UserSeats(ctx, []string{u.ID}, []string{line.ID})
	if err != nil {
		return SeatedUser{}, err
	}
	if len(held) == 0 {
		return SeatedUser{}, broke(ErrNoFreeSeat, "user %s could not be seated on line %s of order %s", userExternalID, productID, line.OrderExternalID)
	}
	return SeatedUser{OrderExternalID: line.OrderExternalID, Seat: held[0]}, nil
}

// RemoveSeat frees the seat a user holds on the customer's one active line
// of the product (an invitation is not a seat the user holds): waiting
// users take it first, and an elastic line then releases it by its
// release setting. It returns the seat as it was before.
func (e *Engine) RemoveSeat(ctx context.Context, tx *storage.Tx, customerExternalID, productID, userExternalID string) (SeatedUser, error) {
	line, err := e.productLine(ctx, tx, customerExternalID, productID)
	if err != nil {
		return SeatedUser{}, err
	}
	u, err := tx.LockUser(ctx, storage.CustomerRef{ExternalID: customerExternalID}, userExternalID)
	if errors.Is(err, storage.ErrNotFound) {
		return SeatedUser{}, broke(ErrUnknownUser, "customer %s has no user %s", customerExternalID, userExternalID)
	}
	if err != nil {
		return SeatedUser{}, err
	}
	held, err := tx.UserSeats(ctx, []string{u.ID}, []string{line.ID})
	if err != nil {
		return SeatedUser{}, err
	}
	if len(held) == 0 || held[0].Status != SeatAssigned {
		return SeatedUser{}, broke(ErrUserNotSeated, "user %s holds no seat of line %s of order %s", userExternalID, productID, line.OrderExternalID)
	}
	if err := e.Unassign(ctx, tx, line.OrderExternalID, productID, userExternalID); err != nil {
		return SeatedUser{}, err
	}
	return SeatedUser{OrderExternalID: line.OrderExternalID, Seat: held[0]}, nil
}
