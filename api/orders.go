package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

type orderJSON struct {
	ID                 string          `json:"id"`
	ExternalID         string          `json:"external_id"`
	CustomerExternalID string          `json:"customer_external_id"`
	Status             string          `json:"status"`
	Lines              []orderLineJSON `json:"lines"`
	CancelAt           *time.Time      `json:"cancel_at,omitempty"`
	CurrentPeriodEnd   *time.Time      `json:"current_period_end,omitempty"`
	CreatedAt          time.Time       `json:"created_at"`
	UpdatedAt          time.Time       `json:"updated_at"`
}

// orderLineJSON counts the line's live seats; retired seats are history.
type orderLineJSON struct {
	ProductID  string `json:"product_id"`
	Quantity   int    `json:"quantity"`
	Assigned   int    `json:"assigned"`
	Invited    int    `json:"invited"`
	Unassigned int    `json:"unassigned"`
	lineSettingsJSON
}

// lineSettingsJSON is a line's schedule and elastic settings as answers
// show them.
type lineSettingsJSON struct {
	ScheduledQuantity *int       `json:"scheduled_quantity,omitempty"`
	ScheduledAt       *time.Time `json:"scheduled_at,omitempty"`
	Elastic           bool       `json:"elastic"`
	MaxQuantity       *int       `json:"max_quantity,omitempty"`
	Release           string     `json:"release"`
}

func (a *API) getOrder(c *gin.Context) {
	o, err := a.readOrder(c.Request.Context(), c.Param("order"))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, o)
}

// readOrder reads an order as answers show it, with its seat counts.
func (a *API) readOrder(ctx context.Context, externalID string) (orderJSON, error) {
	o, err := a.db.OrderByExternalID(ctx, externalID)
	if err != nil {
		return orderJSON{}, err
	}
	counts, err := a.db.LineSeatCounts(ctx, o.ID)
	if err != nil {
		return orderJSON{}, err
	}
	return toOrderJSON(o, counts), nil
}

func toOrderJSON(o storage.Order, counts map[string]storage.SeatCounts) orderJSON {
	lines := make([]orderLineJSON, 0, len(o.Lines))
	for _, l := range o.Lines {
		n := counts[l.ID]
		lines = append(lines, orderLineJSON{
			ProductID: l.ProductID, Quantity: l.Quantity,
			Assigned: n.Assigned, Invited: n.Invited, Unassigned: n.Unassigned,
			lineSettingsJSON: lineSettingsJSON{
				ScheduledQuantity: l.ScheduledQuantity, ScheduledAt: l.ScheduledAt,
				Elastic: l.Elastic, MaxQuantity: l.MaxQuantity, Release: l.Release,
			},
		})
	}
	return orderJSON{
		ID: o.ID, ExternalID: o.ExternalID, CustomerExternalID: o.CustomerExternalID,
		Status: o.Status, Lines: lines, CancelAt: o.CancelAt, CurrentPeriodEnd: o.CurrentPeriodEnd,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
}

// putOrder creates or updates an order of an existing customer. Its lines
// are the complete set: a product left out drops to quantity 0, and the
// engine creates or retires seats to match (rule 6).
func (a *API) putOrder(c *gin.Context) {
	var req putOrderRequest
	if err := readJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	in, err := checkOrder(c.Param("order"), req)
	if err != nil {
		a.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	var created bool
	err = a.db.InTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.LockExistingCustomer(ctx, in.Customer.ExternalID)
		if errors.Is(err, storage.ErrNotFound) {
			return customerNotFound("customer_external_id", in.Customer.ExternalID)
		}
		if err != nil {
			return err
		}
		owner, err := tx.OrderCustomer(ctx, in.ExternalID)
		created = errors.Is(err, storage.ErrNotFound)
		switch {
		case created:
		case err != nil:
			return err
		case owner != in.Customer.ExternalID:
			return orderOfAnotherCustomer(in.ExternalID, owner)
		}
		return unlessNewer(a.engine.UpsertOrder(ctx, tx, in, storage.CurrentState))
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	o, err := a.readOrder(ctx, in.ExternalID)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(upsertStatus(created), o)
}

// orderOfAnotherCustomer refuses to move an order: its seats are held by
// the old customer's users, and a provider subscription never changes
// customer, so a different customer here is almost surely a mistake.
func orderOfAnotherCustomer(order, owner string) error {
	return &detailedError{
		apiError: &apiError{http.StatusConflict, "order_customer_mismatch", fmt.Sprintf(
			"order %q belongs to customer %q; the API does not move orders between customers", clipped(order), owner)},
		details: map[string]any{"parameter": "customer_external_id", "customer_external_id": owner},
	}
}

// cancelOrder cancels an order, revoking every seat (rule 6). Canceling a
// canceled order changes nothing and answers it as it is.
func (a *API) cancelOrder(c *gin.Context) {
	if err := readNoParameters(c); err != nil {
		a.fail(c, err)
		return
	}
	ctx, order := c.Request.Context(), c.Param("order")
	err := a.db.InTx(ctx, func(tx *storage.Tx) error {
		if err := lockOrderCustomer(ctx, tx, order); err != nil {
			return err
		}
		status, err := tx.OrderStatus(ctx, order)
		if err != nil || status == storage.OrderCanceled {
			return err
		}
		return unlessNewer(a.engine.CancelOrder(ctx, tx, order, storage.CurrentState))
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	o, err := a.readOrder(ctx, order)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, o)
}

// lockOrderCustomer locks the customer of an order, as the engine's own
// writes do first, so that what is read before calling the engine holds
// until the transaction ends. An unknown order is storage.ErrNotFound.
func lockOrderCustomer(ctx context.Context, tx *storage.Tx, order string) error {
	customer, err := tx.OrderCustomer(ctx, order)
	if err != nil {
		return err
	}
	_, err = tx.LockExistingCustomer(ctx, customer)
	return err
}

// readNoParameters accepts the body of an action that takes no
// parameters: none at all, or an empty JSON object.
func readNoParameters(c *gin.Context) error {
	body := bufio.NewReader(c.Request.Body)
	if _, err := body.Peek(1); errors.Is(err, io.EOF) {
		return nil
	}
	c.Request.Body = struct {
		io.Reader
		io.Closer
	}{body, c.Request.Body}
	var none struct{}
	return readJSON(c, &none)
}
