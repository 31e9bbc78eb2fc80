package worker

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
	"github.com/seatsync/seatsync/worker/engine"
	"github.com/seatsync/seatsync/worker/inbox"
)

func newHandler(t testing.TB) (*EventHandler, *storage.DB) {
	t.Helper()
	db := storagetest.NewDB(t)
	return &EventHandler{inbox: inbox.New(db, nil), engine: engine.New(), log: slog.New(slog.NewTextHandler(io.Discard, nil))}, db
}

// applyOnce is the handler's transaction without the queue.
func (h *EventHandler) applyOnce(ctx context.Context, ev jobs.ApplyEvent) (outcome, reason string, err error) {
	_, outcome, reason, err = h.applyInbox(ctx, ev)
	return outcome, reason, err
}

func standardEvent(id, typ string, at time.Time, data string) jobs.ApplyEvent {
	body, _ := json.Marshal(map[string]any{"type": typ, "timestamp": at, "data": json.RawMessage(data)})
	return jobs.ApplyEvent{Source: "crm", Kind: "standard", EventID: id, EventType: typ, OccurredAt: at, Payload: body}
}

// The queue's task ID is only a first filter: even when the same event
// reaches many workers at once, Postgres lets exactly one apply it.
func TestApplyOnceUnderConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	h, db := newHandler(t)
	ev := standardEvent("evt_1", "user.upserted", time.Now(),
		`{"customer_external_id":"acme","external_id":"u1","email":"jane@acme.test"}`)

	const workers = 50
	outcomes := make(chan string, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcome, _, err := h.applyOnce(context.Background(), ev)
			if err != nil {
				t.Error(err)
			}
			outcomes <- outcome
		}()
	}
	wg.Wait()
	close(outcomes)
	counts := map[string]int{}
	for o := range outcomes {
		counts[o]++
	}
	if counts[storage.InboxApplied] != 1 || counts["duplicate"] != workers-1 {
		t.Fatalf("outcomes = %v, want 1 applied and %d duplicate", counts, workers-1)
	}
	if _, err := db.UserByExternalID(context.Background(), "acme", "u1"); err != nil {
		t.Fatal(err)
	}
}

func TestApplyOutcomes(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		before  []jobs.ApplyEvent
		ev      jobs.ApplyEvent
		want    string
		wantErr bool // a reason is recorded
	}{
		{
			name: "customer applied",
			ev:   standardEvent("e1", "customer.upserted", t0, `{"external_id":"acme","name":"Acme"}`),
			want: storage.InboxApplied,
		},
		{
			name:   "older customer event is stale",
			before: []jobs.ApplyEvent{standardEvent("e0", "customer.upserted", t0.Add(time.Hour), `{"external_id":"acme","name":"New"}`)},
			ev:     standardEvent("e1", "customer.upserted", t0, `{"external_id":"acme","name":"Old"}`),
			want:   storage.InboxStale,
		},
		{
			name:   "deactivation older than the creation is stale",
			before: []jobs.ApplyEvent{standardEvent("e0", "user.upserted", t0.Add(time.Hour), `{"customer_external_id":"acme","external_id":"u1"}`)},
			ev:     standardEvent("e1", "user.deactivated", t0, `{"customer_external_id":"acme","external_id":"u1"}`),
			want:   storage.InboxStale,
		},
		{
			name: "order applied",
			ev: standardEvent("e1", "order.upserted", t0,
				`{"external_id":"sub_1","customer_external_id":"acme","lines":[{"product_id":"pro","quantity":3}]}`),
			want: storage.InboxApplied,
		},
		{
			name: "cancellation older than the order's status is stale",
			before: []jobs.ApplyEvent{standardEvent("e0", "order.upserted", t0.Add(time.Hour),
				`{"external_id":"sub_1","customer_external_id":"acme","lines":[]}`)},
			ev:   standardEvent("e1", "order.canceled", t0, `{"external_id":"sub_1"}`),
			want: storage.InboxStale,
		},
		{
			name: "a request that breaks a seat rule fails for good",
			before: []jobs.ApplyEvent{standardEvent("e0", "order.upserted", t0,
				`{"external_id":"sub_1","customer_external_id":"acme","lines":[{"product_id":"pro","quantity":0}]}`),
				standardEvent("eu", "user.upserted", t0, `{"customer_external_id":"acme","external_id":"u1"}`)},
			ev:      standardEvent("e1", "seat.assign_requested", t0, `{"order_external_id":"sub_1","product_id":"pro","user_external_id":"u1"}`),
			want:    storage.InboxFailed,
			wantErr: true,
		},
		{
			name:    "undecodable payload",
			ev:      jobs.ApplyEvent{Source: "crm", Kind: "standard", EventID: "e1", EventType: "user.upserted", OccurredAt: t0, Payload: []byte(`{"type":"user.upserted"}`)},
			want:    storage.InboxFailed,
			wantErr: true,
		},
		{
			name:    "unknown kind",
			ev:      jobs.ApplyEvent{Source: "crm", Kind: "carrier-pigeon", EventID: "e1", EventType: "x", OccurredAt: t0, Payload: []byte(`{}`)},
			want:    storage.InboxFailed,
			wantErr: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, db := newHandler(t)
			ctx := context.Background()
			for _, ev := range tc.before {
				if _, _, err := h.applyOnce(ctx, ev); err != nil {
					t.Fatal(err)
				}
			}
			outcome, reason, err := h.applyOnce(ctx, tc.ev)
			if err != nil {
				t.Fatal(err)
			}
			if outcome != tc.want || (reason != "") != tc.wantErr {
				t.Fatalf("outcome %q reason %q, want %q (reason: %v)", outcome, reason, tc.want, tc.wantErr)
			}
			row, err := db.InboxEventByID(ctx, tc.ev.Source, tc.ev.EventID)
			if err != nil || row.Status != tc.want || row.Error != reason || row.ProcessedAt == nil {
				t.Errorf("inbox row = %+v, %v", row, err)
			}
			// Applying again changes nothing.
			if again, _, _ := h.applyOnce(ctx, tc.ev); again != "duplicate" {
				t.Errorf("second apply: %q, want duplicate", again)
			}
		})
	}
}

