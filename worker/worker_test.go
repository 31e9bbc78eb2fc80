package worker

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
	"github.com/seatsync/seatsync/webhooks"
)

// running is a started Worker on a database and a Redis DB of the test's
// own, with what a test needs to feed it.
type running struct {
	db    *storage.DB
	queue *jobs.Client
}

// startWorker starts a Worker with opts (and short polling intervals) and
// shuts it down when the test ends. Deliveries time out after a minute,
// so a subscriber that hangs holds its goroutine for the whole test.
func startWorker(t *testing.T, opts Options) running {
	t.Helper()
	db := storagetest.NewDB(t)
	opt := jobstest.New(t)
	rdb := redis.NewClient(&redis.Options{Addr: opt.Addr, DB: opt.DB})
	queue := jobs.NewClient(opt)
	t.Cleanup(func() {
		queue.Close()
		rdb.Close()
	})
	opts.TaskCheckInterval, opts.ShutdownTimeout = 10*time.Millisecond, 5*time.Second
	opts.SweepInterval, opts.SweepAfter = time.Hour, time.Hour
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := New(opts, opt, rdb, db, queue, webhooks.NewSender(time.Minute, true, 0), NewMetrics(prometheus.NewRegistry()), log)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Shutdown)
	return running{db: db, queue: queue}
}

// Deliveries run on goroutines of their own: with every one of them held
// by a subscriber that never answers, events are still applied at once.
// On one shared pool of goroutines the event would wait for the sends to
// time out.
func TestHangingDeliveriesDoNotHoldEvents(t *testing.T) {
	t.Parallel()
	const outbound = 2
	w := startWorker(t, Options{Concurrency: 2, OutboundConcurrency: outbound, MaxInFlightPerEndpoint: outbound})
	ctx := t.Context()

	var hanging atomic.Int64
	release := make(chan struct{})
	sink := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		hanging.Add(1)
		<-release
	}))
	t.Cleanup(sink.Close)
	t.Cleanup(func() { close(release) }) // runs before the worker's shutdown waits for the sends
	secret, err := webhooks.NewEndpointSecret()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.CreateEndpoint(ctx, storage.EndpointInput{URL: sink.URL, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	acme := storagetest.NewCustomer(t, w.db, "acme")
	err = w.db.InTx(ctx, func(tx *storage.Tx) error {
		for range outbound + 1 {
			body := map[string]any{"type": "seat.assigned", "timestamp": time.Now().UTC()}
			if err := tx.AppendOutbox(ctx, "seat.assigned", acme.ID, "", 0, body); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every delivery goroutine to hang", func() bool { return hanging.Load() == outbound })

	ev := standardEvent("evt_1", "user.upserted", time.Now(),
		`{"customer_external_id":"acme","external_id":"u1","email":"jane@acme.test"}`)
	if _, err := w.queue.EnqueueApplyEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the event to be applied", func() bool {
		got, err := w.db.InboxEventByID(ctx, ev.Source, ev.EventID)
		return err == nil && got.Status == storage.InboxApplied
	})
	if n := hanging.Load(); n != outbound {
		t.Errorf("the hanging subscriber got %d requests, want %d (its limit)", n, outbound)
	}
}

// waitFor polls cond for up to 10 s, well inside the sends' minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
