package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

type productUsageJSON struct {
	ProductID  string `json:"product_id"`
	Quantity   int    `json:"quantity"`
	Assigned   int    `json:"assigned"`
	Invited    int    `json:"invited"`
	Unassigned int    `json:"unassigned"`
	Waiting    int    `json:"waiting"`
	// Demand (issue 14): who automatic assignment entitles, the seats a
	// scheduled change will retire, and what the customer is billed for.
	Entitled         int `json:"entitled"`
	PendingRemovals  int `json:"pending_removals"`
	BillableQuantity int `json:"billable_quantity"`
}

// getSeatUsage answers a customer's seats per product over its active
// orders. It is one short list per customer, so it is not paginated.
func (a *API) getSeatUsage(c *gin.Context) {
	usage, err := a.db.SeatUsage(c.Request.Context(), c.Param("customer"))
	if err != nil {
		a.fail(c, err)
		return
	}
	data := make([]productUsageJSON, 0, len(usage))
	for _, u := range usage {
		data = append(data, productUsageJSON{
			ProductID: u.ProductID, Quantity: u.Quantity, Assigned: u.Assigned,
			Invited: u.Invited, Unassigned: u.Unassigned, Waiting: u.Waiting,
			Entitled: u.Entitled, PendingRemovals: u.PendingRemovals, BillableQuantity: u.BillableQuantity,
		})
	}
	c.JSON(http.StatusOK, gin.H{"data": data})
}
