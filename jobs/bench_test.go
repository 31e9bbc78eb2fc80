package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/jobs/jobstest"
)

// BenchmarkEnqueueApplyEventParallel is the receiver's enqueue under
// concurrency (64 goroutines, as many as its deferred enqueuers): the
// client's pipelining coalesces their script calls.
func BenchmarkEnqueueApplyEventParallel(b *testing.B) {
	client := jobs.NewClient(jobstest.New(b))
	defer client.Close()
	payload := json.RawMessage(`{"type":"user.upserted","timestamp":"2026-01-01T00:00:00Z","data":{"customer_external_id":"c1","external_id":"u1"}}`)
	var seq atomic.Int64
	b.SetParallelism(32) // × GOMAXPROCS goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ev := jobs.ApplyEvent{Source: "bench", Kind: "standard", EventID: fmt.Sprintf("evt_%d", seq.Add(1)),
				EventType: "user.upserted", OccurredAt: time.Now(), Payload: payload}
			if _, err := client.EnqueueApplyEvent(context.Background(), ev); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "enqueues/s")
}
