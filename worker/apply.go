package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/engine"
)

// EventHandler applies inbound events. Applying is idempotent because the
// event's inbox row is locked and its status set in the same transaction as
// the event's effect.
type EventHandler struct {
	db      *storage.DB
	engine  *engine.Engine
	metrics *Metrics
	log     *slog.Logger
}

// permanentError is an event that can never be applied, however often it is
// retried; it is recorded on the inbox row and not retried.
type permanentError struct{ reason string }

func (e permanentError) Error() string { return e.reason }

func permanent(format string, args ...any) error {
	return permanentError{reason: fmt.Sprintf(format, args...)}
}

// ProcessTask implements asynq.Handler.
func (h *EventHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	ev, err := jobs.ParseApplyEvent(t.Payload())
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	start := time.Now()
	outcome, reason, err := h.applyOnce(ctx, ev)
	if err != nil {
		h.metrics.observeApply(ev.Source, "error", time.Since(start))
		return err // logged by handleError, retried with backoff
	}
	h.metrics.observeApply(ev.Source, outcome, time.Since(start))
	if outcome == storage.InboxFailed {
		return fmt.Errorf("event cannot be applied: %s: %w", reason, asynq.SkipRetry) // logged by handleError
	}
	taskID, _ := asynq.GetTaskID(ctx)
	h.log.Info("inbound event processed", "event_id", ev.EventID, "source", ev.Source, "task_id", taskID,
		"event_type", ev.EventType, "outcome", outcome, "duration_ms", time.Since(start).Milliseconds())
	return nil
}

// applyOnce applies ev unless its inbox row says it already was, and
// returns what became of it: an inbox status, or "duplicate".
func (h *EventHandler) applyOnce(ctx context.Context, ev jobs.ApplyEvent) (outcome, reason string, err error) {
	err = h.db.InTx(ctx, func(tx *storage.Tx) error {
		row, err := tx.ClaimInboxEvent(ctx, inboxEvent(ev))
		if err != nil {
			return err
		}
		if row.Status != storage.InboxReceived {
			outcome, reason = "duplicate", ""
			return nil
		}
		outcome, reason = storage.InboxApplied, ""
		applied, err := h.apply(ctx, tx, ev)
		var perm permanentError
		switch {
		case errors.As(err, &perm):
			outcome, reason = storage.InboxFailed, perm.reason
		case err != nil:
			return err
		case !applied:
			outcome = storage.InboxStale
		}
		return tx.FinishInboxEvent(ctx, row.ID, outcome, reason)
	})
	if err != nil {
		return "", "", fmt.Errorf("apply event %s/%s: %w", ev.Source, ev.EventID, err)
	}
	return outcome, reason, nil
}

// handleError logs a failed attempt once and, when asynq gives up on the
// task, marks its inbox row failed so the sweeper stops offering it.
func (h *EventHandler) handleError(ctx context.Context, t *asynq.Task, err error) {
	taskID, _ := asynq.GetTaskID(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	final := retried >= maxRetry || errors.Is(err, asynq.SkipRetry)
	log := h.log.With("task_id", taskID, "task_type", t.Type(), "retried", retried, "final", final)
	ev, perr := jobs.ParseApplyEvent(t.Payload())
	if perr == nil {
		log = log.With("event_id", ev.EventID, "source", ev.Source)
	}
	if errors.Is(err, storage.ErrNotFound) && !final {
		// Expected when providers deliver out of order: the event it
		// refers to is usually right behind.
		log.Warn("task waits for an event not applied yet", "error", err)
	} else {
		log.Error("task failed", "error", err)
	}
	if !final || perr != nil {
		return
	}
	cleanup := context.WithoutCancel(ctx)
	if ferr := h.db.GiveUpInboxEvent(cleanup, ev.Source, ev.EventID, err.Error()); ferr != nil {
		log.Error("record failed inbound event", "error", ferr)
	}
}
