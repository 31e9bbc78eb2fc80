package delivery_test

import (
	"fmt"
	"testing"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/delivery"
)

// A subscriber that never answers holds at most MaxInFlight deliveries,
// however many are queued for it and however many goroutines the worker
// has; another subscriber gets all its messages meanwhile. Without the
// per-endpoint limit the hanging endpoint would take every goroutine:
// the sink would see more than MaxInFlight requests at once, and the
// healthy endpoint's deliveries would never be made.
func TestHangingEndpointHoldsOnlyItsSlots(t *testing.T) {
	const limit, concurrency, messages = 2, 6, 12
	_, b := setup(t, delivery.Options{MaxInFlight: limit})
	b.start(concurrency)
	hanging, healthy := newHangingSink(t), newSink(t, ok)
	h, e := b.endpoint(hanging.srv.URL), b.endpoint(healthy.srv.URL)
	hanging.trust(h.Secret)
	healthy.trust(e.Secret)
	for _, m := range b.publish(messages) {
		b.waitDelivery(m, e.ID, storage.DeliveryDelivered)
	}
	if got := hanging.concurrency(); got != limit {
		t.Errorf("the hanging endpoint had %d deliveries in flight at once, want the limit of %d", got, limit)
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
