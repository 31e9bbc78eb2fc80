package delivery_test

import (
	"context"
	"slices"
	"testing"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/delivery"
)

// The relay fans a message out to the enabled endpoints that want its
// type, once, and enqueues a task per delivery.
func TestRelayFansOutOnce(t *testing.T) {
	_, b := setup(t, delivery.Options{})
	ctx := context.Background()
	all := b.endpoint("https://all.example/")
	assigned := b.endpoint("https://assigned.example/", "seat.assigned")
	revoked := b.endpoint("https://revoked.example/", "seat.revoked")
	disabled := b.endpoint("https://disabled.example/")
	if err := b.db.DisableEndpoint(ctx, disabled.ID, "test"); err != nil {
		t.Fatal(err)
	}
	msg := b.publish(1)[0] // relays until nothing is left
	ds, err := b.db.MessageDeliveries(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.EndpointID)
	}
	want := []string{all.ID, assigned.ID}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("deliveries to %v, want %v (not %s nor %s)", got, want, revoked.ID, disabled.ID)
	}
	info, err := b.inspector.GetQueueInfo(jobs.QueueOutbound)
	if err != nil || info.Pending != 2 {
		t.Errorf("outbound queue %+v, %v; want 2 pending tasks", info, err)
	}
	if n, err := b.relay.RelayOnce(ctx); err != nil || n != 0 {
		t.Errorf("second relay created %d, %v; want 0", n, err)
	}
}

// The queue is only a cache of the deliveries table: when Redis loses the
// tasks, the relay's sweep enqueues them again, once.
func TestDeliveriesSurviveRedisLosingTheirTasks(t *testing.T) {
	_, b := setup(t, delivery.Options{})
	sk := newSink(t, ok)
	e := b.endpoint(sk.srv.URL)
	sk.trust(e.Secret)
	msg := b.publish(1)[0]
	jobstest.Flush(t, b.redis)
	ctx := context.Background()
	if n, err := b.relay.Sweep(ctx, 0); err != nil || n != 1 {
		t.Fatalf("sweep re-enqueued %d, %v; want 1", n, err)
	}
	if n, err := b.relay.Sweep(ctx, 0); err != nil || n != 0 {
		t.Errorf("second sweep re-enqueued %d, %v; want 0: the task is queued", n, err)
	}
	b.start(10)
	b.waitDelivery(msg, e.ID, storage.DeliveryDelivered)
	if n, err := b.relay.Sweep(ctx, 0); err != nil || n != 0 {
		t.Errorf("sweep after delivery re-enqueued %d, %v; want 0", n, err)
	}
}
