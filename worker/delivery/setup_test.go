package delivery_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
	"github.com/seatsync/seatsync/webhooks"
	"github.com/seatsync/seatsync/worker/delivery"
)

// clock is the handler's clock: real time plus an offset a test can move.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// bundle is what a delivery test works with besides the handler.
type bundle struct {
	t         testing.TB
	db        *storage.DB
	clock     *clock
	redis     asynq.RedisClientOpt
	rdb       redis.UniversalClient
	queue     *jobs.Client
	inspector *asynq.Inspector
	relay     *delivery.Relay
	log       *slog.Logger
	customer  string // id of customer "acme", whom the messages are about
	handler   *delivery.Handler
	metrics   *prometheus.Registry // the handler's
}

// setup returns a delivery handler (with o, on the bundle's clock) on a
// database of the test's own and a flushed Redis DB 7. Nothing runs until
// start.
func setup(t testing.TB, o delivery.Options) (*delivery.Handler, *bundle) {
	t.Helper()
	b := &bundle{t: t, db: storagetest.NewDB(t), clock: &clock{}, redis: jobstest.New(t),
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	b.rdb = redis.NewClient(&redis.Options{Addr: b.redis.Addr, DB: b.redis.DB})
	b.queue = jobs.NewClient(b.redis)
	b.inspector = asynq.NewInspector(b.redis)
	t.Cleanup(func() {
		b.inspector.Close()
		b.queue.Close()
		b.rdb.Close()
	})
	b.relay = delivery.NewRelay(b.db, b.queue, b.log)
	b.customer = storagetest.NewCustomer(t, b.db, "acme").ID
	o.Now = b.clock.now
	b.metrics = prometheus.NewRegistry()
	b.handler = delivery.NewHandler(b.db, webhooks.NewSender(15*time.Second, true, 0), b.rdb, o,
		delivery.NewMetrics(b.metrics), b.log)
	return b.handler, b
}

// start runs the handler under an asynq server of the worker's shape
// (the same error handler, retry delay and failure test) until the test
// ends. Register cleanups that unblock a hanging sink after calling it,
// so that they run before the server's shutdown waits for its tasks.
func (b *bundle) start(concurrency int) {
	b.t.Helper()
	b.serve(b.handler, concurrency)
}

// startProcess is start for another worker process beside the first: a
// handler of its own (with o) on the same database and Redis.
func (b *bundle) startProcess(o delivery.Options, concurrency int) {
	b.t.Helper()
	o.Now = b.clock.now
	b.serve(delivery.NewHandler(b.db, webhooks.NewSender(15*time.Second, true, 0), b.rdb, o,
		delivery.NewMetrics(prometheus.NewRegistry()), b.log), concurrency)
}

func (b *bundle) serve(h *delivery.Handler, concurrency int) {
	srv := asynq.NewServer(b.redis, asynq.Config{
		Concurrency:              concurrency,
		Queues:                   map[string]int{jobs.QueueOutbound: 1},
		TaskCheckInterval:        10 * time.Millisecond,
		DelayedTaskCheckInterval: time.Second,
		ShutdownTimeout:          5 * time.Second,
		ErrorHandler:             asynq.ErrorHandlerFunc(h.HandleError),
		RetryDelayFunc:           delivery.RetryDelay,
		IsFailure:                delivery.IsFailure,
		LogLevel:                 asynq.FatalLevel,
	})
	if err := srv.Start(h); err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(srv.Shutdown)
}

// endpoint registers an endpoint for url (every customer).
func (b *bundle) endpoint(url string, eventTypes ...string) storage.Endpoint {
	b.t.Helper()
	secret, err := webhooks.NewEndpointSecret()
	if err != nil {
		b.t.Fatal(err)
	}
	e, err := b.db.CreateEndpoint(context.Background(), storage.EndpointInput{URL: url, EventTypes: eventTypes, Secret: secret})
	if err != nil {
		b.t.Fatal(err)
	}
	return e
}

// publish writes n seat.assigned messages about acme to the outbox, as
// the engine does, and relays them; it returns their message ids.
func (b *bundle) publish(n int) []string {
	b.t.Helper()
	ctx := context.Background()
	before := b.messages()
	err := b.db.InTx(ctx, func(tx *storage.Tx) error {
		for i := range n {
			body := map[string]any{"type": "seat.assigned", "timestamp": time.Now().UTC(), "data": map[string]any{
				"seat_id": fmt.Sprint("seat_", len(before)+i), "customer": map[string]any{"id": b.customer, "external_id": "acme"},
				"product_id": "pro", "user": map[string]any{"external_id": "u1"},
			}}
			if err := tx.AppendOutbox(ctx, "seat.assigned", b.customer, "", 0, body); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.t.Fatal(err)
	}
	for {
		n, err := b.relay.RelayOnce(ctx)
		if err != nil {
			b.t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	return b.messages()[len(before):]
}

// messages are the outbox message ids written so far, oldest first.
func (b *bundle) messages() []string {
	b.t.Helper()
	msgs, err := b.db.OutboxMessages(context.Background(), 0, 1000)
	if err != nil {
		b.t.Fatal(err)
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.MessageID
	}
	return ids
}

// waitDelivery waits for a delivery to reach status want and returns its
// attempts.
func (b *bundle) waitDelivery(messageID, endpointID, want string) int {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, attempts, _, err := b.db.DeliveryStatus(context.Background(), messageID, endpointID)
		if err == nil && status == want {
			return attempts
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("delivery of %s: %q after %d attempts (%v), want %s", messageID, status, attempts, err, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// deliverTask is the queue task of a message's delivery to an endpoint.
func (b *bundle) deliverTask(messageID, endpointID string) *asynq.Task {
	b.t.Helper()
	_, _, id, err := b.db.DeliveryStatus(context.Background(), messageID, endpointID)
	if err != nil {
		b.t.Fatal(err)
	}
	return asynq.NewTask(jobs.TypeDeliver, fmt.Appendf(nil, `{"delivery_id":%d,"message_id":%q,"endpoint_id":%q}`, id, messageID, endpointID))
}

// deferred is how many deliveries of the first handler stepped aside for
// a busy endpoint.
func (b *bundle) deferred() float64 {
	b.t.Helper()
	families, err := b.metrics.Gather()
	if err != nil {
		b.t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "seatsync_delivery_deferred_total" {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}
