package delivery_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/delivery"
)

// A subscriber that never answers holds at most MaxInFlight deliveries,
// however many are queued for it and however many goroutines the worker
// has; another subscriber gets all its messages meanwhile. Without the
// per-endpoint limit the hanging endpoint would take every goroutine:
// the sink would see more than MaxInFlight requests at once, and the
// healthy endpoint's deliveries would never be made.
//
// The bound holds across worker processes too: with two of them, each with
// more goroutines than the limit, they hold no more than the limit between
// them.
func TestHangingEndpointHoldsOnlyItsSlots(t *testing.T) {
	for _, tc := range []struct{ processes, limit int }{{1, 2}, {2, 3}} {
		t.Run(fmt.Sprintf("processes=%d", tc.processes), func(t *testing.T) {
			const concurrency, messages = 6, 12
			o := delivery.Options{MaxInFlight: tc.limit}
			_, b := setup(t, o)
			b.start(concurrency)
			for range tc.processes - 1 {
				b.startProcess(o, concurrency)
			}
			hanging, healthy := newHangingSink(t), newSink(t, ok)
			h, e := b.endpoint(hanging.srv.URL), b.endpoint(healthy.srv.URL)
			hanging.trust(h.Secret)
			healthy.trust(e.Secret)
			for _, m := range b.publish(messages) {
				b.waitDelivery(m, e.ID, storage.DeliveryDelivered)
			}
			if got := hanging.concurrency(); got != tc.limit {
				t.Errorf("the hanging endpoint had %d deliveries in flight at once, want the limit of %d", got, tc.limit)
			}
		})
	}
}

// A busy healthy endpoint's deliveries hand their slots to one another
// within the limit, and once the backlog is drained every slot is given
// back to Redis (after idling for a moment in the process).
func TestDrainedEndpointGivesItsSlotsBack(t *testing.T) {
	const limit, concurrency, messages = 2, 8, 40
	_, b := setup(t, delivery.Options{MaxInFlight: limit})
	b.start(concurrency)
	sk := newSink(t, ok)
	e := b.endpoint(sk.srv.URL)
	sk.trust(e.Secret)
	for _, m := range b.publish(messages) {
		b.waitDelivery(m, e.ID, storage.DeliveryDelivered)
	}
	if got := sk.concurrency(); got > limit {
		t.Errorf("the endpoint had %d deliveries in flight at once, over the limit of %d", got, limit)
	}
	// A delivery gives its slot back before it records its attempt.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		n, err := b.rdb.ZCard(t.Context(), "seatsync:endpoint-slots:"+e.ID).Result()
		if err == nil && n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the drained endpoint holds %d slots in Redis (%v) 5 s later, want none", n, err)
		}
	}
}

// One event fanned out to 50 endpoints reaches the 49 that answer while
// the 50th hangs.
func TestFanOutToFiftyEndpointsWithOneHanging(t *testing.T) {
	_, b := setup(t, delivery.Options{})
	b.start(10)
	hanging, healthy := newHangingSink(t), newSink(t, ok)
	h := b.endpoint(hanging.srv.URL)
	hanging.trust(h.Secret)
	var endpoints []string
	for i := range 49 {
		endpoints = append(endpoints, b.endpoint(fmt.Sprintf("%s/e%d", healthy.srv.URL, i)).ID)
	}
	msg := b.publish(1)[0]
	for i, id := range endpoints {
		b.waitDelivery(msg, id, storage.DeliveryDelivered)
		if n := healthy.pathRequests(fmt.Sprintf("/e%d", i)); n != 1 {
			t.Errorf("endpoint %d got %d requests, want 1", i, n)
		}
	}
	if status, _, _, err := b.db.DeliveryStatus(t.Context(), msg, h.ID); err != nil || status != storage.DeliveryPending {
		t.Errorf("the hanging endpoint's delivery is %q, %v; want pending", status, err)
	}
	if hanging.requests(msg) != 1 {
		t.Errorf("the hanging endpoint got %d requests, want 1 (still in flight)", hanging.requests(msg))
	}
}
