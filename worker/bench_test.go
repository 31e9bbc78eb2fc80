package worker

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/jobs/jobstest"
)

// BenchmarkApplyUserEvent is the worker's per-event transaction without
// the queue: claim the inbox row, apply a user.upserted, reconcile seats,
// record the outcome. Compare with BenchmarkBaselinePostgresInsert in
// cmd/seatsync (one single-row insert per transaction).
func BenchmarkApplyUserEvent(b *testing.B) {
	h, _ := newHandler(b)
	var seq atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			ev := standardEvent(fmt.Sprint("e", n), "user.upserted", time.Now(),
				fmt.Sprintf(`{"customer_external_id":"c%d","external_id":"u%d","email":"u%d@x.test","groups":["eng"]}`, n%100, n%5000, n))
			if _, _, err := h.applyOnce(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAsynqNoopDrain is the queue's own floor: how fast a server of the
// worker's shape drains tasks whose handler does nothing. It uses Redis DB 3.
func BenchmarkAsynqNoopDrain(b *testing.B) {
	opt := jobstest.Redis(b, 3)
	client := asynq.NewClient(opt)
	defer client.Close()
	payload := make([]byte, 500)
	for i := range b.N {
		if _, err := client.Enqueue(asynq.NewTask("noop", payload, asynq.TaskID(fmt.Sprint(i)), asynq.Queue(jobs.QueueInbound))); err != nil {
			b.Fatal(err)
		}
	}
	var done atomic.Int64
	all := make(chan struct{})
	srv := asynq.NewServer(opt, asynq.Config{Concurrency: 10, Queues: jobs.Queues,
		TaskCheckInterval: 50 * time.Millisecond, LogLevel: asynq.ErrorLevel})
	b.ResetTimer()
	err := srv.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
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
}
