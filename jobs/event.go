package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// TypeApplyEvent applies one verified inbound event.
const TypeApplyEvent = "event:apply"

// ApplyEvent carries the whole event, not a reference to its inbox row: when
// Postgres is down the receiver accepts an event through the queue alone,
// and the worker writes the inbox row.
type ApplyEvent struct {
	Source     string          `json:"source"`
	Kind       string          `json:"kind"`
	EventID    string          `json:"event_id"`
	EventType  string          `json:"event_type"`
	OccurredAt time.Time       `json:"occurred_at"`
	Payload    json.RawMessage `json:"payload"`
	// Replay counts operator replays of the event: each is a task of its
	// own, because the task of the first delivery (or of the last replay)
	// may still be queued, waiting for a retry or archived (a task whose
	// last attempt failed) and would swallow it as a duplicate.
	Replay int `json:"replay,omitempty"`
}

// TaskID is the event's idempotency key in the queue: source and event id
// (+ replay number).
func (e ApplyEvent) TaskID() string {
	id := e.Source + ":" + e.EventID
	if e.Replay > 0 {
		id += fmt.Sprintf(":replay-%d", e.Replay)
	}
	return id
}

// Options for applying an event: its own queue; 14 retries of asynq's
// default backoff (n⁴ s plus jitter) span about a day, so a Postgres outage
// does not exhaust them; and a timeout far above a normal apply. Like every
// task, it leaves Redis once done (see QueueInbound).
var applyEventOptions = []asynq.Option{
	asynq.Queue(QueueInbound),
	asynq.MaxRetry(14),
	asynq.Timeout(30 * time.Second),
}

// NewApplyEventTask builds the task for e.
func NewApplyEventTask(e ApplyEvent) (*asynq.Task, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode %s task: %w", TypeApplyEvent, err)
	}
	opts := append([]asynq.Option{asynq.TaskID(e.TaskID())}, applyEventOptions...)
	return asynq.NewTask(TypeApplyEvent, b, opts...), nil
}

// ParseApplyEvent decodes a task payload.
func ParseApplyEvent(payload []byte) (ApplyEvent, error) {
	var e ApplyEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return ApplyEvent{}, fmt.Errorf("decode %s payload: %w", TypeApplyEvent, err)
	}
	if e.Source == "" || e.EventID == "" || e.EventType == "" {
		return ApplyEvent{}, fmt.Errorf("decode %s payload: source, event_id and event_type are required", TypeApplyEvent)
	}
	return e, nil
}

// EnqueueApplyEvent enqueues e, once per event ID.
func (c *Client) EnqueueApplyEvent(ctx context.Context, e ApplyEvent) (Outcome, error) {
	t, err := NewApplyEventTask(e)
	if err != nil {
		return 0, err
	}
	return c.enqueue(ctx, t)
}
