package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/seatsync/seatsync/storage"
)

// elasticSizes are the pool sizes of the elastic benchmarks: growth must
// cost the same at both.
var elasticSizes = []int{100, 10_000}

// BenchmarkElasticGrowth: on a full elastic line of `size` seats, a new
// user entitled by automatic assignment appears; the line grows a seat
// for them (one insert, one seat.pool_updated). Run with
//
//	go test -run '^$' -bench Elastic -benchtime 200x ./worker/engine
func BenchmarkElasticGrowth(b *testing.B) {
	for _, size := range elasticSizes {
		b.Run(fmt.Sprintf("seats=%d", size), func(b *testing.B) {
			p := newBenchPool(b, size, size)
			p.exec(`UPDATE order_lines SET elastic = true`)
			b.ResetTimer()
			for i := range b.N {
				p.upsertUser(fmt.Sprint("new", i), "")
			}
			b.StopTimer()
			var live int
			p.tx("count", func(ctx context.Context, tx *storage.Tx) error {
				line, err := tx.LockLine(ctx, "sub_1", "pro")
				live = line.Live
				return err
			})
			if live != size+b.N {
				b.Fatalf("line holds %d seats, want %d", live, size+b.N)
			}
		})
	}
}

// BenchmarkElasticLeaveAndReturn: on an elastic line of `size` seats, half
// of them grown, a seated user is unassigned (the grown seat is retired at
// once, release immediate) and assigned again (the line grows a seat):
// two transactions per iteration.
func BenchmarkElasticLeaveAndReturn(b *testing.B) {
	for _, size := range elasticSizes {
		b.Run(fmt.Sprintf("seats=%d", size), func(b *testing.B) {
			p := newBenchPool(b, size, size)
			p.exec(fmt.Sprintf(`UPDATE order_lines SET elastic = true, quantity = %d`, size/2))
			b.ResetTimer()
			for i := range b.N {
				id := fmt.Sprint("u", 1+i%size)
				p.tx("unassign "+id, func(ctx context.Context, tx *storage.Tx) error {
					return p.engine.Unassign(ctx, tx, "sub_1", "pro", id)
				})
				p.tx("assign "+id, func(ctx context.Context, tx *storage.Tx) error {
					return p.engine.Assign(ctx, tx, "sub_1", "pro", "", id)
				})
			}
			b.StopTimer()
			var live int
			p.tx("count", func(ctx context.Context, tx *storage.Tx) error {
				line, err := tx.LockLine(ctx, "sub_1", "pro")
				live = line.Live
				return err
			})
			if live != size {
				b.Fatalf("line holds %d seats, want %d", live, size)
			}
		})
	}
}
