package delivery_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/delivery"
)

// A subscriber that is briefly unavailable gets every message again, with
// the same webhook-id, once it is back; every attempt is logged.
func TestDeliveryRetriesUntilDelivered(t *testing.T) {
	_, b := setup(t, delivery.Options{})
	b.start(10)
	sk := newSink(t, func(_ string, attempt int, w http.ResponseWriter) int {
		if attempt == 1 {
			w.Header().Set("Retry-After", "1")
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	e := b.endpoint(sk.srv.URL)
	sk.trust(e.Secret)
	msgs := b.publish(2)
	ctx := context.Background()
	for _, m := range msgs {
		if attempts := b.waitDelivery(m, e.ID, storage.DeliveryDelivered); attempts != 2 {
			t.Errorf("message %s delivered after %d attempts, want 2", m, attempts)
		}
		if n := sk.requests(m); n != 2 {
			t.Errorf("message %s reached the sink %d times under its webhook-id, want 2", m, n)
		}
	}
	// What GET /v1/messages/{id}/deliveries answers.
	ds, err := b.db.MessageDeliveries(ctx, msgs[0])
	if err != nil || len(ds) != 1 || ds[0].EndpointID != e.ID || ds[0].Status != storage.DeliveryDelivered || ds[0].Attempts != 2 {
		t.Fatalf("message deliveries = %+v, %v", ds, err)
	}
	attempts, err := b.db.DeliveryAttempts(ctx, ds[0].ID)
	if err != nil || len(attempts) != 2 || *attempts[0].StatusCode != 503 || *attempts[1].StatusCode != 200 {
		t.Errorf("attempt log = %+v, %v", attempts, err)
	}
}

// asynq keeps retry times in whole seconds: a Retry-After of 1 s answered
// near the end of a wall-clock second must still not bring the retry
// before a full second has passed since the answer.
func TestRetryAfterIsNeverEarly(t *testing.T) {
	_, b := setup(t, delivery.Options{})
	b.start(10)
	var mu sync.Mutex
	answered := map[string]time.Time{}
	sk := newSink(t, func(id string, attempt int, w http.ResponseWriter) int {
		if attempt > 1 {
			return http.StatusOK
		}
		// Answer in the last tenth of a wall-clock second, where cutting
		// the retry time to whole seconds loses the most.
		now := time.Now()
		if frac := now.Sub(now.Truncate(time.Second)); frac < 900*time.Millisecond {
			time.Sleep(900*time.Millisecond - frac)
		}
		w.Header().Set("Retry-After", "1")
		mu.Lock()
		answered[id] = time.Now()
		mu.Unlock()
		return http.StatusTooManyRequests
	})
	e := b.endpoint(sk.srv.URL)
	sk.trust(e.Secret)
	msgs := b.publish(3)
	for _, m := range msgs {
		b.waitDelivery(m, e.ID, storage.DeliveryDelivered)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, m := range msgs {
		got := sk.arrivals(m)
		if len(got) != 2 {
			t.Fatalf("message %s: %d requests, want 2", m, len(got))
		}
		if wait := got[1].Sub(answered[m]); wait < time.Second {
			t.Errorf("message %s retried %s after answering Retry-After: 1", m, wait)
		}
	}
}

// A plain 500 is retried on the schedule (5 s ± 20 % first) under the same
// webhook-id.
func TestDeliveryRetriesAfterServerError(t *testing.T) {
	_, b := setup(t, delivery.Options{})
	b.start(10)
	sk := newSink(t, func(_ string, attempt int, _ http.ResponseWriter) int {
		if attempt == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	e := b.endpoint(sk.srv.URL)
	sk.trust(e.Secret)
	msg := b.publish(1)[0]
	if attempts := b.waitDelivery(msg, e.ID, storage.DeliveryDelivered); attempts != 2 || sk.requests(msg) != 2 {
		t.Errorf("delivered after %d attempts and %d requests under one webhook-id, want 2 and 2", attempts, sk.requests(msg))
	}
}

func TestGoneDisablesTheEndpoint(t *testing.T) {
	_, b := setup(t, delivery.Options{})
	b.start(10)
	sk := newSink(t, func(string, int, http.ResponseWriter) int { return http.StatusGone })
	e := b.endpoint(sk.srv.URL)
	sk.trust(e.Secret)
	msg := b.publish(1)[0]
	b.waitDelivery(msg, e.ID, storage.DeliveryFailed)
	got, err := b.db.Endpoint(context.Background(), e.ID)
	if err != nil || got.Enabled || got.DisabledReason == "" {
		t.Fatalf("endpoint = %+v, %v; want disabled with a reason", got, err)
	}
}

// An endpoint whose every delivery has failed for DisableAfter is disabled
// by the attempt that finds it so, in the transaction that records the
// attempt, and that delivery fails instead of being retried.
func TestFailingTooLongDisablesTheEndpoint(t *testing.T) {
	h, b := setup(t, delivery.Options{DisableAfter: time.Hour})
	sk := newSink(t, func(string, int, http.ResponseWriter) int { return http.StatusInternalServerError })
	e := b.endpoint(sk.srv.URL)
	msg := b.publish(1)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if err := h.ProcessTask(ctx, b.deliverTask(msg, e.ID)); err == nil {
		t.Fatal("a failed attempt ended the task; want it retried")
	}
	if got, _ := b.db.Endpoint(ctx, e.ID); !got.Enabled || got.FailingSince == nil {
		t.Fatalf("after one failure: %+v, want enabled and failing", got)
	}
	b.clock.advance(59 * time.Minute)
	if err := h.ProcessTask(ctx, b.deliverTask(msg, e.ID)); err == nil {
		t.Fatal("a failed attempt within the hour ended the task")
	}
	b.clock.advance(2 * time.Minute)
	if err := h.ProcessTask(ctx, b.deliverTask(msg, e.ID)); err != nil {
		t.Fatalf("the attempt that disables the endpoint: %v, want the task done", err)
	}
	got, err := b.db.Endpoint(ctx, e.ID)
	if err != nil || got.Enabled || !strings.Contains(got.DisabledReason, "every delivery failed for 1h0m0s") {
		t.Fatalf("endpoint = %+v, %v; want disabled for failing an hour", got, err)
	}
	status, attempts, _, err := b.db.DeliveryStatus(ctx, msg, e.ID)
	if err != nil || status != storage.DeliveryFailed || attempts != 3 {
		t.Errorf("delivery %s after %d attempts, %v; want failed after 3", status, attempts, err)
	}
	// A disabled endpoint gets nothing more.
	if err := h.ProcessTask(ctx, b.deliverTask(msg, e.ID)); err != nil || sk.requests(msg) != 3 {
		t.Errorf("after disabling: %v and %d requests, want nothing sent", err, sk.requests(msg))
	}
}

// During a rotation's grace period every delivery carries a signature
// for the old secret and one for the new.
func TestRotationSignsWithBothSecrets(t *testing.T) {
	_, b := setup(t, delivery.Options{})
	b.start(10)
	sk := newSink(t, ok)
	e := b.endpoint(sk.srv.URL)
	secret := b.endpoint("https://other.example/").Secret // a fresh secret
	rotated, err := b.db.RotateEndpointSecret(context.Background(), e.ID, secret, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sk.trust(e.Secret, rotated.Secret) // the sink checks both
	for _, m := range b.publish(2) {
		b.waitDelivery(m, e.ID, storage.DeliveryDelivered)
	}
}
