package inbox_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
	"github.com/seatsync/seatsync/worker/inbox"
)

// bundle is what an inbox test works with besides the inbox itself.
type bundle struct {
	db        *storage.DB
	queue     *jobs.Client
	redis     asynq.RedisClientOpt
	inspector *asynq.Inspector
	swept     prometheus.Counter
	log       *slog.Logger
}

// setup returns an inbox on a database of the test's own and, when
// withQueue, on a flushed Redis DB 6 (without it the inbox has no queue).
func setup(t *testing.T, withQueue bool) (*inbox.Inbox, *bundle) {
	t.Helper()
	b := &bundle{db: storagetest.NewDB(t), swept: prometheus.NewCounter(prometheus.CounterOpts{Name: "swept"}),
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if withQueue {
		b.redis = jobstest.New(t)
		b.queue = jobs.NewClient(b.redis)
		b.inspector = asynq.NewInspector(b.redis)
		t.Cleanup(func() {
			b.queue.Close()
			b.inspector.Close()
		})
	}
	return inbox.New(b.db, b.queue), b
}

// flush empties Redis, as if it had lost its data. The queue names go back
// into asynq's registry, which the client fills only on its first enqueue
// of each queue, so that the inspector can still look tasks up.
func (b *bundle) flush(t *testing.T) {
	t.Helper()
	jobstest.Flush(t, b.redis)
	rc := redis.NewClient(&redis.Options{Addr: b.redis.Addr, DB: b.redis.DB})
	defer rc.Close()
	if err := rc.SAdd(t.Context(), "asynq:queues", jobs.QueueInbound, jobs.QueueOutbound).Err(); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) sweeper(after time.Duration) *inbox.Sweeper {
	return inbox.NewSweeper(b.db, b.queue, after, b.swept, b.log)
}

func (b *bundle) sweptCount() float64 {
	var m dto.Metric
	if err := b.swept.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}

// row returns an event's inbox row.
func (b *bundle) row(t *testing.T, ev jobs.ApplyEvent) storage.InboxEvent {
	t.Helper()
	row, err := b.db.InboxEventByID(t.Context(), ev.Source, ev.EventID)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// queued returns the queued task that applies an event under taskID, or
// false when there is none.
func (b *bundle) queued(t *testing.T, taskID string) (jobs.ApplyEvent, bool) {
	t.Helper()
	info, err := b.inspector.GetTaskInfo(jobs.QueueInbound, taskID)
	if err != nil {
		return jobs.ApplyEvent{}, false
	}
	ev, err := jobs.ParseApplyEvent(info.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return ev, true
}

func event(id string) jobs.ApplyEvent {
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	body, _ := json.Marshal(map[string]any{"type": "user.upserted", "timestamp": at,
		"data": map[string]any{"customer_external_id": "acme", "external_id": id}})
	return jobs.ApplyEvent{Source: "crm", Kind: "standard", EventID: id, EventType: "user.upserted", OccurredAt: at, Payload: body}
}
