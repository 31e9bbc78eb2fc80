package api

import (
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
}

func (a *API) getOrder(c *gin.Context) {
	ctx := c.Request.Context()
	o, err := a.db.OrderByExternalID(ctx, c.Param("order"))
	if err != nil {
		a.fail(c, err)
		return
	}
	counts, err := a.db.LineSeatCounts(ctx, o.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toOrderJSON(o, counts))
}

func toOrderJSON(o storage.Order, counts map[string]storage.SeatCounts) orderJSON {
	lines := make([]orderLineJSON, 0, len(o.Lines))
	for _, l := range o.Lines {
		n := counts[l.ID]
		lines = append(lines, orderLineJSON{
			ProductID: l.ProductID, Quantity: l.Quantity,
			Assigned: n.Assigned, Invited: n.Invited, Unassigned: n.Unassigned,
		})
	}
	return orderJSON{
		ID: o.ID, ExternalID: o.ExternalID, CustomerExternalID: o.CustomerExternalID,
		Status: o.Status, Lines: lines, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
}
