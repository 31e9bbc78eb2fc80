package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/webhooks"
)

// endpointJSON is an endpoint in answers. Secret is set only in the
// answers to creation and rotation; PreviousSecretExpiresAt only while a
// rotated-out secret still signs.
type endpointJSON struct {
	ID                      string     `json:"id"`
	URL                     string     `json:"url"`
	EventTypes              []string   `json:"event_types"`
	CustomerExternalID      *string    `json:"customer_external_id"`
	Enabled                 bool       `json:"enabled"`
	DisabledReason          string     `json:"disabled_reason"`
	FailingSince            *time.Time `json:"failing_since"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty"`
	Secret                  string     `json:"secret,omitempty"`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
}

func toEndpointJSON(e storage.Endpoint, now time.Time) endpointJSON {
	out := endpointJSON{
		ID: e.ID, URL: e.URL, EventTypes: append([]string{}, e.EventTypes...),
		CustomerExternalID: e.CustomerExternalID, Enabled: e.Enabled, DisabledReason: e.DisabledReason,
		FailingSince: e.FailingSince, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}
	if e.PreviousSecret != nil && e.PreviousSecretExpiresAt != nil && now.Before(*e.PreviousSecretExpiresAt) {
		out.PreviousSecretExpiresAt = e.PreviousSecretExpiresAt
	}
	return out
}

type createEndpointRequest struct {
	URL                string   `json:"url"`
	EventTypes         []string `json:"event_types"`
	CustomerExternalID string   `json:"customer_external_id"`
}

func (a *API) createEndpoint(c *gin.Context) {
	var req createEndpointRequest
	if err := readJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	types, err := checkEndpoint(req.URL, req.EventTypes, a.allowPrivateNetworks)
	if err != nil {
		a.fail(c, err)
		return
	}
	secret, err := webhooks.NewEndpointSecret()
	if err != nil {
		a.fail(c, err)
		return
	}
	e, err := a.db.CreateEndpoint(c.Request.Context(), storage.EndpointInput{
		URL: req.URL, EventTypes: types, CustomerExternalID: req.CustomerExternalID, Secret: secret,
	})
	if errors.Is(err, storage.ErrNotFound) {
		err = &detailedError{
			apiError: &apiError{http.StatusNotFound, "not_found", fmt.Sprintf("customer %q not found", req.CustomerExternalID)},
			details:  map[string]any{"parameter": "customer_external_id"},
		}
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	answerWithSecret(c, http.StatusCreated, e)
}

// listEndpoints pages through endpoints in creation order; the cursor is an
// endpoint id.
func (a *API) listEndpoints(c *gin.Context) {
	p, err := parsePage(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	es, err := a.db.ListEndpoints(c.Request.Context(), p.After, p.fetch())
	if errors.Is(err, storage.ErrNotFound) {
		err = invalidParameter("after", "after is not a webhook endpoint")
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	now := time.Now()
	c.JSON(http.StatusOK, paginate(p, es,
		func(e storage.Endpoint) string { return e.ID },
		func(e storage.Endpoint) endpointJSON { return toEndpointJSON(e, now) }))
}

func (a *API) getEndpoint(c *gin.Context) {
	e, err := a.db.Endpoint(c.Request.Context(), c.Param("endpoint"))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toEndpointJSON(e, time.Now()))
}

// updateEndpointRequest: absent (or null) fields stay as they are.
type updateEndpointRequest struct {
	URL        *string   `json:"url"`
	EventTypes *[]string `json:"event_types"`
	Enabled    *bool     `json:"enabled"`
}

func (a *API) updateEndpoint(c *gin.Context) {
	var req updateEndpointRequest
	if err := readJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	patch := storage.EndpointPatch{URL: req.URL, Enabled: req.Enabled}
	if req.URL != nil {
		if err := checkURL(*req.URL, a.allowPrivateNetworks); err != nil {
			a.fail(c, err)
			return
		}
	}
	if req.EventTypes != nil {
		types, err := checkEventTypes(*req.EventTypes)
		if err != nil {
			a.fail(c, err)
			return
		}
		patch.EventTypes = &types
	}
	e, err := a.db.UpdateEndpoint(c.Request.Context(), c.Param("endpoint"), patch)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toEndpointJSON(e, time.Now()))
}

func (a *API) deleteEndpoint(c *gin.Context) {
	if err := a.db.DeleteEndpoint(c.Request.Context(), c.Param("endpoint")); err != nil {
		a.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// rotateEndpointSecret answers the endpoint with its new secret; the
// previous one keeps signing for the configured grace period.
func (a *API) rotateEndpointSecret(c *gin.Context) {
	secret, err := webhooks.NewEndpointSecret()
	if err != nil {
		a.fail(c, err)
		return
	}
	e, err := a.db.RotateEndpointSecret(c.Request.Context(), c.Param("endpoint"), secret, a.secretGrace)
	if err != nil {
		a.fail(c, err)
		return
	}
	answerWithSecret(c, http.StatusOK, e)
}

// answerWithSecret answers an endpoint with its signing secret, shown on
// creation and rotation only, and never kept for an idempotent replay.
func answerWithSecret(c *gin.Context, status int, e storage.Endpoint) {
	out := toEndpointJSON(e, time.Now())
	replayWithout(c, out)
	out.Secret = e.Secret
	c.JSON(status, out)
}

// checkEndpoint answers what an endpoint is created with, checked by
// webhooks.CheckEndpoint, with a 400 naming the parameter at fault.
func checkEndpoint(url string, eventTypes []string, allowPrivateNetworks bool) ([]string, error) {
	types, err := webhooks.CheckEndpoint(url, eventTypes, allowPrivateNetworks)
	return types, endpointError(err)
}

// checkURL answers a subscriber URL that delivery would refuse with a 400.
func checkURL(raw string, allowPrivateNetworks bool) error {
	if err := webhooks.CheckEndpointURL(raw, allowPrivateNetworks); err != nil {
		return invalidParameter("url", err.Error())
	}
	return nil
}

// checkEventTypes validates an event type filter and drops repeats; empty
// means every type.
func checkEventTypes(types []string) ([]string, error) {
	out, err := webhooks.CheckEventTypes(types)
	return out, endpointError(err)
}

func endpointError(err error) error {
	ee, ok := errors.AsType[*webhooks.EndpointError](err)
	switch {
	case !ok:
		return err
	case ee.Field == "event_types":
		return &detailedError{
			apiError: &apiError{http.StatusBadRequest, "invalid_parameter", ee.Error()},
			details:  map[string]any{"parameter": "event_types", "value": ee.Value, "allowed": ee.Allowed},
		}
	}
	return invalidParameter(ee.Field, ee.Error())
}
