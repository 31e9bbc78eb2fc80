package api

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

// scimTokenJSON is a customer's SCIM token in answers. Token is set only
// in the answer to its creation: only its hash is stored.
type scimTokenJSON struct {
	ID                 string     `json:"id"`
	CustomerExternalID string     `json:"customer_external_id"`
	Name               string     `json:"name"`
	Prefix             string     `json:"prefix"`
	SCIMBasePath       string     `json:"scim_base_path"`
	CreatedAt          time.Time  `json:"created_at"`
	RevokedAt          *time.Time `json:"revoked_at"`
	Token              string     `json:"token,omitempty"`
}

func toSCIMTokenJSON(t storage.SCIMToken) scimTokenJSON {
	return scimTokenJSON{
		ID: t.ID, CustomerExternalID: t.CustomerExternalID, Name: t.Name, Prefix: t.Prefix,
		SCIMBasePath: "/scim/v2/" + url.PathEscape(t.CustomerExternalID),
		CreatedAt:    t.CreatedAt, RevokedAt: t.RevokedAt,
	}
}

type createSCIMTokenRequest struct {
	Name string `json:"name"`
}

// createSCIMToken makes a SCIM token for an existing customer and answers
// it with the token itself, shown this once; an idempotent replay answers
// without it.
func (a *API) createSCIMToken(c *gin.Context) {
	var req createSCIMTokenRequest
	if c.Request.ContentLength != 0 {
		if err := readJSON(c, &req); err != nil {
			a.fail(c, err)
			return
		}
	}
	if err := checkTextField("name", req.Name); err != nil {
		a.fail(c, err)
		return
	}
	customer := c.Param("customer")
	t, secret, err := a.db.CreateSCIMToken(c.Request.Context(), customer, req.Name)
	if errors.Is(err, storage.ErrNotFound) {
		err = customerNotFound("customer", customer)
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	out := toSCIMTokenJSON(t)
	replayWithout(c, out)
	out.Token = secret
	c.JSON(http.StatusCreated, out)
}

// listSCIMTokens pages through a customer's tokens, newest first,
// revoked ones included; the cursor is a token id.
func (a *API) listSCIMTokens(c *gin.Context) {
	p, err := parsePage(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	tokens, err := a.db.ListSCIMTokens(c.Request.Context(), c.Param("customer"))
	if err != nil {
		a.fail(c, err)
		return
	}
	if p.After != "" {
		i := slices.IndexFunc(tokens, func(t storage.SCIMToken) bool { return t.ID == p.After })
		if i < 0 {
			a.fail(c, invalidParameter("after", "after is not a SCIM token id of this customer from a previous page's meta.pagination.next"))
			return
		}
		tokens = tokens[i+1:]
	}
	tokens = tokens[:min(len(tokens), p.fetch())]
	c.JSON(http.StatusOK, paginate(p, tokens, func(t storage.SCIMToken) string { return t.ID }, toSCIMTokenJSON))
}

// revokeSCIMToken revokes one of the customer's tokens at once; revoking
// twice is not an error.
func (a *API) revokeSCIMToken(c *gin.Context) {
	t, err := a.db.RevokeSCIMToken(c.Request.Context(), c.Param("customer"), c.Param("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toSCIMTokenJSON(t))
}
