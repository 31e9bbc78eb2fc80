package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

// maxPendingRemovalIDs bounds the seats one move names.
const maxPendingRemovalIDs = 1000

type pendingRemovalsRequest struct {
	ProductID string    `json:"product_id"`
	SeatIDs   *[]string `json:"seat_ids"`
}

// pendingRemovalsJSON answers a move: the line's seats marked
// pending_removal afterwards.
type pendingRemovalsJSON struct {
	ProductID       string     `json:"product_id"`
	PendingRemovals int        `json:"pending_removals"`
	Seats           []seatJSON `json:"seats"`
}

// putPendingRemovals moves the pending-removal marks of a line's scheduled
// reduction to the seats named, as many as it marks (PUT
// /v1/orders/{order}/pending-removals): the seats that will go at the
// schedule's date.
func (a *API) putPendingRemovals(c *gin.Context) {
	var req pendingRemovalsRequest
	if err := readJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	if err := checkIDField("product_id", req.ProductID); err != nil {
		a.fail(c, err)
		return
	}
	if req.SeatIDs == nil {
		a.fail(c, invalidParameter("seat_ids", "seat_ids is required: the ids of the seats to remove at the scheduled date"))
		return
	}
	if len(*req.SeatIDs) > maxPendingRemovalIDs {
		a.fail(c, invalidParameter("seat_ids", fmt.Sprintf("seat_ids names %d seats, the limit is %d", len(*req.SeatIDs), maxPendingRemovalIDs)))
		return
	}
	for i, id := range *req.SeatIDs {
		if err := checkIDField(fmt.Sprintf("seat_ids[%d]", i), id); err != nil {
			a.fail(c, err)
			return
		}
	}
	ctx, order := c.Request.Context(), c.Param("order")
	var marked []storage.Seat
	err := a.db.InTx(ctx, func(tx *storage.Tx) (err error) {
		marked, err = a.engine.MovePendingRemovals(ctx, tx, order, req.ProductID, *req.SeatIDs)
		return err
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	ids := make([]string, len(marked))
	for i, s := range marked {
		ids[i] = s.ID
	}
	seats, err := a.readSeats(ctx, order, ids)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, pendingRemovalsJSON{ProductID: req.ProductID, PendingRemovals: len(seats), Seats: seats})
}