// A cancellation of an order no event created yet is not a failure of the
// event: it is retried, because the creation may still be on its way.
func TestCancelOfUnknownOrderIsRetried(t *testing.T) {
	t.Parallel()
	h, db := newHandler(t)
	ctx := context.Background()
	ev := standardEvent("e1", "order.canceled", time.Now(), `{"external_id":"sub_404"}`)
	if _, _, err := h.applyOnce(ctx, ev); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("err = %v, want a retryable ErrNotFound", err)
	}
	row, err := db.InboxEventByID(ctx, "crm", "e1")
	if err == nil && row.Status != storage.InboxReceived {
		t.Errorf("inbox row %+v, want it still received (or absent)", row)
	}
}

// A seat request that breaks a rule is an expected outcome: the task ends
// without an error (nothing for asynq to count or archive), the inbox row
// says failed and why, and one WARN line says so. Lines about a customer's
// work name the customer.
func TestRuleBreakingRequestCompletesWithAWarning(t *testing.T) {
	t.Parallel()
	h, db := newHandler(t)
	var logs strings.Builder
	var mu sync.Mutex
	h.log = slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))
	ctx := context.Background()
	t0 := time.Now()
	for _, ev := range []jobs.ApplyEvent{
		standardEvent("e0", "order.upserted", t0, `{"external_id":"sub_1","customer_external_id":"acme","lines":[{"product_id":"pro","quantity":0}]}`),
		standardEvent("eu", "user.upserted", t0, `{"customer_external_id":"acme","external_id":"u1"}`),
		standardEvent("e1", "seat.assign_requested", t0, `{"order_external_id":"sub_1","product_id":"pro","user_external_id":"u1"}`),
	} {
		payload, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.ProcessTask(ctx, asynq.NewTask(jobs.TypeApplyEvent, payload)); err != nil {
			t.Fatalf("%s: %v, want the task done", ev.EventID, err)
		}
	}
	row, err := db.InboxEventByID(ctx, "crm", "e1")
	if err != nil || row.Status != storage.InboxFailed || row.Error == "" {
		t.Fatalf("inbox row = %+v, %v; want failed with its reason", row, err)
	}
	mu.Lock()
	defer mu.Unlock()
	var warns, errs int
	for line := range strings.Lines(logs.String()) {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		switch l["level"] {
		case "WARN":
			warns++
			if l["event_id"] != "e1" || l["reason"] != row.Error {
				t.Errorf("warning %v, want it about e1 with its reason", l)
			}
		case "ERROR":
			errs++
		}
		if l["event_id"] == "eu" && l["customer"] != "acme" {
			t.Errorf("line %v does not name the customer", l)
		}
	}
	if warns != 1 || errs != 0 {
		t.Errorf("%d warnings and %d errors logged, want one warning:\n%s", warns, errs, logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
