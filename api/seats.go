package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/engine"
)

// seatJSON is a seat in answers (SPEC §4). The holder's fields and
// assigned_at are null while nobody holds the seat.
type seatJSON struct {
	ID              string     `json:"id"`
	OrderExternalID string     `json:"order_external_id"`
	ProductID       string     `json:"product_id"`
	Status          string     `json:"status"`
	UserExternalID  *string    `json:"user_external_id"`
	UserEmail       *string    `json:"user_email"`
	InvitedEmail    *string    `json:"invited_email"`
	AssignedAt      *time.Time `json:"assigned_at"`
	CreatedAt       time.Time  `json:"created_at"`
	// PendingRemoval: the seat goes when its line's scheduled reduction or
	// its order's cancel_at takes effect.
	PendingRemoval bool `json:"pending_removal"`
}

func toSeatJSON(orderExternalID string, s storage.Seat) seatJSON {
	out := seatJSON{
		ID: s.ID, OrderExternalID: orderExternalID, ProductID: s.ProductID, Status: s.Status,
		UserExternalID: nullable(s.UserExternalID), UserEmail: nullable(s.UserEmail),
		InvitedEmail: nullable(s.InvitedEmail), CreatedAt: s.CreatedAt,
		PendingRemoval: s.PendingRemoval || s.CancelPending,
	}
	if s.Status == engine.SeatAssigned {
		out.AssignedAt = s.OccupiedAt // an invited seat is occupied, but nobody is assigned yet
	}
	return out
}

// nullable answers an absent string as null rather than "".
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

var seatStatuses = map[string]bool{
	engine.SeatUnassigned: true,
	engine.SeatAssigned:   true,
	engine.SeatInvited:    true,
}

// listOrderSeats pages through an order's live seats in creation order. The
// cursor is a seat id: seats added later sort after every existing one, so
// a client paging while the order grows sees each seat once.
func (a *API) listOrderSeats(c *gin.Context) {
	ctx := c.Request.Context()
	p, err := parsePage(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	st := c.Query("status")
	if st != "" && !seatStatuses[st] {
		a.fail(c, invalidParameter("status", "status must be one of unassigned, assigned, invited"))
		return
	}
	o, err := a.db.OrderByExternalID(ctx, c.Param("order"))
	if err != nil {
		a.fail(c, err)
		return
	}
	if p.After != "" {
		err := a.db.CheckSeatOfOrder(ctx, o.ID, p.After)
		if errors.Is(err, storage.ErrNotFound) {
			err = invalidParameter("after", "after is not a seat of this order")
		}
		if err != nil {
			a.fail(c, err)
			return
		}
	}
	seats, err := a.db.OrderSeats(ctx, o.ExternalID, storage.SeatFilter{
		ProductID: c.Query("product_id"), Status: st, After: p.After, Limit: p.fetch(),
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, paginate(p, seats,
		func(s storage.Seat) string { return s.ID },
		func(s storage.Seat) seatJSON { return toSeatJSON(o.ExternalID, s) }))
}

// getSeat answers one live seat of an order. A retired seat is history and
// answers seat_not_found, like a seat of another order.
func (a *API) getSeat(c *gin.Context) {
	ctx, order := c.Request.Context(), c.Param("order")
	seats, err := a.readSeats(ctx, order, []string{c.Param("seat")})
	if errors.Is(err, engine.ErrSeatNotFound) {
		// An unknown order is the more useful answer, when it is the case.
		if _, oerr := a.db.OrderByExternalID(ctx, order); oerr != nil {
			err = oerr
		}
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, seats[0])
}

// readSeats reads live seats of an order by id, in the order asked for; an
// id that is not one of them is engine.ErrSeatNotFound.
func (a *API) readSeats(ctx context.Context, order string, ids []string) ([]seatJSON, error) {
	seats, err := a.db.OrderSeats(ctx, order, storage.SeatFilter{IDs: ids})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]storage.Seat, len(seats))
	for _, s := range seats {
		byID[s.ID] = s
	}
	out := make([]seatJSON, 0, len(ids))
	for _, id := range ids {
		s, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("seat %q is not a live seat of order %q: %w", clipped(id), clipped(order), engine.ErrSeatNotFound)
		}
		out = append(out, toSeatJSON(order, s))
	}
	return out, nil
}
