package api

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/webhooks"
)

type customerJSON struct {
	ID          string            `json:"id"`
	ExternalID  string            `json:"external_id"`
	Name        string            `json:"name"`
	Email       string            `json:"email"`
	ProviderIDs map[string]string `json:"provider_ids"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

func toCustomerJSON(c storage.Customer) customerJSON {
	links := map[string]string(c.ProviderIDs)
	if links == nil {
		links = map[string]string{}
	}
	return customerJSON{
		ID: c.ID, ExternalID: c.ExternalID, Name: c.Name, Email: c.Email, ProviderIDs: links,
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

// listCustomers pages through customers in creation order; the cursor is a
// customer id, which stays valid when a customer's external id changes.
func (a *API) listCustomers(c *gin.Context) {
	p, err := parsePage(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	cs, err := a.db.ListCustomers(c.Request.Context(), p.After, p.fetch())
	if errors.Is(err, storage.ErrNotFound) {
		err = invalidParameter("after", "after is not a customer id from a previous page's meta.pagination.next")
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, paginate(p, cs,
		func(c storage.Customer) string { return c.ID },
		toCustomerJSON))
}

// putCustomerRequest is a customer's whole state, as with any PUT: an
// omitted name or email is empty. Provider ids are identity facts and only
// ever added: a provider id missing here stays linked.
type putCustomerRequest struct {
	Name        string            `json:"name"`
	Email       string            `json:"email"`
	ProviderIDs map[string]string `json:"provider_ids"`
}

// putCustomer creates or updates a customer and links its provider ids.
func (a *API) putCustomer(c *gin.Context) {
	externalID := c.Param("customer")
	var req putCustomerRequest
	if err := readJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	if err := checkCustomer(externalID, req); err != nil {
		a.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	var created bool
	err := a.db.InTx(ctx, func(tx *storage.Tx) error {
		// Provider ids first, in provider order: that is the order
		// UpsertCustomer locks them in, before the customer row.
		for _, provider := range slices.Sorted(maps.Keys(req.ProviderIDs)) {
			if err := checkLink(ctx, tx, externalID, provider, req.ProviderIDs[provider]); err != nil {
				return err
			}
		}
		// The API states the caller's current state: it is never stale,
		// and of concurrent PUTs the one that commits last wins.
		err := unlessNewer(a.engine.UpsertCustomer(ctx, tx, storage.CustomerInput{
			ExternalID: externalID, Name: req.Name, Email: req.Email, ProviderIDs: req.ProviderIDs,
		}, storage.CurrentState))
		created = tx.CreatedCustomer(externalID)
		return err
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	cust, err := a.db.CustomerByExternalID(ctx, externalID)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(upsertStatus(created), toCustomerJSON(cust))
}

// checkLink refuses a provider id that another customer someone named
// holds. Storage would move the link to this customer ("the newer claim
// wins", right for provider events that rename a customer's id); from the
// API that is far more likely a typo that would hand one customer's
// billing events to another. A provider id linked to the customer that
// provider events made under the provider id itself is claimed, as SPEC §4
// intends: that customer's users and orders join this one.
func checkLink(ctx context.Context, tx *storage.Tx, externalID, provider, providerID string) error {
	owner, err := tx.CustomerLinkedTo(ctx, provider, providerID)
	if err != nil || owner == "" || owner == externalID || owner == providerID {
		return err
	}
	return &detailedError{
		apiError: &apiError{http.StatusConflict, "provider_id_linked", fmt.Sprintf(
			"%s id %q is already linked to customer %q; a provider id belongs to one customer", provider, providerID, owner)},
		details: map[string]any{"parameter": "provider_ids." + provider, "customer_external_id": owner},
	}
}

// checkCustomer validates a customer upsert, naming the field at fault.
func checkCustomer(externalID string, req putCustomerRequest) error {
	if err := checkIDField("customer", externalID); err != nil { // named as the URL names it, as checkParams does
		return err
	}
	if err := checkTextField("name", req.Name); err != nil {
		return err
	}
	if err := checkEmailField("email", req.Email); err != nil {
		return err
	}
	for _, provider := range slices.Sorted(maps.Keys(req.ProviderIDs)) {
		field := "provider_ids." + provider
		if !slices.Contains(webhooks.Providers, provider) {
			return invalidParameter(field, fmt.Sprintf("%q is not a provider; providers are %s",
				clipped(provider), strings.Join(webhooks.Providers, ", ")))
		}
		id := req.ProviderIDs[provider]
		if err := checkIDField(field, id); err != nil {
			return err
		}
		if strings.ContainsFunc(id, unicode.IsSpace) {
			return invalidParameter(field, fmt.Sprintf("%s %q contains white space; provider ids never do", field, clipped(id)))
		}
	}
	return nil
}
