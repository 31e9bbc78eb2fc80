package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// TypeDeliver sends one outbound message to one endpoint.
const TypeDeliver = "webhook:deliver"

// DeliverySchedule is when a failed delivery is tried again: about a day in
// all (SPEC §3). The worker adds ±20 % jitter.
var DeliverySchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// Deliver names the delivery row; the worker loads the rest, so a resend
// or a rotated secret takes effect on the next attempt.
type Deliver struct {
	DeliveryID int64  `json:"delivery_id"`
	MessageID  string `json:"message_id"`
	EndpointID string `json:"endpoint_id"`
	// Resend counts operator resends: each is a new task of its own.
	Resend int `json:"resend,omitempty"`
}

// TaskID is the delivery's idempotency key in the queue: message +
// endpoint (+ resend number).
func (d Deliver) TaskID() string {
	id := "deliver:" + d.MessageID + ":" + d.EndpointID
	if d.Resend > 0 {
		id += fmt.Sprintf(":resend-%d", d.Resend)
	}
	return id
}

// EnqueueDeliver enqueues a delivery, once per message and endpoint. Its
// own queue keeps slow subscribers away from inbound events.
func (c *Client) EnqueueDeliver(ctx context.Context, d Deliver) (Outcome, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return 0, fmt.Errorf("encode %s task: %w", TypeDeliver, err)
	}
	return c.enqueue(ctx, asynq.NewTask(TypeDeliver, b,
		asynq.TaskID(d.TaskID()), asynq.Queue(QueueOutbound),
		asynq.MaxRetry(len(DeliverySchedule)), asynq.Timeout(30*time.Second)))
}

// ParseDeliver decodes a task payload.
func ParseDeliver(payload []byte) (Deliver, error) {
	var d Deliver
	if err := json.Unmarshal(payload, &d); err != nil || d.DeliveryID == 0 {
		return Deliver{}, fmt.Errorf("decode %s payload: missing or bad delivery_id", TypeDeliver)
	}
	return d, nil
}
