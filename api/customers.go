package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

type customerJSON struct {
	ID         string    `json:"id"`
	ExternalID string    `json:"external_id"`
	Name       string    `json:"name"`
	Email      string    `json:"email"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func toCustomerJSON(c storage.Customer) customerJSON {
	return customerJSON{
		ID: c.ID, ExternalID: c.ExternalID, Name: c.Name, Email: c.Email,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

func (a *API) getCustomer(c *gin.Context) {
	cust, err := a.db.CustomerByExternalID(c.Request.Context(), c.Param("customer"))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCustomerJSON(cust))
}

type userJSON struct {
	ID                 string    `json:"id"`
	CustomerExternalID string    `json:"customer_external_id"`
	ExternalID         string    `json:"external_id"`
	Email              string    `json:"email"`
	Name               string    `json:"name"`
	Status             string    `json:"status"`
	Groups             []string  `json:"groups"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

func (a *API) getUser(c *gin.Context) {
	u, err := a.db.UserByExternalID(c.Request.Context(), c.Param("customer"), c.Param("user"))
	if err != nil {
		a.fail(c, err)
		return
	}
	groups := []string(u.Groups)
	if groups == nil {
		groups = []string{}
	}
	c.JSON(http.StatusOK, userJSON{
		ID: u.ID, CustomerExternalID: u.CustomerExternalID, ExternalID: u.ExternalID,
		Email: u.Email, Name: u.Name, Status: u.Status, Groups: groups,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	})
}
