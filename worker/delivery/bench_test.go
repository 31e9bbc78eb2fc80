package delivery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/worker/delivery"
)

// The delivery benchmarks run the handler under an asynq server of the
// shape of the worker's outbound one (the outbound queue alone, at the
// default SEATSYNC_OUTBOUND_CONCURRENCY of 20) against local sinks;
// .ci/perf-delivery runs them with BenchmarkBaselineAsynqNoopDrain in the
// same run and reports the ratios. Absolute figures drift between runs and machines;
// the ratios are what to compare.

const benchConcurrency = 20

// quietRedis drops go-redis's own log lines from here on: one printed
// while a benchmark runs lands inside its result line, which
// .ci/perf-delivery reads (a pool warning once broke a run's figures).
func quietRedis() { redis.SetLogger(discardRedisLog{}) }

type discardRedisLog struct{}

func (discardRedisLog) Printf(context.Context, string, ...any) {}

// BenchmarkBaselineAsynqNoopDrain is the queue's own floor: how fast a
// server of the same shape drains outbound tasks whose handler does
// nothing.
func BenchmarkBaselineAsynqNoopDrain(b *testing.B) {
	quietRedis()
	_, bb := setup(b, delivery.Options{})
	jobstest.NoopDrain(b, bb.redis, jobs.QueueOutbound, 120, benchConcurrency) // a delivery task's payload size
}

// BenchmarkBaselineSendDrain is the floor of a delivery to one sink: the
// same server draining outbound tasks whose handler only POSTs a body of
// a seat.assigned message's size to a sink like the one of
// BenchmarkDeliveryOneSink, at most the default in-flight limit at once,
// over kept-alive connections. What a delivery adds to it (reading the
// message, signing, recording the attempt, the endpoint's slots) is
// seatsync's own cost.
func BenchmarkBaselineSendDrain(b *testing.B) {
	quietRedis()
	_, bb := setup(b, delivery.Options{})
	sk := newSink(b, ok)
	body, err := json.Marshal(map[string]any{"type": "seat.assigned", "timestamp": time.Now().UTC(), "data": map[string]any{
		"seat_id": "seat_1000", "customer": map[string]any{"id": bb.customer, "external_id": "acme"},
		"product_id": "pro", "user": map[string]any{"external_id": "u1"},
	}})
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchConcurrency}, Timeout: 15 * time.Second}
	inFlight := make(chan struct{}, delivery.DefaultMaxInFlight)
	jobstest.Drain(b, bb.redis, jobs.QueueOutbound, 120, benchConcurrency, func(ctx context.Context) error {
		inFlight <- struct{}{}
		defer func() { <-inFlight }()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, sk.srv.URL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		return res.Body.Close()
	})
}

// BenchmarkDeliveryOneSink drains b.N queued deliveries to one healthy
// local sink: load, sign, send, log the attempt, within the endpoint's
// in-flight limit (the default, 4).
func BenchmarkDeliveryOneSink(b *testing.B) {
	benchmarkOneSink(b, delivery.Options{})
}

// BenchmarkDeliveryOneSinkInFlight10 is the same with the limit raised to
// 10 (SEATSYNC_OUTBOUND_MAX_IN_FLIGHT=10).
func BenchmarkDeliveryOneSinkInFlight10(b *testing.B) {
	benchmarkOneSink(b, delivery.Options{MaxInFlight: 10})
}

func benchmarkOneSink(b *testing.B, o delivery.Options) {
	quietRedis()
	_, bb := setup(b, o)
	var got atomic.Int64
	all := make(chan struct{})
	sk := newSink(b, func(string, int, http.ResponseWriter) int {
		if got.Add(1) == int64(b.N) {
			close(all)
		}
		return http.StatusOK
	})
	bb.endpoint(sk.srv.URL)
	bb.publish(b.N)
	b.ResetTimer()
	bb.start(benchConcurrency)
	<-all
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
	// Kept alive, the connections are about one per slot, however many
	// deliveries went over them: a send on a slot just handed over can
	// start before the last request's connection is back in the pool, and
	// dial one more now and then.
	b.ReportMetric(float64(sk.conns.Load()), "connections")
	b.ReportMetric(bb.deferred(), "deferred")
}

// BenchmarkFanOut50 publishes one message at a time to 50 endpoints and
// waits until all 50 have it; it reports the p99 of the delay from the
// message's relay to its arrival at each endpoint.
func BenchmarkFanOut50(b *testing.B) {
	benchmarkFanOut(b, false)
}

// BenchmarkFanOut50OneHanging is BenchmarkFanOut50 with the 50th endpoint
// never answering (each attempt times out after 15 s): the p99 of the 49
// others is the figure to compare with BenchmarkFanOut50's.
func BenchmarkFanOut50OneHanging(b *testing.B) {
	benchmarkFanOut(b, true)
}

func benchmarkFanOut(b *testing.B, oneHanging bool) {
	quietRedis()
	_, bb := setup(b, delivery.Options{})
	bb.start(benchConcurrency)
	var mu sync.Mutex
	arrived := map[string][]time.Time{}
	signal := make(chan struct{}, 1)
	sk := newSink(b, func(id string, _ int, _ http.ResponseWriter) int {
		mu.Lock()
		arrived[id] = append(arrived[id], time.Now())
		mu.Unlock()
		select {
		case signal <- struct{}{}:
		default:
		}
		return http.StatusOK
	})
	healthy := 50
	if oneHanging {
		healthy = 49
		bb.endpoint(newHangingSink(b).srv.URL)
	}
	for i := range healthy {
		bb.endpoint(fmt.Sprintf("%s/e%d", sk.srv.URL, i))
	}
	var latencies []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		msg := bb.publish(1)[0]
		for {
			mu.Lock()
			n := len(arrived[msg])
			mu.Unlock()
			if n >= healthy {
				break
			}
			select {
			case <-signal:
			case <-time.After(time.Minute):
				b.Fatalf("message %s reached %d of %d endpoints in a minute", msg, n, healthy)
			}
		}
		mu.Lock()
		for _, at := range arrived[msg] {
			latencies = append(latencies, at.Sub(start))
		}
		mu.Unlock()
	}
	b.StopTimer()
	slices.Sort(latencies)
	p := func(q float64) float64 {
		return float64(latencies[min(len(latencies)-1, int(q*float64(len(latencies))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(p(0.50), "p50_ms")
	b.ReportMetric(p(0.99), "p99_ms")
	b.ReportMetric(bb.deferred(), "deferred")
	b.ReportMetric(0, "ns/op")
}
