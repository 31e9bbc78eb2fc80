package storage_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

// BenchmarkInsertInboxEvent is the Postgres half of the receive path;
// compare it with BenchmarkBaselinePostgresInsert in cmd/seatsync.
func BenchmarkInsertInboxEvent(b *testing.B) {
	db := storagetest.NewDB(b)
	payload := make([]byte, 420)
	var seq atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, err := db.InsertInboxEvent(context.Background(), storage.InboxEvent{
				Source: "bench", Kind: "standard", EventID: fmt.Sprintf("evt_%d", seq.Add(1)),
				EventType: "user.upserted", OccurredAt: time.Now(), Payload: payload,
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
