// Package worker runs the asynq server that applies queued work: a table
// of task types, each with its handler, error handler and retry delay;
// the handler that applies inbound events through the seat engine
// (worker/engine) inside the inbox's claim–apply–finish transaction
// (worker/inbox); and, in the background, the inbox sweeper, the
// outbox relay (worker/delivery) and the sweep that expires invitations.
package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/webhooks"
	"github.com/seatsync/seatsync/worker/delivery"
	"github.com/seatsync/seatsync/worker/engine"
	"github.com/seatsync/seatsync/worker/inbox"
)

// Options tune the worker.
type Options struct {
	// Concurrency is how many inbound tasks (events, schedules) run at once.
	Concurrency int
	// OutboundConcurrency is how many deliveries run at once, on goroutines
	// of their own: a delivery spends most of its time waiting for the
	// subscriber, and one that hangs holds none of Concurrency's.
	OutboundConcurrency int
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
	// MaxInFlightPerEndpoint bounds concurrent deliveries to one endpoint;
	// zero means delivery.DefaultMaxInFlight.
	MaxInFlightPerEndpoint int
}

// relayInterval is how often the relay looks for new outbox rows: the
// delay a subscriber sees on top of the event's own.
const relayInterval = 100 * time.Millisecond

// taskType is how the worker runs one type of task.
type taskType struct {
	handler asynq.Handler
	// onError logs a failed attempt once and records a final one.
	onError func(ctx context.Context, t *asynq.Task, err error)
	// retryDelay is how long after a failed attempt the next one comes.
	retryDelay func(n int, err error, t *asynq.Task) time.Duration
}

// Worker is the asynq servers with their handlers (one server per queue,
// see jobs.QueueInbound), the inbox sweeper and the outbox relay.
type Worker struct {
	servers    []*asynq.Server
	mux        *asynq.ServeMux
	deliveries *delivery.Handler
	sweeper    *inbox.Sweeper
	relay      *delivery.Relay
	expiry     *invitationSweep
	sched      *scheduleSweep
	opts       Options

	stop       context.CancelFunc
	background sync.WaitGroup
}

// New wires the handlers. Nothing runs until Start. rdb is the process's
// shared Redis client (for the per-endpoint delivery slots); the worker
// does not close it.
func New(opts Options, redisOpt asynq.RedisConnOpt, rdb redis.UniversalClient, db *storage.DB, queue *jobs.Client,
	sender *webhooks.Sender, m *Metrics, log *slog.Logger) *Worker {
	eng := engine.New()
	eng.UseScheduleQueue(ScheduleQueue{Queue: queue})
	schedules := &scheduleHandler{db: db, engine: eng, log: log}
	events := &EventHandler{inbox: inbox.New(db, queue), engine: eng, metrics: m, log: log}
	deliveries := delivery.NewHandler(db, sender, rdb, delivery.Options{
		MaxInFlight: opts.MaxInFlightPerEndpoint, DisableAfter: opts.DisableAfter,
	}, m.delivery, log)
	tasks := map[string]taskType{
		jobs.TypeApplyEvent:    {handler: events, onError: events.handleError, retryDelay: events.retryDelay},
		jobs.TypeDeliver:       {handler: deliveries, onError: deliveries.HandleError, retryDelay: delivery.RetryDelay},
		jobs.TypeApplySchedule: {handler: schedules, onError: schedules.handleError, retryDelay: schedules.retryDelay},
	}
	mux := asynq.NewServeMux()
	mux.Use(grownStack)
	for typ, tt := range tasks {
		mux.Handle(typ, tt.handler)
	}
	config := asynq.Config{
		TaskCheckInterval: opts.TaskCheckInterval,
		ShutdownTimeout:   opts.ShutdownTimeout,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			if tt, ok := tasks[t.Type()]; ok {
				tt.onError(ctx, t, err)
				return
			}
			log.Error("task of unknown type failed", "task_type", t.Type(), "error", err)
		}),
		RetryDelayFunc: func(n int, err error, t *asynq.Task) time.Duration {
			if tt, ok := tasks[t.Type()]; ok {
				return tt.retryDelay(n, err, t)
			}
			return asynq.DefaultRetryDelayFunc(n, err, t)
		},
		// asynq asks without the task: only delivery has an error that is
		// not a failure (waiting for a busy endpoint).
		IsFailure: delivery.IsFailure,
		// Retries of events that wait for another event are due within
		// seconds; asynq's default 5 s check would add to every one.
		DelayedTaskCheckInterval: time.Second,
		Logger:                   asynqLogger{log.With("component", "asynq")},
		// Task failures are logged once, by the error handlers; asynq's own
		// warnings would repeat them.
		LogLevel: asynq.ErrorLevel,
	}
	server := func(queue string, concurrency int) *asynq.Server {
		c := config
		c.Queues, c.Concurrency = map[string]int{queue: 1}, concurrency
		return asynq.NewServer(redisOpt, c)
	}
	return &Worker{
		servers: []*asynq.Server{
			server(jobs.QueueInbound, opts.Concurrency),
			server(jobs.QueueOutbound, opts.OutboundConcurrency),
		},
		mux:        mux,
		deliveries: deliveries,
		sweeper:    inbox.NewSweeper(db, queue, opts.SweepAfter, m.swept, log),
		relay:      delivery.NewRelay(db, queue, log),
		expiry:     &invitationSweep{db: db, engine: eng, log: log},
		sched:      &scheduleSweep{db: db, engine: eng, queue: queue, log: log},
		opts:       opts,
	}
}

// Start begins processing. It does not block; use Shutdown to stop.
func (w *Worker) Start() error {
	for i, srv := range w.servers {
		if err := srv.Start(w.mux); err != nil {
			for _, started := range w.servers[:i] {
				started.Shutdown()
			}
			return fmt.Errorf("start worker: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.stop = cancel
	interval := w.opts.SweepInterval
	w.background.Go(func() { w.sweeper.Run(ctx, interval) })
	w.background.Go(func() { w.relay.Run(ctx, relayInterval, interval, w.opts.SweepAfter, w.opts.Retention) })
	w.background.Go(func() { every(ctx, interval, w.expiry.once) })
	w.background.Go(func() {
		every(ctx, interval, func(ctx context.Context) { w.sched.once(ctx, time.Now(), 2*interval) })
	})
	return nil
}

// Shutdown stops taking tasks, waits for in-flight ones up to the shutdown
// timeout (unfinished ones return to the queue; both queues' servers wait
// at once) and stops the sweepers and the relay; then it gives back the
// endpoint slots it keeps idle.
func (w *Worker) Shutdown() {
	for _, srv := range w.servers {
		srv.Stop()
	}
	if w.stop != nil {
		w.stop()
	}
	var stopping sync.WaitGroup
	for _, srv := range w.servers {
		stopping.Go(srv.Shutdown)
	}
	stopping.Wait()
	w.deliveries.Close()
	w.background.Wait()
}

// asynqLogger sends asynq's own messages through slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }

// Fatal is only logged: seatsync decides itself when to exit.
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
