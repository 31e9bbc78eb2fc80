package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/seatsync/seatsync/storage"
)

// BenchmarkAPIAssign measures a management API write end to end: a PUT
// that seats a user or frees the seat (authentication, rate limit, one
// engine transaction under row locks, one outbox row, the answer read
// back). Each parallel client has its own customer, whose row lock every
// write of that customer takes first, so the figure is the write path's,
// not lock contention's. Compare with cmd/seatsync's
// BenchmarkBaselinePostgresInsert from the same run.
func BenchmarkAPIAssign(b *testing.B) {
	s := newAPITest(b, withLogLevel(slog.LevelWarn), withRateLimit(100000, 100000))
	ctx := context.Background()
	_, secret, err := s.db.CreateAPIKey(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	router := s.engine
	call := func(method, path, body string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		if rec.Code >= 300 {
			b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
	}
	var clients atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		n := clients.Add(1)
		customer, order, user := fmt.Sprintf("c_%d", n), fmt.Sprintf("sub_%d", n), "u_1"
		call(http.MethodPut, "/v1/customers/"+customer, `{}`)
		call(http.MethodPut, "/v1/orders/"+order, `{"customer_external_id":"`+customer+`","lines":[{"product_id":"pro","quantity":1}]}`)
		call(http.MethodPut, "/v1/customers/"+customer+"/users/"+user, `{}`)
		seats, err := s.db.OrderSeats(ctx, order, storage.SeatFilter{})
		if err != nil || len(seats) != 1 {
			b.Fatalf("seats of %s: %v %v", order, seats, err)
		}
		path := "/v1/orders/" + order + "/seats/" + seats[0].ID
		for i := 0; pb.Next(); i++ {
			body := `{"user_external_id":"` + user + `"}`
			if i%2 == 1 {
				body = `{"user_external_id":null}`
			}
			call(http.MethodPut, path, body)
		}
	})
}
