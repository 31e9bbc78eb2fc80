package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/engine"
)

// scheduleBatch bounds how many due schedules one sweep applies, and how
// many upcoming ones it enqueues; more wait for the next tick.
const scheduleBatch = 500

// ScheduleQueue is the engine's ScheduleQueue on the jobs client: a task
// per scheduled change, due at its time, enqueued after the transaction
// that set the schedule commits.
type ScheduleQueue struct{ Queue *jobs.Client }

// EnqueueDue implements engine.ScheduleQueue.
func (q ScheduleQueue) EnqueueDue(ctx context.Context, d storage.Due) error {
	_, err := q.Queue.EnqueueApplySchedule(ctx, jobs.ApplySchedule{Kind: d.Kind, ID: d.ID, At: d.At})
	return err
}

// scheduleHandler applies a scheduled change when its task comes due.
type scheduleHandler struct {
	db     *storage.DB
	engine *engine.Engine
	log    *slog.Logger
}

// errNotDue is a task that asynq ran before its time by the worker's
// clock: retried at the time.
var errNotDue = fmt.Errorf("schedule not due yet")

// ProcessTask implements asynq.Handler.
func (h *scheduleHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	s, err := jobs.ParseApplySchedule(t.Payload())
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	now := time.Now()
	if s.At.After(now) {
		return errNotDue
	}
	var applied bool
	err = h.db.InTx(ctx, func(tx *storage.Tx) (err error) {
		applied, err = h.engine.ApplyDue(ctx, tx, storage.Due{Kind: s.Kind, ID: s.ID, At: s.At}, now)
		return err
	})
	if err != nil {
		return err
	}
	h.log.Info("scheduled change", "kind", s.Kind, "id", s.ID, "at", s.At, "applied", applied)
	return nil
}

func (h *scheduleHandler) handleError(ctx context.Context, t *asynq.Task, err error) {
	if err == errNotDue {
		return
	}
	taskID, _ := asynq.GetTaskID(ctx)
	h.log.Error("apply scheduled change", "task_id", taskID, "error", err)
}

func (h *scheduleHandler) retryDelay(n int, err error, t *asynq.Task) time.Duration {
	if err == errNotDue {
		if s, perr := jobs.ParseApplySchedule(t.Payload()); perr == nil {
			return max(time.Until(s.At), 0) + time.Second
		}
	}
	return asynq.DefaultRetryDelayFunc(n, err, t)
}

// scheduleSweep is the safety net of the scheduled tasks: every interval
// it applies what is due (a task lost with Redis, or never enqueued
// because the process stopped right after the commit) and enqueues the
// tasks of what falls due before the next sweeps. Every worker runs one:
// the engine applies each change once however many race for it.
type scheduleSweep struct {
	db     *storage.DB
	engine *engine.Engine
	queue  *jobs.Client
	log    *slog.Logger
}

// once applies what is due at now and enqueues the tasks of what falls due
// within ahead (two sweep intervals: a sweep may run late).
func (s *scheduleSweep) once(ctx context.Context, now time.Time, ahead time.Duration) {
	n, err := s.engine.ApplyDueSchedules(ctx, s.db, now, scheduleBatch)
	if err != nil && ctx.Err() == nil {
		s.log.Error("apply due schedules", "error", err)
	}
	if n > 0 {
		s.log.Warn("applied scheduled changes whose task had not run", "count", n)
	}
	upcoming, err := s.db.DueSchedules(ctx, now.Add(ahead), scheduleBatch)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("list upcoming schedules", "error", err)
		}
		return
	}
	q := ScheduleQueue{Queue: s.queue}
	for _, d := range upcoming {
		if err := q.EnqueueDue(ctx, d); err != nil && ctx.Err() == nil {
			s.log.Error("enqueue scheduled change", "kind", d.Kind, "id", d.ID, "error", err)
			return
		}
	}
}
