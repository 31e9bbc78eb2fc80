package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/engine"
)

// Seat add and remove for a product's backend (SPEC §4, Lumen's model):
// POST /v1/customers/{customer}/seats/add and …/seats/remove name a
// product and a user; the seat is found on the customer's one active line
// of the product. Like every POST they honour Idempotency-Key (the
// idempotent middleware).

type seatUserJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type seatAddRequest struct {
	ProductID      string        `json:"product_id"`
	UserExternalID string        `json:"user_external_id"`
	User           *seatUserJSON `json:"user"`
}

type seatRemoveRequest struct {
	ProductID      string `json:"product_id"`
	UserExternalID string `json:"user_external_id"`
}

// seatLineError answers the errors of add and remove that the shared
// table cannot: an unknown customer as the other writes answer it, and
// several lines with the orders found.
func seatLineError(customer string, err error) error {
	var le *engine.LinesError
	if errors.As(err, &le) {
		return &detailedError{apiError: &apiError{http.StatusConflict, "several_active_lines", err.Error()},
			details: map[string]any{"orders": le.Orders}}
	}
	if errors.Is(err, storage.ErrNotFound) && engine.Rule(err) == nil {
		return customerNotFound("customer", customer)
	}
	return err
}

// addSeat upserts the user (active) when the body carries one, or creates
// a user the customer lacks, and seats them on the customer's active line
// of the product, growing an elastic line. A user already seated there
// keeps their seat (200, the same answer). A full line answers 409
// no_free_seat: the request is for a seat now, so the user does not wait.
func (a *API) addSeat(c *gin.Context) {
	var req seatAddRequest
	if err := readJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	errs := []error{checkIDField("product_id", req.ProductID), checkIDField("user_external_id", req.UserExternalID)}
	var user *storage.UserInput
	if req.User != nil {
		errs = append(errs, checkTextField("user.name", req.User.Name), checkEmailField("user.email", req.User.Email))
		user = &storage.UserInput{Name: req.User.Name, Email: req.User.Email}
	}
	for _, err := range errs {
		if err != nil {
			a.fail(c, err)
			return
		}
	}
	ctx, customer := c.Request.Context(), c.Param("customer")
	var seated engine.SeatedUser
	err := a.db.InTx(ctx, func(tx *storage.Tx) error {
		var err error
		seated, err = a.engine.AddSeat(ctx, tx, customer, req.ProductID, req.UserExternalID, user)
		return err
	})
	if err != nil {
		a.fail(c, seatLineError(customer, err))
		return
	}
	seats, err := a.readSeats(ctx, seated.OrderExternalID, []string{seated.Seat.ID})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, seats[0])
}

// removeSeat frees the seat the user holds on the customer's active line
// of the product. It answers the seat as freed (unassigned); on an elastic
// line whose release is immediate and that held more seats than its
// quantity, nobody waiting, the seat is retired at once and no longer
// listed.
func (a *API) removeSeat(c *gin.Context) {
	var req seatRemoveRequest
	if err := readJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	for _, err := range []error{checkIDField("product_id", req.ProductID), checkIDField("user_external_id", req.UserExternalID)} {
		if err != nil {
			a.fail(c, err)
			return
		}
	}
	ctx, customer := c.Request.Context(), c.Param("customer")
	var freed engine.SeatedUser
	err := a.db.InTx(ctx, func(tx *storage.Tx) error {
		var err error
		freed, err = a.engine.RemoveSeat(ctx, tx, customer, req.ProductID, req.UserExternalID)
		return err
	})
	if err != nil {
		a.fail(c, seatLineError(customer, err))
		return
	}
	seats, err := a.readSeats(ctx, freed.OrderExternalID, []string{freed.Seat.ID})
	if errors.Is(err, engine.ErrSeatNotFound) {
		// Retired at once: the seat as it was freed.
		s := freed.Seat
		s.ProductID, s.Status, s.UserID, s.UserExternalID, s.UserEmail, s.OccupiedAt = req.ProductID, engine.SeatUnassigned, "", "", "", nil
		seats, err = []seatJSON{toSeatJSON(freed.OrderExternalID, s)}, nil
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, seats[0])
}
