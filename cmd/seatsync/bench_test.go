package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/seatsync/seatsync/jobs"
)

// The receive path (verify, inbox insert, enqueue) is measured next to its
// two floors, taken in the same run on the same machine: a raw asynq
// enqueue and a raw single-row Postgres insert of the same payload. Read
// the results as ratios; absolute numbers drift between runs.

var benchSeq atomic.Int64

func BenchmarkReceive(b *testing.B) {
	s := newStack(b, "SEATSYNC_LOG_LEVEL=warn")
	router := s.http.Config.Handler
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
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
	s := newStack(b)
	db, err := sql.Open("postgres", s.dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(20)
	if _, err := db.Exec(`CREATE TABLE baseline (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload bytea NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	payload := userEvent("evt", time.Now()).body()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.Exec(`INSERT INTO baseline (payload) VALUES ($1)`, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}
