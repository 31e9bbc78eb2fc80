package jobstest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

// NoopDrain is the queue's own floor, the baseline a worker benchmark is
// read against: it queues b.N tasks of payloadSize bytes on queue, then
// times a server of the worker's shape for that queue (concurrency, the
// queue alone) draining them with a handler that does nothing, and
// reports tasks/s.
func NoopDrain(b *testing.B, opt asynq.RedisClientOpt, queue string, payloadSize, concurrency int) {
	b.Helper()
	Drain(b, opt, queue, payloadSize, concurrency, func(context.Context) error { return nil })
}

// Drain is NoopDrain with a handler that calls work for every task: the
// floor of the queue plus the least a task of some kind must do (a
// delivery's one HTTP request, say). An error of work fails the benchmark.
func Drain(b *testing.B, opt asynq.RedisClientOpt, queue string, payloadSize, concurrency int, work func(context.Context) error) {
	b.Helper()
	client := asynq.NewClient(opt)
	defer client.Close()
	payload := make([]byte, payloadSize)
	for i := range b.N {
		if _, err := client.Enqueue(asynq.NewTask("noop", payload, asynq.TaskID(fmt.Sprint(i)), asynq.Queue(queue))); err != nil {
			b.Fatal(err)
		}
	}
	var done atomic.Int64
	all := make(chan struct{})
	srv := asynq.NewServer(opt, asynq.Config{Concurrency: concurrency, Queues: map[string]int{queue: 1},
		TaskCheckInterval: 10 * time.Millisecond, LogLevel: asynq.FatalLevel})
	b.ResetTimer()
	err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		if err := work(ctx); err != nil {
			b.Error(err) // and counted, so that the drain still ends
		}
		if done.Add(1) == int64(b.N) {
			close(all)
		}
		return nil
	}))
	if err != nil {
		b.Fatal(err)
	}
	<-all
	b.StopTimer()
	srv.Shutdown()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
}
