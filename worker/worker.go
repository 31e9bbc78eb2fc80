// Package worker runs the asynq server that applies queued work to
// Postgres: one handler per task type, plus the sweeper that re-enqueues
// anything the queue lost.
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

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
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
}

// Worker is the asynq server with its handlers and the sweeper.
type Worker struct {
	srv     *asynq.Server
	mux     *asynq.ServeMux
	sweeper *Sweeper
	every   time.Duration
	log     *slog.Logger

	stopSweep context.CancelFunc
	swept     sync.WaitGroup
}

// New wires the handlers. Nothing runs until Start.
func New(opts Options, redis asynq.RedisConnOpt, db *storage.DB, queue *jobs.Client, m *Metrics, log *slog.Logger) *Worker {
	events := &EventHandler{db: db, engine: NewEngine(), metrics: m, log: log}
	srv := asynq.NewServer(redis, asynq.Config{
		Concurrency:       opts.Concurrency,
		Queues:            jobs.Queues,
		TaskCheckInterval: opts.TaskCheckInterval,
		ShutdownTimeout:   opts.ShutdownTimeout,
		ErrorHandler:      asynq.ErrorHandlerFunc(events.handleError),
		RetryDelayFunc:    retryDelay,
		// Retries of events that wait for another event are due within
		// seconds; asynq's default 5 s check would add to every one.
		DelayedTaskCheckInterval: time.Second,
		Logger:                   asynqLogger{log.With("component", "asynq")},
		// Task failures are logged once, by the error handler; asynq's own
		// warnings would repeat them.
		LogLevel: asynq.ErrorLevel,
	})
	mux := asynq.NewServeMux()
	mux.Handle(jobs.TypeApplyEvent, events)
	return &Worker{
		srv:     srv,
		mux:     mux,
		sweeper: NewSweeper(db, queue, opts.SweepAfter, m, log),
		every:   opts.SweepInterval,
		log:     log,
	}
}

// Start begins processing. It does not block; use Shutdown to stop.
func (w *Worker) Start() error {
	if err := w.srv.Start(w.mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.stopSweep = cancel
	w.swept.Add(1)
	go func() {
		defer w.swept.Done()
		w.sweeper.Run(ctx, w.every)
	}()
	return nil
}

// Shutdown stops taking tasks, waits for in-flight ones up to the shutdown
// timeout (unfinished ones return to the queue) and stops the sweeper.
func (w *Worker) Shutdown() {
	w.srv.Stop()
	if w.stopSweep != nil {
		w.stopSweep()
	}
	w.srv.Shutdown()
	w.swept.Wait()
}

// retryDelay retries an event that refers to something no event has
// created yet (an order, a user) soon and then less often, because the
// event that creates it is usually right behind; anything else backs off
// as asynq does by default.
func retryDelay(n int, err error, t *asynq.Task) time.Duration {
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
