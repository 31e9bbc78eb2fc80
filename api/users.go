package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

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

func toUserJSON(u storage.User) userJSON {
	groups := []string(u.Groups)
	if groups == nil {
		groups = []string{}
	}
	return userJSON{
		ID: u.ID, CustomerExternalID: u.CustomerExternalID, ExternalID: u.ExternalID,
		Email: u.Email, Name: u.Name, Status: u.Status, Groups: groups,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
}

func (a *API) getUser(c *gin.Context) {
	u, err := a.db.UserByExternalID(c.Request.Context(), c.Param("customer"), c.Param("user"))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toUserJSON(u))
}

// listUsers pages through a customer's users in creation order, optionally
// only those of one status; the cursor is a user id.
func (a *API) listUsers(c *gin.Context) {
	ctx := c.Request.Context()
	p, err := parsePage(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	st := c.Query("status")
	if _, set := c.GetQuery("status"); set {
		if err := checkEnumField("status", st, storage.UserActive, storage.UserDeactivated); err != nil {
			a.fail(c, err)
			return
		}
	}
	cust, err := a.db.CustomerByExternalID(ctx, c.Param("customer"))
	if err != nil {
		a.fail(c, err)
		return
	}
	if p.After != "" {
		err := a.db.CheckUserOfCustomer(ctx, cust.ID, p.After)
		if errors.Is(err, storage.ErrNotFound) {
			err = invalidParameter("after", "after is not a user id of this customer from a previous page's meta.pagination.next")
		}
		if err != nil {
			a.fail(c, err)
			return
		}
	}
	users, err := a.db.ListUsers(ctx, cust.ID, storage.UserFilter{Status: st, After: p.After, Limit: p.fetch()})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, paginate(p, users, func(u storage.User) string { return u.ID }, toUserJSON))
}

// putUserRequest is a user's whole state, as with any PUT: an omitted email
// or name is empty, an omitted status is active. Groups are the exception,
// as in the canonical user.upserted: omitted means unchanged, because an
// identity provider often owns them.
type putUserRequest struct {
	Email  string          `json:"email"`
	Name   string          `json:"name"`
	Status *string         `json:"status"`
	Groups json.RawMessage `json:"groups"`
}

// maxGroups bounds the group list of one user.
const maxGroups = 1000

// putUser creates or updates a user of an existing customer. Deactivating
// a user revokes their seats (rule 4) in the same transaction.
func (a *API) putUser(c *gin.Context) {
	customer, externalID := c.Param("customer"), c.Param("user")
	var req putUserRequest
	if err := readJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	in, err := checkUser(customer, externalID, req)
	if err != nil {
		a.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	var created bool
	err = a.db.InTx(ctx, func(tx *storage.Tx) error {
		customerID, err := tx.LockExistingCustomer(ctx, customer)
		if errors.Is(err, storage.ErrNotFound) {
			return customerNotFound("customer", customer)
		}
		if err != nil {
			return err
		}
		exists, err := tx.UserExists(ctx, customerID, externalID)
		if err != nil {
			return err
		}
		created = !exists
		return unlessNewer(a.engine.UpsertUser(ctx, tx, in, storage.CurrentState))
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	u, err := a.db.UserByExternalID(ctx, customer, externalID)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(upsertStatus(created), toUserJSON(u))
}

// customerNotFound answers a write naming a customer that does not exist,
// with the parameter that named it: the API creates customers only through
// their own upsert, so that a typo in an id cannot make a second customer.
func customerNotFound(parameter, externalID string) error {
	return &detailedError{
		apiError: &apiError{http.StatusNotFound, "not_found", fmt.Sprintf(
			"customer %q not found; create it first with PUT /v1/customers/{external_id}", clipped(externalID))},
		details: map[string]any{"parameter": parameter},
	}
}

// checkUser validates a user upsert, naming the field at fault.
func checkUser(customer, externalID string, req putUserRequest) (storage.UserInput, error) {
	in := storage.UserInput{
		Customer: storage.CustomerRef{ExternalID: customer}, ExternalID: externalID,
		Email: req.Email, Name: req.Name, Status: storage.UserActive,
	}
	if req.Status != nil {
		in.Status = *req.Status
	}
	for _, err := range []error{
		checkIDField("user", externalID), // named as the URL names it, as checkParams does
		checkEmailField("email", req.Email),
		checkTextField("name", req.Name),
		checkEnumField("status", in.Status, storage.UserActive, storage.UserDeactivated),
	} {
		if err != nil {
			return in, err
		}
	}
	switch string(req.Groups) {
	case "":
		return in, nil
	case "null":
		// Refused rather than read as "omitted": a client's nil list often
		// encodes as null when it means "no groups", and guessing either
		// way would silently seat or unseat people.
		return in, invalidParameter("groups", "groups is null: send [] for no groups, or omit groups to leave them unchanged")
	}
	if err := json.Unmarshal(req.Groups, &in.Groups); err != nil {
		return in, invalidParameter("groups", "groups must be an array of group names (strings)")
	}
	if len(in.Groups) > maxGroups {
		return in, invalidParameter("groups", fmt.Sprintf("groups has %d names, the limit is %d", len(in.Groups), maxGroups))
	}
	seen := make(map[string]int, len(in.Groups))
	for i, g := range in.Groups {
		field := fmt.Sprintf("groups[%d]", i)
		if err := checkIDField(field, g); err != nil {
			return in, err
		}
		if j, dup := seen[g]; dup {
			return in, invalidParameter(field, fmt.Sprintf("%s %q repeats groups[%d]", field, clipped(g), j))
		}
		seen[g] = i
	}
	in.GroupsSet, in.Groups = true, append([]string{}, in.Groups...)
	return in, nil
}
