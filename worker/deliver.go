package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/webhooks"
)

// maxInFlightPerEndpoint bounds concurrent deliveries to one endpoint.
const maxInFlightPerEndpoint = 4

// DeliveryHandler makes one attempt at one delivery: sign, send, log the
// attempt, and decide what follows (done, retry, disable the endpoint).
type DeliveryHandler struct {
	db           *storage.DB
	sender       *webhooks.Sender
	slots        endpointSlots
	disableAfter time.Duration
	metrics      *Metrics
	log          *slog.Logger
	now          func() time.Time
}

// errEndpointBusy defers a delivery while its endpoint has the most
// deliveries in flight; it is not a failure of the delivery.
var errEndpointBusy = errors.New("endpoint has the most deliveries in flight")

// retryLater carries the subscriber's Retry-After to the retry schedule.
type retryLater struct {
	after time.Duration
	cause string
}

func (e *retryLater) Error() string { return e.cause }

// ProcessTask implements asynq.Handler.
func (h *DeliveryHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	p, err := jobs.ParseDeliver(t.Payload())
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	d, err := h.db.DeliveryForSending(ctx, p.DeliveryID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // the endpoint was deleted
	}
	if err != nil {
		return err
	}
	if d.Status != storage.DeliveryPending || !d.Endpoint.Enabled {
		return nil
	}
	if d.Pruned {
		// Past the retention period there is nothing left to send.
		return h.db.FailDelivery(context.WithoutCancel(ctx), d.ID)
	}
	taskID, _ := asynq.GetTaskID(ctx)
	deadline, _ := ctx.Deadline()
	release, err := h.slot(ctx, d.Endpoint.ID, taskID, deadline)
	if err != nil {
		return err
	}
	defer release()

	now := h.now()
	res := h.sender.Send(ctx, webhooks.Outbound{
		URL: d.Endpoint.URL, MessageID: d.MessageID, Timestamp: now,
		Secrets: d.Endpoint.SigningSecrets(now), Body: d.Body,
	})
	return h.record(ctx, d, res)
}

// slotWait is how long a delivery waits for its endpoint to have a free
// slot before it steps aside for the other queued work: long enough that
// a busy endpoint's backlog flows without round trips through the retry
// queue, short enough that a dead endpoint never holds a goroutine long.
const slotWait = 200 * time.Millisecond

func (h *DeliveryHandler) slot(ctx context.Context, endpointID, holder string, deadline time.Time) (func(), error) {
	until := time.Now().Add(slotWait)
	for {
		release, ok, err := h.slots.acquire(ctx, endpointID, holder, deadline)
		if err != nil || ok {
			return release, err
		}
		if time.Now().After(until) {
			return nil, errEndpointBusy
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// record logs the attempt and turns its outcome into the task's.
func (h *DeliveryHandler) record(ctx context.Context, d storage.DeliveryToSend, res webhooks.Result) error {
	attempt := storage.Attempt{DeliveryID: d.ID, LatencyMS: int(res.Latency.Milliseconds()), Snippet: res.Snippet}
	if res.StatusCode != 0 {
		attempt.StatusCode = &res.StatusCode
	}
	if res.Err != nil {
		attempt.Error = res.Err.Error()
	}
	status, outcome, disable := storage.DeliveryPending, "retry", ""
	switch res.Outcome() {
	case webhooks.Delivered:
		status, outcome = storage.DeliveryDelivered, "delivered"
	case webhooks.Gone:
		status, outcome, disable = storage.DeliveryFailed, "gone", "the endpoint answered 410 Gone"
	}
	h.metrics.observeDelivery(outcome, res.Latency)
	cleanup := context.WithoutCancel(ctx)
	failingSince, err := h.db.RecordAttempt(cleanup, attempt, status, disable)
	if err != nil {
		return err
	}
	log := h.log.With("endpoint_id", d.Endpoint.ID, "message_id", d.MessageID, "status_code", res.StatusCode)
	switch {
	case outcome == "delivered":
		return nil
	case outcome == "gone":
		log.Warn("endpoint answered 410 Gone; disabled it")
		return nil
	case failingSince != nil && h.now().Sub(*failingSince) >= h.disableAfter:
		log.Warn("endpoint failing for too long; disabling it", "failing_since", failingSince)
		if err := h.db.DisableEndpoint(cleanup, d.Endpoint.ID, fmt.Sprintf("every delivery failed for %s", h.disableAfter)); err != nil {
			return err
		}
		return h.db.FailDelivery(cleanup, d.ID)
	}
	cause := fmt.Sprintf("delivery %d to %s: HTTP %d", d.ID, d.Endpoint.URL, res.StatusCode)
	if res.Err != nil {
		cause = fmt.Sprintf("delivery %d to %s: %v", d.ID, d.Endpoint.URL, res.Err)
	}
	return &retryLater{after: res.RetryAfter, cause: cause}
}

// deliveryRetryDelay is the schedule of SPEC §3 with ±20 % jitter, or the
// subscriber's own Retry-After; a busy endpoint is tried again shortly.
func deliveryRetryDelay(n int, err error) time.Duration {
	if errors.Is(err, errEndpointBusy) {
		return 100*time.Millisecond + rand.N(400*time.Millisecond)
	}
	var later *retryLater
	if errors.As(err, &later) && later.after > 0 {
		return later.after
	}
	step := jobs.DeliverySchedule[min(n, len(jobs.DeliverySchedule)-1)]
	jitter := time.Duration(float64(step) * 0.2 * (2*rand.Float64() - 1))
	return step + jitter
}

// handleError logs a failed attempt once and marks the delivery failed
// when the queue gives up on it.
func (h *DeliveryHandler) handleError(ctx context.Context, t *asynq.Task, err error) {
	if errors.Is(err, errEndpointBusy) {
		return
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	taskID, _ := asynq.GetTaskID(ctx)
	final := retried >= maxRetry || errors.Is(err, asynq.SkipRetry)
	h.log.Warn("delivery attempt failed", "task_id", taskID, "retried", retried, "final", final, "error", err)
	if !final {
		return
	}
	p, perr := jobs.ParseDeliver(t.Payload())
	if perr != nil {
		return
	}
	if ferr := h.db.FailDelivery(context.WithoutCancel(ctx), p.DeliveryID); ferr != nil {
		h.log.Error("record failed delivery", "task_id", taskID, "error", ferr)
	}
}
