package delivery

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"github.com/seatsync/seatsync/jobs"
)

// IsFailure tells asynq which errors count as failed attempts: waiting
// for a busy endpoint is not one.
func IsFailure(err error) bool { return !errors.Is(err, ErrEndpointBusy) }

// RetryDelay is the schedule of SPEC §3 with ±20 % jitter, or the
// subscriber's own Retry-After; a busy endpoint is tried again shortly,
// a slow one later (see maxSlowRetry).
func RetryDelay(n int, err error, _ *asynq.Task) time.Duration {
	if slow, ok := errors.AsType[*slowEndpoint](err); ok {
		return busyRetry + rand.N(min(slow.slowFor, maxSlowRetry))
	}
	if errors.Is(err, ErrEndpointBusy) {
		return busyRetry + rand.N(400*time.Millisecond)
	}
	var later *retryLater
	if errors.As(err, &later) && later.after > 0 {
		return roundUp(time.Now(), later.after)
	}
	step := jobs.DeliverySchedule[min(n, len(jobs.DeliverySchedule)-1)]
	jitter := time.Duration(float64(step) * 0.2 * (2*rand.Float64() - 1))
	return step + jitter
}

// A delivery that stepped aside for a busy endpoint comes back after
// busyRetry and up to 400 ms more. One that stepped aside for a slow
// endpoint (every slot sending for longer than slowAfter) comes back after
// busyRetry and up to as long again as the slots have been sending, at
// most maxSlowRetry: none of them can end before its sends do, which for a
// hanging endpoint is the send timeout. Spread at random, a dead endpoint's
// backlog does not pass through the queue every second (each pass a
// dequeue and a Redis write), nor all at once.
const (
	busyRetry    = 100 * time.Millisecond
	maxSlowRetry = 10 * time.Second
)

// roundUp stretches d so that now+d falls on a whole second. asynq keeps a
// retry's time in whole seconds, cutting off the fraction, so a delay of
// exactly a subscriber's Retry-After would come up to a second before the
// time it asked for; rounded up it never comes early.
func roundUp(now time.Time, d time.Duration) time.Duration {
	at := now.Add(d)
	if t := at.Truncate(time.Second); !t.Equal(at) {
		at = t.Add(time.Second)
	}
	return at.Sub(now)
}

// HandleError logs a failed attempt once and marks the delivery failed
// when the queue gives up on it.
func (h *Handler) HandleError(ctx context.Context, t *asynq.Task, err error) {
	if errors.Is(err, ErrEndpointBusy) {
		return
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	taskID, _ := asynq.GetTaskID(ctx)
	final := retried >= maxRetry || errors.Is(err, asynq.SkipRetry)
	log := h.log.With("task_id", taskID, "retried", retried, "final", final)
	p, perr := jobs.ParseDeliver(t.Payload())
	if perr == nil {
		log = log.With("delivery_id", p.DeliveryID, "message_id", p.MessageID, "endpoint_id", p.EndpointID)
	}
	if later, ok := errors.AsType[*retryLater](err); ok {
		log = log.With("customer", later.customer)
	}
	log.Warn("delivery attempt failed", "error", err)
	if !final || perr != nil {
		return
	}
	if ferr := h.db.FailDelivery(context.WithoutCancel(ctx), p.DeliveryID); ferr != nil {
		log.Error("record failed delivery", "error", ferr)
	}
}
