package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
)

// BenchmarkScheduleStep: a reduction by 5 seats is scheduled on the big,
// full line (rule 6 marks the 5 most recently seated), then cancelled by
// the next event (the marks are cleared): two events per iteration, whose
// cost must not follow the pool's size.
func BenchmarkScheduleStep(b *testing.B) {
	for _, size := range poolSizes {
		b.Run(fmt.Sprintf("seats=%d", size), func(b *testing.B) {
			p := newBenchPool(b, size, size)
			end := time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC)
			reduced := size - 5
			set := func(sq *int) {
				p.tx("schedule", func(ctx context.Context, tx *storage.Tx) error {
					line := storage.LineInput{ProductID: "pro", Quantity: size}
					if sq != nil {
						line.ScheduledQuantity, line.ScheduledAt = sq, &end
					}
					_, err := p.engine.UpsertOrder(ctx, tx, storage.OrderInput{
						ExternalID: "sub_1", Customer: storage.CustomerRef{ExternalID: "acme"}, Status: storage.OrderActive,
						Lines: []storage.LineInput{line},
					}, p.at())
					return err
				})
			}
			b.ResetTimer()
			for range b.N {
				set(&reduced)
				set(nil)
			}
		})
	}
}
