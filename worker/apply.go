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
	"github.com/seatsync/seatsync/worker/engine"
	"github.com/seatsync/seatsync/worker/inbox"
)

// EventHandler applies inbound events. Applying is idempotent because the
// event's inbox row is locked and its status set in the same transaction as
// the event's effect (inbox.Apply).
type EventHandler struct {
	inbox   *inbox.Inbox
	engine  *engine.Engine
	metrics *Metrics
	log     *slog.Logger
}

// eventFailure is what becomes of an event whose attempt returned an
// error: the one mapping of the handler's errors, used by its retry delay
// and its error handler alike.
type eventFailure int

const (
	// failRetry: anything else, a database outage say; retried with
	// asynq's backoff, which spans about a day.
	failRetry eventFailure = iota
	// failWait: the event refers to something no event has created yet
	// (an order, a user); expected when providers deliver out of order, and
	// retried soon, because the event that creates it is usually right
	// behind.
	failWait
	// failPermanent: the event can never be applied; not retried.
	failPermanent
)

func classifyEvent(err error) eventFailure {
	switch {
	case errors.Is(err, asynq.SkipRetry):
		return failPermanent
	case errors.Is(err, storage.ErrNotFound):
		return failWait
	}
	return failRetry
}

// ProcessTask implements asynq.Handler. An event recorded as failed
// because it breaks a seat rule (engine.IsRuleError) is an expected
// outcome, not a failure of the task: it is logged once at WARN and the
// task completes, since the inbox row already says failed and why (and is
// what replays start from). Other events that can never be applied (a
// payload this version cannot read) end the task without retries.
func (h *EventHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	ev, err := jobs.ParseApplyEvent(t.Payload())
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	start := time.Now()
	res, outcome, reason, err := h.applyInbox(ctx, ev)
	if err != nil {
		h.metrics.observeApply(ev.Source, "error", time.Since(start))
		return err // logged by handleError, retried with backoff
	}
	h.metrics.observeApply(ev.Source, outcome, time.Since(start))
	logged := func() *slog.Logger {
		taskID, _ := asynq.GetTaskID(ctx)
		return h.log.With("event_id", ev.EventID, "source", ev.Source, "task_id", taskID, "customer", res.customer,
			"event_type", ev.EventType, "outcome", outcome, "duration_ms", time.Since(start).Milliseconds())
	}
	switch {
	case outcome == inbox.Failed && res.ruleBroken:
		logged().Warn("inbound event breaks a seat rule; recorded as failed", "reason", reason)
		return nil
	case outcome == inbox.Failed:
		return fmt.Errorf("event cannot be applied: %s: %w", reason, asynq.SkipRetry) // logged by handleError
	}
	// One line per applied event is at debug level, as on the receive path:
	// seatsync_event_apply_seconds{source,outcome} counts and times them.
	if h.log.Enabled(ctx, slog.LevelDebug) {
		logged().DebugContext(ctx, "inbound event processed")
	}
	return nil
}

// applyInbox applies ev in the inbox's claim–apply–finish transaction and
// returns what became of it (an inbox outcome, with a reason when failed).
func (h *EventHandler) applyInbox(ctx context.Context, ev jobs.ApplyEvent) (res applyResult, outcome, reason string, err error) {
	outcome, reason, err = h.inbox.Apply(ctx, ev, func(ctx context.Context, tx *storage.Tx) (bool, error) {
		res = h.apply(ctx, tx, ev)
		return res.applied, res.err
	})
	return res, outcome, reason, err
}

// retryDelay retries an event waiting for another soon and then less
// often; anything else backs off as asynq does by default.
func (h *EventHandler) retryDelay(n int, err error, t *asynq.Task) time.Duration {
	if classifyEvent(err) == failWait {
		return min(time.Second<<min(n, 20), 10*time.Minute) + rand.N(time.Second)
	}
	return asynq.DefaultRetryDelayFunc(n, err, t)
}

// handleError logs a failed attempt once and, when asynq gives up on the
// task, marks its inbox row failed so the sweeper stops offering it.
func (h *EventHandler) handleError(ctx context.Context, t *asynq.Task, err error) {
	taskID, _ := asynq.GetTaskID(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	kind := classifyEvent(err)
	final := retried >= maxRetry || kind == failPermanent
	log := h.log.With("task_id", taskID, "task_type", t.Type(), "retried", retried, "final", final)
	ev, perr := jobs.ParseApplyEvent(t.Payload())
	if perr == nil {
		log = log.With("event_id", ev.EventID, "source", ev.Source)
	}
	if kind == failWait && !final {
		log.Warn("task waits for an event not applied yet", "error", err)
	} else {
		log.Error("task failed", "error", err)
	}
	if !final || perr != nil {
		return
	}
	if ferr := h.inbox.GiveUp(context.WithoutCancel(ctx), ev, err.Error()); ferr != nil {
		log.Error("record failed inbound event", "error", ferr)
	}
}
