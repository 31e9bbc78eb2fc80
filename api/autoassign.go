package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

// autoAssignJSON is one automatic-assignment mapping: a group, or every
// active user (group null, all_users true), gets seats of the product.
type autoAssignJSON struct {
	ProductID string    `json:"product_id"`
	Group     *string   `json:"group"`
	AllUsers  bool      `json:"all_users"`
	CreatedAt time.Time `json:"created_at"`
}

func toAutoAssignJSON(m storage.AutoAssign) autoAssignJSON {
	return autoAssignJSON{ProductID: m.ProductID, Group: nullable(m.Group), AllUsers: m.Group == "", CreatedAt: m.CreatedAt}
}

// autoAssignReachJSON answers a PUT: the mapping, and what it does now, so
// an operator sees at once whether the product has seats enough.
type autoAssignReachJSON struct {
	autoAssignJSON
	Seated  int `json:"seated"`
	Waiting int `json:"waiting"`
}

// listAutoAssign pages through a customer's mappings by product id; the
// cursor is a product id.
func (a *API) listAutoAssign(c *gin.Context) {
	ctx := c.Request.Context()
	p, err := parsePage(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	cust, err := a.db.CustomerByExternalID(ctx, c.Param("customer"))
	if err != nil {
		a.fail(c, err)
		return
	}
	ms, err := a.db.ListAutoAssigns(ctx, cust.ID, p.After, p.fetch())
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, paginate(p, ms,
		func(m storage.AutoAssign) string { return m.ProductID },
		toAutoAssignJSON))
}

// putAutoAssignRequest is exactly one of {"group": name} or
// {"all_users": true}.
type putAutoAssignRequest struct {
	Group    *string `json:"group"`
	AllUsers *bool   `json:"all_users"`
}

// group returns the mapping's group, "" for every active user.
func (r putAutoAssignRequest) group() (string, error) {
	switch {
	case r.Group != nil && r.AllUsers != nil:
		return "", invalidParameter("group", `give either "group" or "all_users": true, not both`)
	case r.AllUsers != nil && !*r.AllUsers:
		return "", invalidParameter("all_users", `all_users can only be true; to stop automatic assignment, DELETE the mapping`)
	case r.AllUsers != nil:
		return "", nil
	case r.Group == nil:
		return "", invalidParameter("group", `give "group" (an identity group name) or "all_users": true`)
	case strings.TrimSpace(*r.Group) == "":
		return "", invalidParameter("group", "group must not be empty")
	}
	return *r.Group, nil
}

// putAutoAssign creates (201) or replaces (200) a product's mapping and, in
// the same transaction, seats or queues everyone it now entitles and takes
// automatic seats from those it no longer does. The customer must exist:
// mappings are not a way to create customers.
func (a *API) putAutoAssign(c *gin.Context) {
	ctx := c.Request.Context()
	var req putAutoAssignRequest
	if err := readJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	group, err := req.group()
	if err != nil {
		a.fail(c, err)
		return
	}
	customer, product := c.Param("customer"), c.Param("product")
	var customerID string
	created := false
	err = a.db.InTx(ctx, func(tx *storage.Tx) error {
		var err error
		if customerID, err = tx.LockExistingCustomer(ctx, customer); err != nil {
			return err
		}
		_, err = tx.AutoAssignOf(ctx, customerID, product)
		created = errors.Is(err, storage.ErrNotFound)
		if err != nil && !created {
			return err
		}
		return a.engine.SetAutoAssign(ctx, tx, customer, product, group)
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	r, err := a.db.AutoAssignReach(ctx, customerID, product)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(upsertStatus(created), autoAssignReachJSON{autoAssignJSON: toAutoAssignJSON(r.AutoAssign), Seated: r.Seated, Waiting: r.Waiting})
}

// deleteAutoAssign stops automatic assignment of a product. Seats already
// handed out stay (see engine.Engine.RemoveAutoAssign); the waiting list
// is emptied.
func (a *API) deleteAutoAssign(c *gin.Context) {
	ctx := c.Request.Context()
	err := a.db.InTx(ctx, func(tx *storage.Tx) error {
		return a.engine.RemoveAutoAssign(ctx, tx, c.Param("customer"), c.Param("product"))
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
