package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// TypeApplySchedule applies one scheduled change at its time: a line's
// scheduled reduction or an order's cancel_at.
const TypeApplySchedule = "schedule:apply"

// ApplySchedule names the change: Kind "line" (ID a line id: its scheduled
// quantity), "order" (ID an order id: its cancel_at) or "release" (ID an
// elastic line id: its period-end release), and the time it was scheduled
// for. The worker checks under the locks that the line or order still
// carries that time, so a task that outlived its schedule does nothing.
type ApplySchedule struct {
	Kind string    `json:"kind"`
	ID   string    `json:"id"`
	At   time.Time `json:"at"`
}

// TaskID is the change's idempotency key in the queue: kind, id and time,
// so that every enqueue of one schedule (after each event that restates
// it, and by the sweep) collapses into one task, and a new time is a new
// task.
func (s ApplySchedule) TaskID() string {
	return "schedule:" + s.Kind + ":" + s.ID + ":" + s.At.UTC().Format(time.RFC3339Nano)
}

// EnqueueApplySchedule enqueues the task to run at s.At, once per change.
// It runs on the inbound queue: applying is a seat change like an event's.
func (c *Client) EnqueueApplySchedule(ctx context.Context, s ApplySchedule) (Outcome, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return 0, fmt.Errorf("encode %s task: %w", TypeApplySchedule, err)
	}
	return c.enqueue(ctx, asynq.NewTask(TypeApplySchedule, b,
		asynq.TaskID(s.TaskID()), asynq.Queue(QueueInbound), asynq.ProcessAt(s.At),
		asynq.MaxRetry(14), asynq.Timeout(30*time.Second)))
}

// ParseApplySchedule decodes a task payload.
func ParseApplySchedule(payload []byte) (ApplySchedule, error) {
	var s ApplySchedule
	if err := json.Unmarshal(payload, &s); err != nil || s.ID == "" || (s.Kind != "line" && s.Kind != "order" && s.Kind != "release") || s.At.IsZero() {
		return ApplySchedule{}, fmt.Errorf("decode %s payload: kind (line, order or release), id and at are required", TypeApplySchedule)
	}
	return s, nil
}
