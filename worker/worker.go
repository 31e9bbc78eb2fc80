// Package worker runs the asynq server that applies queued work to
// Postgres and delivers outbound webhooks: one handler per task type (the
// seat rules themselves live in worker/engine), the sweeper that
// re-enqueues anything the queue lost, and the relay from the outbox to
// delivery tasks.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/webhooks"
	"github.com/seatsync/seatsync/worker/engine"
)

// Options tune the worker.
type Options struct {
	Concurrency int
	// TaskCheckInterval is how often an idle worker polls Redis; asynq's
	// default of one second would make every event wait that long.
	TaskCheckInterval time.Duration
	// ShutdownTimeout bounds how long in-flight tasks may run on shutdown
	// before they go back to the queue.
	ShutdownTimeout time.Duration
	SweepInterval   time.Duration
	SweepAfter      time.Duration
	// DisableAfter disables an endpoint whose every delivery failed for so long.
	DisableAfter time.Duration
	// Retention is how long outbound message bodies are kept (for resends).
	Retention time.Duration
}

// relayInterval is how often the relay looks for new outbox rows: the
// delay a subscriber sees on top of the event's own.
const relayInterval = 100 * time.Millisecond

// Worker is the asynq server with its handlers, the inbox sweeper and the
// outbox relay.
type Worker struct {
	srv     *asynq.Server
	mux     *asynq.ServeMux
	sweeper *Sweeper
	relay   *Relay
	opts    Options

	stop       context.CancelFunc
	background sync.WaitGroup
}

// New wires the handlers. Nothing runs until Start.
func New(opts Options, redis asynq.RedisConnOpt, db *storage.DB, queue *jobs.Client, sender *webhooks.Sender, m *Metrics, log *slog.Logger) *Worker {
	events := &EventHandler{db: db, engine: engine.New(), metrics: m, log: log}
	rdb, _ := redis.MakeRedisClient().(goredis.UniversalClient)
	deliveries := &DeliveryHandler{db: db, sender: sender, slots: endpointSlots{rdb: rdb, max: maxInFlightPerEndpoint},
		disableAfter: opts.DisableAfter, metrics: m, log: log, now: time.Now}
	srv := asynq.NewServer(redis, asynq.Config{
		Concurrency:       opts.Concurrency,
		Queues:            jobs.Queues,
		TaskCheckInterval: opts.TaskCheckInterval,
		ShutdownTimeout:   opts.ShutdownTimeout,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			if t.Type() == jobs.TypeDeliver {
				deliveries.handleError(ctx, t, err)
				return
			}
			events.handleError(ctx, t, err)
		}),
		RetryDelayFunc: retryDelay,
		// Waiting for a busy endpoint is not a failed attempt.
		IsFailure: func(err error) bool { return !errors.Is(err, errEndpointBusy) },
		// Retries of events that wait for another event are due within
		// seconds; asynq's default 5 s check would add to every one.
		DelayedTaskCheckInterval: time.Second,
		Logger:                   asynqLogger{log.With("component", "asynq")},
		// Task failures are logged once, by the error handlers; asynq's own
		// warnings would repeat them.
		LogLevel: asynq.ErrorLevel,
	})
	mux := asynq.NewServeMux()
	mux.Handle(jobs.TypeApplyEvent, events)
	mux.Handle(jobs.TypeDeliver, deliveries)
	return &Worker{
		srv:     srv,
		mux:     mux,
		sweeper: NewSweeper(db, queue, opts.SweepAfter, m, log),
		relay:   NewRelay(db, queue, log),
		opts:    opts,
	}
}

// Start begins processing. It does not block; use Shutdown to stop.
func (w *Worker) Start() error {
	if err := w.srv.Start(w.mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.stop = cancel
	w.background.Add(2)
	go func() {
		defer w.background.Done()
		w.sweeper.Run(ctx, w.opts.SweepInterval)
	}()
	go func() {
		defer w.background.Done()
		w.relay.Run(ctx, relayInterval, w.opts.SweepInterval, w.opts.SweepAfter, w.opts.Retention)
	}()
	return nil
}

// Shutdown stops taking tasks, waits for in-flight ones up to the shutdown
// timeout (unfinished ones return to the queue) and stops the sweeper and
// the relay.
func (w *Worker) Shutdown() {
	w.srv.Stop()
	if w.stop != nil {
		w.stop()
	}
	w.srv.Shutdown()
	w.background.Wait()
}

// retryDelay retries an event that refers to something no event has
// created yet (an order, a user) soon and then less often, because the
// event that creates it is usually right behind; anything else backs off
// as asynq does by default.
func retryDelay(n int, err error, t *asynq.Task) time.Duration {
	if t.Type() == jobs.TypeDeliver {
		return deliveryRetryDelay(n, err)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return min(time.Second<<min(n, 20), 10*time.Minute) + rand.N(time.Second)
	}
	return asynq.DefaultRetryDelayFunc(n, err, t)
}

// asynqLogger sends asynq's own messages through slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }

// Fatal is only logged: seatsync decides itself when to exit.
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
