package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
)

// deliveryJSON is one message's delivery to one endpoint. Its id is a
// string like every other id, although deliveries are numbered.
type deliveryJSON struct {
	ID            string     `json:"id"`
	EndpointID    string     `json:"endpoint_id"`
	MessageID     string     `json:"message_id"`
	EventType     string     `json:"event_type"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	Resends       int        `json:"resends"`
	LastAttemptAt *time.Time `json:"last_attempt_at"`
	CreatedAt     time.Time  `json:"created_at"`
}

func toDeliveryJSON(d storage.Delivery) deliveryJSON {
	return deliveryJSON{
		ID: strconv.FormatInt(d.ID, 10), EndpointID: d.EndpointID, MessageID: d.MessageID, EventType: d.EventType, Status: d.Status,
		Attempts: d.Attempts, Resends: d.Resends, LastAttemptAt: d.LastAttemptAt, CreatedAt: d.CreatedAt,
	}
}

type attemptJSON struct {
	StatusCode      *int      `json:"status_code"`
	LatencyMS       int       `json:"latency_ms"`
	ResponseSnippet string    `json:"response_snippet"`
	Error           string    `json:"error"`
	CreatedAt       time.Time `json:"created_at"`
}

// errEndpointDisabled refuses a resend that the worker would not send.
var errEndpointDisabled = &apiError{http.StatusConflict, "endpoint_disabled",
	"the endpoint is disabled; enable it (PATCH enabled: true) before resending"}

// listDeliveries pages through an endpoint's deliveries, oldest first; the
// cursor is a delivery id.
func (a *API) listDeliveries(c *gin.Context) {
	ctx := c.Request.Context()
	p, err := parsePage(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	e, err := a.db.Endpoint(ctx, c.Param("endpoint"))
	if err != nil {
		a.fail(c, err)
		return
	}
	var after int64
	if p.After != "" {
		_, err := a.db.EndpointDelivery(ctx, e.ID, p.After)
		if errors.Is(err, storage.ErrNotFound) {
			err = invalidParameter("after", "after is not a delivery of this endpoint")
		}
		if err != nil {
			a.fail(c, err)
			return
		}
		after, _ = strconv.ParseInt(p.After, 10, 64) // a delivery's id, so it parses
	}
	ds, err := a.db.ListDeliveries(ctx, e.ID, after, p.fetch())
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, paginate(p, ds,
		func(d storage.Delivery) string { return strconv.FormatInt(d.ID, 10) },
		toDeliveryJSON))
}

// listMessageDeliveries answers where one outbound message went: a delivery
// per endpoint, with its status (webhook-id = message id). Not paginated:
// a message goes to as many endpoints as subscribe to it.
func (a *API) listMessageDeliveries(c *gin.Context) {
	ds, err := a.db.MessageDeliveries(c.Request.Context(), c.Param("message"))
	if err != nil {
		a.fail(c, err)
		return
	}
	if len(ds) == 0 {
		a.fail(c, &apiError{http.StatusNotFound, "not_found", "no delivery of message " + c.Param("message")})
		return
	}
	out := make([]deliveryJSON, len(ds))
	for i, d := range ds {
		out[i] = toDeliveryJSON(d)
	}
	c.JSON(http.StatusOK, gin.H{"data": out})
}

// listAttempts answers every attempt at a delivery, oldest first. There are
// few (the retry schedule's, plus resends), so the list is not paginated.
func (a *API) listAttempts(c *gin.Context) {
	ctx := c.Request.Context()
	d, err := a.db.EndpointDelivery(ctx, c.Param("endpoint"), c.Param("delivery"))
	if err != nil {
		a.fail(c, err)
		return
	}
	as, err := a.db.DeliveryAttempts(ctx, d.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := make([]attemptJSON, 0, len(as))
	for _, at := range as {
		out = append(out, attemptJSON{
			StatusCode: at.StatusCode, LatencyMS: at.LatencyMS, ResponseSnippet: at.Snippet,
			Error: at.Error, CreatedAt: at.CreatedAt,
		})
	}
	c.JSON(http.StatusOK, gin.H{"data": out})
}

// resendDelivery sends a delivery again, whatever its status, as a queue
// task of its own; the subscriber sees the same webhook-id.
func (a *API) resendDelivery(c *gin.Context) {
	ctx := c.Request.Context()
	if err := a.checkEnabled(c); err != nil {
		a.fail(c, err)
		return
	}
	if err := a.resend(c, c.Param("delivery")); err != nil {
		a.fail(c, err)
		return
	}
	d, err := a.db.EndpointDelivery(ctx, c.Param("endpoint"), c.Param("delivery"))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, toDeliveryJSON(d))
}

type resendSinceRequest struct {
	Since string `json:"since"`
}

// resendFailed resends every failed delivery of the endpoint created since
// the given time.
func (a *API) resendFailed(c *gin.Context) {
	ctx := c.Request.Context()
	var req resendSinceRequest
	if err := readJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	since, err := time.Parse(time.RFC3339, req.Since)
	if err != nil {
		a.fail(c, invalidParameter("since", "since must be an RFC 3339 time, such as 2026-11-21T10:00:00Z"))
		return
	}
	if err := a.checkEnabled(c); err != nil {
		a.fail(c, err)
		return
	}
	refs, err := a.db.ResendFailedSince(ctx, c.Param("endpoint"), since)
	if err != nil {
		a.fail(c, err)
		return
	}
	for i, r := range refs {
		if err := a.enqueueResend(ctx, r); err != nil {
			// Those left pending are enqueued by the worker's sweep.
			a.fail(c, fmt.Errorf("resend failed deliveries: enqueued %d of %d: %w", i, len(refs), err))
			return
		}
	}
	c.JSON(http.StatusAccepted, gin.H{"resent": len(refs)})
}

// checkEnabled answers 404 for an unknown endpoint and 409 for a disabled
// one, to which the worker sends nothing.
func (a *API) checkEnabled(c *gin.Context) error {
	e, err := a.db.Endpoint(c.Request.Context(), c.Param("endpoint"))
	if err != nil {
		return err
	}
	if !e.Enabled {
		return errEndpointDisabled
	}
	return nil
}

// resend puts one delivery back to pending and enqueues it.
func (a *API) resend(c *gin.Context, deliveryID string) error {
	r, err := a.db.ResendDelivery(c.Request.Context(), c.Param("endpoint"), deliveryID)
	if err != nil {
		return err
	}
	return a.enqueueResend(c.Request.Context(), r)
}

// enqueueResend enqueues a resent delivery under a task id of its own (the
// resend number), since the first task may still be in the queue's
// archive, where asynq keeps a task whose last attempt failed.
// Should the enqueue fail, the delivery stays pending and the worker's sweep
// enqueues it under the same id.
func (a *API) enqueueResend(ctx context.Context, r storage.DeliveryRef) error {
	_, err := a.queue.EnqueueDeliver(ctx, jobs.Deliver{
		DeliveryID: r.ID, MessageID: r.MessageID, EndpointID: r.EndpointID, Resend: r.Resends,
	})
	return err
}
