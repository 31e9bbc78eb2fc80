package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
	outbound "github.com/seatsync/seatsync/worker/delivery"
)

// The receive path (verify, inbox insert, enqueue) is measured next to its
// two floors, taken in the same run on the same machine: a raw asynq
// enqueue and a raw single-row Postgres insert of the same payload. Read
// the results as ratios; absolute numbers drift between runs.

var benchSeq atomic.Int64

// benchSenders are the concurrent senders the receive benchmarks run with,
// the client counts `make perf` compares with pgbench.
var benchSenders = []int{16, 64}

// parallel runs body from n goroutines (rounded to a multiple of
// GOMAXPROCS, as RunParallel does).
func parallel(b *testing.B, n int, body func(pb *testing.PB)) {
	b.SetParallelism(max(1, n/runtime.GOMAXPROCS(0)))
	b.RunParallel(body)
}

func BenchmarkReceive(b *testing.B) {
	for _, n := range benchSenders {
		b.Run(fmt.Sprintf("senders=%d", n), func(b *testing.B) {
			s := newStack(b, "SEATSYNC_LOG_LEVEL=warn")
			router := s.http.Config.Handler
			b.ReportAllocs()
			b.ResetTimer()
			parallel(b, n, func(pb *testing.PB) {
				for pb.Next() {
					id := fmt.Sprintf("evt_bench_%d", benchSeq.Add(1))
					body := userEvent(id, time.Now()).body()
					req := httptest.NewRequest(http.MethodPost, "/v1/webhooks/crm", bytes.NewReader(body))
					req.Header = signed(b, secretNew, id, time.Now(), body)
					rec := httptest.NewRecorder()
					router.ServeHTTP(rec, req)
					if rec.Code != http.StatusAccepted {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
				}
			})
		})
	}
}

func BenchmarkBaselineAsynqEnqueue(b *testing.B) {
	s := newStack(b)
	client := asynq.NewClient(s.redis)
	defer client.Close()
	payload := userEvent("evt", time.Now()).body()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("raw_%d", benchSeq.Add(1))
			t := asynq.NewTask(jobs.TypeApplyEvent, payload, asynq.TaskID(id), asynq.Queue("baseline"))
			if _, err := client.Enqueue(t); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkBaselinePostgresInsert(b *testing.B) {
	for _, n := range benchSenders {
		b.Run(fmt.Sprintf("senders=%d", n), func(b *testing.B) {
			s := newStack(b)
			db, err := sql.Open("postgres", s.dbURL)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(n)
			db.SetMaxIdleConns(n)
			if _, err := db.Exec(`CREATE TABLE baseline (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload bytea NOT NULL)`); err != nil {
				b.Fatal(err)
			}
			payload := userEvent("evt", time.Now()).body()
			b.ResetTimer()
			parallel(b, n, func(pb *testing.PB) {
				for pb.Next() {
					if _, err := db.Exec(`INSERT INTO baseline (payload) VALUES ($1)`, payload); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkDelivery drains b.N queued deliveries to a local sink through a
// real worker (sign, send, log the attempt); compare with
// BenchmarkAsynqNoopDrain in worker, the queue's own floor.
func BenchmarkDelivery(b *testing.B) {
	s := newStack(b, allowPrivate, "SEATSYNC_LOG_LEVEL=warn", "SEATSYNC_WORKER_CONCURRENCY=10")
	sk := newSink(b, "", func(string, int) int { return http.StatusOK })
	e := s.endpoint(sk.srv.URL)
	sk.trust(e.Secret)
	ctx := context.Background()
	customer := ""
	err := s.d.db.InTx(ctx, func(tx *storage.Tx) (err error) {
		if customer, err = tx.LockOrCreateCustomer(ctx, storage.CustomerRef{ExternalID: "acme"}); err != nil {
			return err
		}
		for i := range b.N {
			body := map[string]any{"type": "user.deactivated", "data": map[string]any{"n": i}}
			if err := tx.AppendOutbox(ctx, "user.deactivated", customer, "", 0, body); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	relay := outbound.NewRelay(s.d.db, s.d.queue, s.d.log)
	for {
		n, err := relay.RelayOnce(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	b.ResetTimer()
	s.startWorker()
	deadline := time.Now().Add(5 * time.Minute)
	for s.pendingDeliveries() > 0 {
		if time.Now().After(deadline) {
			b.Fatal("deliveries did not drain")
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
}

func (s *stack) pendingDeliveries() int {
	pending, err := s.d.db.PendingDeliveries(context.Background(), time.Now().Add(time.Hour), 1)
	if err != nil {
		s.t.Fatal(err)
	}
	return len(pending)
}
