package worker

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

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
	opt := jobstest.New(b)
	jobstest.NoopDrain(b, opt, jobs.QueueInbound, 500, 10)
}
