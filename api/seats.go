package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
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
}

func toSeatJSON(orderExternalID string, s storage.Seat) seatJSON {
	return seatJSON{
		ID: s.ID, OrderExternalID: orderExternalID, ProductID: s.ProductID, Status: s.Status,
		UserExternalID: nullable(s.UserExternalID), UserEmail: nullable(s.UserEmail),
		InvitedEmail: nullable(s.InvitedEmail), AssignedAt: s.OccupiedAt, CreatedAt: s.CreatedAt,
	}
}

// nullable answers an absent string as null rather than "".
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

var seatStatuses = map[string]bool{
	storage.SeatUnassigned: true,
	storage.SeatAssigned:   true,
	storage.SeatInvited:    true,
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
