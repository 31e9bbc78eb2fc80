package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
)

func TestEventIsApplied(t *testing.T) {
	s := newStack(t)
	s.startWorker()
	at := time.Now().Add(-time.Second)
	for _, e := range []event{
		{id: "evt_c", typ: "customer.upserted", at: at, data: `{"external_id":"acme","name":"Acme","email":"ops@acme.test"}`},
		{id: "evt_u", typ: "user.upserted", at: at, data: `{"customer_external_id":"acme","external_id":"u1","email":"jane@acme.test","name":"Jane","groups":["eng"]}`},
		{id: "evt_d", typ: "user.deactivated", at: at.Add(time.Millisecond), data: `{"customer_external_id":"acme","external_id":"u1"}`},
	} {
		if a := s.send(e); a.status != http.StatusAccepted {
			t.Fatalf("%s: %d %v", e.id, a.status, a.body)
		}
		if got := s.waitProcessed("crm", e.id); got.Status != storage.InboxApplied {
			t.Fatalf("%s: status %q (%s), want applied", e.id, got.Status, got.Error)
		}
	}
	ctx := context.Background()
	c, err := s.d.db.CustomerByExternalID(ctx, "acme")
	if err != nil || c.Name != "Acme" || c.Email != "ops@acme.test" {
		t.Errorf("customer = %+v, %v", c, err)
	}
	u, err := s.d.db.UserByExternalID(ctx, "acme", "u1")
	if err != nil || u.Email != "jane@acme.test" || u.Status != storage.UserDeactivated || len(u.Groups) != 1 {
		t.Errorf("user = %+v, %v", u, err)
	}
}

func TestConcurrentRedeliveriesApplyOnce(t *testing.T) {
	s := newStack(t)
	s.startWorker()
	e := userEvent("evt_burst", time.Now())
	body := e.body()

	const deliveries = 50
	var wg sync.WaitGroup
	answers := make(chan answer, deliveries)
	for range deliveries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers <- s.post("/v1/webhooks/crm", signed(t, secretNew, e.id, time.Now(), body), body)
		}()
	}
	wg.Wait()
	close(answers)
	counts := map[string]int{}
	for a := range answers {
		if a.status != http.StatusAccepted {
			t.Fatalf("delivery answered %d %v", a.status, a.body)
		}
		counts[status(a)]++
	}
	if counts["enqueued"] != 1 || counts["duplicate"] != deliveries-1 {
		t.Fatalf("answers = %v, want 1 enqueued and %d duplicate", counts, deliveries-1)
	}
	if got := s.waitProcessed("crm", e.id); got.Status != storage.InboxApplied {
		t.Fatalf("status %q, want applied", got.Status)
	}
	inspector := asynq.NewInspector(s.redis)
	defer inspector.Close()
	info, err := inspector.GetQueueInfo(jobs.QueueInbound)
	if err != nil {
		t.Fatal(err)
	}
	if info.Processed != 1 {
		t.Errorf("the queue processed %d tasks, want 1", info.Processed)
	}
}

func TestOlderEventIsStale(t *testing.T) {
	s := newStack(t)
	s.startWorker()
	t0 := time.Now().Add(-time.Minute)
	newer := event{id: "evt_new", typ: "user.upserted", at: t0.Add(10 * time.Second),
		data: `{"customer_external_id":"acme","external_id":"u1","email":"new@acme.test"}`}
	older := event{id: "evt_old", typ: "user.upserted", at: t0,
		data: `{"customer_external_id":"acme","external_id":"u1","email":"old@acme.test"}`}
	s.send(newer)
	s.waitProcessed("crm", newer.id)
	s.send(older)
	if got := s.waitProcessed("crm", older.id); got.Status != storage.InboxStale {
		t.Fatalf("older event status %q, want stale", got.Status)
	}
	u, err := s.d.db.UserByExternalID(context.Background(), "acme", "u1")
	if err != nil || u.Email != "new@acme.test" {
		t.Errorf("user = %+v, %v; the older event rolled state back", u, err)
	}
}

func TestUnappliableEventFailsWithoutRetry(t *testing.T) {
	s := newStack(t)
	s.startWorker()
	for _, setup := range []event{
		{id: "evt_order", typ: "order.upserted", at: time.Now(),
			data: `{"external_id":"sub_1","customer_external_id":"acme","lines":[{"product_id":"pro","quantity":0}]}`},
		{id: "evt_user", typ: "user.upserted", at: time.Now(), data: `{"customer_external_id":"acme","external_id":"u1"}`},
	} {
		s.send(setup)
		s.waitProcessed("crm", setup.id)
	}
	// No seat exists, so the request can never succeed.
	e := event{id: "evt_seat", typ: "seat.assign_requested", at: time.Now(),
		data: `{"order_external_id":"sub_1","product_id":"pro","user_external_id":"u1"}`}
	if a := s.send(e); status(a) != "enqueued" {
		t.Fatalf("answer %d %v", a.status, a.body)
	}
	got := s.waitProcessed("crm", e.id)
	if got.Status != storage.InboxFailed || !strings.Contains(got.Error, "no_free_seat") {
		t.Fatalf("status %q error %q, want failed with a reason", got.Status, got.Error)
	}
	// The event's failure is its recorded outcome, not a failure of its
	// task: the task is done at its first attempt and leaves Redis (no task
	// is retained once done, see jobs.QueueInbound); the queue counts no failure,
	// retries nothing and archives nothing.
	inspector := asynq.NewInspector(s.redis)
	defer inspector.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		task, err := inspector.GetTaskInfo(jobs.QueueInbound, "crm:"+e.id)
		if errors.Is(err, asynq.ErrTaskNotFound) {
			info, err := inspector.GetQueueInfo(jobs.QueueInbound)
			if err != nil || info.ProcessedTotal == 0 || info.FailedTotal != 0 || info.Retry != 0 ||
				info.Archived != 0 || info.Completed != 0 {
				t.Errorf("queue counts %+v, %v; want processed tasks, none failed, retried, archived or kept", info, err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("task still in the queue: %+v, %v", task, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Shutdown drains: a task that is running when the worker is told to stop
// finishes and commits before Shutdown returns.
func TestWorkerShutdownFinishesInFlightTasks(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	// Hold the customer's row lock so that applying the event blocks.
	locked, release, held := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		held <- s.d.db.InTx(ctx, func(tx *storage.Tx) error {
			if _, err := tx.UpsertCustomer(ctx, storage.CustomerInput{ExternalID: "acme"}, time.Now()); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	w := s.d.newWorker()
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	e := userEvent("evt_inflight", time.Now())
	if a := s.send(e); status(a) != "enqueued" {
		t.Fatalf("answer %d %v", a.status, a.body)
	}
	waitActive(t, s, 1)

	stopped := make(chan struct{})
	go func() { w.Shutdown(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Shutdown returned while a task was still running")
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	<-stopped
	ev, err := s.d.db.InboxEventByID(ctx, "crm", e.id)
	if err != nil || ev.Status != storage.InboxApplied {
		t.Fatalf("after shutdown: %+v, %v; want applied", ev, err)
	}
}

func waitActive(t *testing.T, s *stack, n int) {
	t.Helper()
	inspector := asynq.NewInspector(s.redis)
	defer inspector.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := inspector.GetQueueInfo(jobs.QueueInbound)
		if err == nil && info.Active == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue never had %d active tasks: %+v, %v", n, info, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
