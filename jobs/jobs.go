// Package jobs is the contract between the receiver and the worker: task
// types, their payloads, the queue and retry options each type runs with,
// and an enqueuer that reports a redelivered task as a duplicate rather
// than as an error.
package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Queues. A worker process serves each with an asynq server of its own,
// with goroutines of its own (SEATSYNC_WORKER_CONCURRENCY for inbound,
// SEATSYNC_OUTBOUND_CONCURRENCY for outbound), so that neither kind of work
// waits for the other: a backlog of events does not hold up deliveries, and
// a subscriber that hangs holds no goroutine an event needs.
//
// No task is retained once done: asynq deletes it at once. Postgres makes a
// second task for the same work harmless (the inbox claim applies an event
// once; a delivery is sent only while pending; a schedule applies only at
// its time), and asynq's janitor deletes at most 100 expired done tasks per
// queue every 8 s in each worker process: with any retention, a sustained
// rate above about 12 tasks/s per worker would grow Redis without bound, by
// about 0.9 KB per event.
const (
	QueueInbound  = "inbound"
	QueueOutbound = "outbound"
)

// Outcome is what an enqueue did.
type Outcome int

const (
	// Enqueued: a new task is waiting for a worker.
	Enqueued Outcome = iota + 1
	// Duplicate: a task with the same ID is already queued, running,
	// waiting for a retry or archived, so nothing was added.
	Duplicate
)

func (o Outcome) String() string {
	switch o {
	case Enqueued:
		return "enqueued"
	case Duplicate:
		return "duplicate"
	}
	return "unknown"
}

// Client enqueues tasks. Concurrent enqueues share Redis round trips
// (see pipelinedRedis).
type Client struct {
	c   *asynq.Client
	rdb *pipelinedRedis
}

// NewClient returns a client for the Redis at opt.
func NewClient(opt asynq.RedisConnOpt) *Client {
	rc, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		panic(fmt.Sprintf("jobs: unsupported asynq.RedisConnOpt %T", opt))
	}
	rdb := newPipelinedRedis(rc)
	return &Client{c: asynq.NewClientFromRedisClient(rdb), rdb: rdb}
}

// Close waits for the enqueues already sent, then releases the Redis
// connection.
func (c *Client) Close() error {
	return c.rdb.Close()
}

// enqueue adds t; a task ID conflict is reported as Duplicate, because the
// task ID is the idempotency key of the work it names.
func (c *Client) enqueue(ctx context.Context, t *asynq.Task) (Outcome, error) {
	_, err := c.c.EnqueueContext(ctx, t)
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return Duplicate, nil
	}
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", t.Type(), err)
	}
	return Enqueued, nil
}
