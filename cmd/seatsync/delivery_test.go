package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/webhooks"
)

// sink is a subscriber: it verifies every delivery with the official
// Standard Webhooks library and answers what respond says.
type sink struct {
	t       testing.TB
	secrets []string
	respond func(id string, attempt int) int
	mu      sync.Mutex
	got     map[string]int // webhook-id → requests
	bodies  map[string][]byte
	srv     *httptest.Server
}

func newSink(t testing.TB, secret string, respond func(id string, attempt int) int) *sink {
	s := &sink{t: t, secrets: []string{secret}, respond: respond, got: map[string]int{}, bodies: map[string][]byte{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	secrets := append([]string{}, s.secrets...)
	s.mu.Unlock()
	for _, secret := range secrets {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			s.t.Error(err)
		}
		if err := wh.Verify(body, r.Header); err != nil {
			s.t.Errorf("delivery does not verify with secret %.12s…: %v", secret, err)
		}
	}
	id := r.Header.Get("webhook-id")
	s.mu.Lock()
	s.got[id]++
	s.bodies[id] = body
	attempt := s.got[id]
	s.mu.Unlock()
	code := s.respond(id, attempt)
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(code)
}

func (s *sink) trust(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets = secrets
}

func (s *sink) requests(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[id]
}

func (s *stack) endpoint(url string, eventTypes ...string) storage.Endpoint {
	s.t.Helper()
	secret, err := webhooks.NewEndpointSecret()
	if err != nil {
		s.t.Fatal(err)
	}
	e, err := s.d.db.CreateEndpoint(context.Background(), storage.EndpointInput{URL: url, EventTypes: eventTypes, Secret: secret})
	if err != nil {
		s.t.Fatal(err)
	}
	return e
}

// seatEvents makes an order of one seat and seats a user: two outbound
// messages, seat.pool_updated and seat.assigned.
func (s *stack) seatEvents(order string) {
	s.t.Helper()
	at := time.Now()
	for _, e := range []event{
		{id: "evt_o_" + order, typ: "order.upserted", at: at, data: `{"external_id":"` + order + `","customer_external_id":"acme","lines":[{"product_id":"pro","quantity":1}]}`},
		{id: "evt_u_" + order, typ: "user.upserted", at: at, data: `{"customer_external_id":"acme","external_id":"u1","email":"jane@acme.test"}`},
		{id: "evt_a_" + order, typ: "seat.assign_requested", at: at, data: `{"order_external_id":"` + order + `","product_id":"pro","user_external_id":"u1"}`},
	} {
		s.send(e)
		if got := s.waitProcessed("crm", e.id); got.Status != storage.InboxApplied {
			s.t.Fatalf("%s: %s %s", e.id, got.Status, got.Error)
		}
	}
}

// messages lists the outbox message ids written so far.
func (s *stack) messages() []string {
	s.t.Helper()
	msgs, err := s.d.db.OutboxMessages(context.Background(), 0, 100)
	if err != nil {
		s.t.Fatal(err)
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.MessageID
	}
	return ids
}

func (s *stack) waitDelivery(messageID, endpointID, want string) int {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, attempts, _, err := s.d.db.DeliveryStatus(context.Background(), messageID, endpointID)
		if err == nil && status == want {
			return attempts
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("delivery of %s: %q after %d attempts (%v), want %s", messageID, status, attempts, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var allowPrivate = "SEATSYNC_OUTBOUND_ALLOW_PRIVATE_NETWORKS=true"

// A subscriber that is briefly unavailable gets every message again, with
// the same webhook-id, once it is back; every attempt is logged.
func TestDeliveryRetriesUntilDelivered(t *testing.T) {
	s := newStack(t, allowPrivate)
	var e storage.Endpoint
	sk := newSink(t, "", func(id string, attempt int) int {
		if attempt == 1 {
			return http.StatusServiceUnavailable // with Retry-After: 1
		}
		return http.StatusOK
	})
	e = s.endpoint(sk.srv.URL)
	sk.trust(e.Secret)
	s.startWorker()
	s.seatEvents("sub_1")
	msgs := s.messages()
	if len(msgs) != 2 {
		t.Fatalf("outbox has %d messages, want 2", len(msgs))
	}
	for _, m := range msgs {
		if attempts := s.waitDelivery(m, e.ID, storage.DeliveryDelivered); attempts != 2 {
			t.Errorf("message %s delivered after %d attempts, want 2", m, attempts)
		}
		if n := sk.requests(m); n != 2 {
			t.Errorf("message %s reached the sink %d times under its webhook-id, want 2", m, n)
		}
	}
	_, key, err := s.d.db.CreateAPIKey(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	a := s.get("/v1/messages/"+msgs[0]+"/deliveries", bearer(key))
	data, _ := a.body["data"].([]any)
	if a.status != http.StatusOK || len(data) != 1 {
		t.Fatalf("message deliveries: %d %v", a.status, a.body)
	}
	if d := data[0].(map[string]any); d["endpoint_id"] != e.ID || d["status"] != "delivered" || d["attempts"] != 2.0 {
		t.Errorf("message delivery = %v", d)
	}
	_, _, id, _ := s.d.db.DeliveryStatus(context.Background(), msgs[0], e.ID)
	attempts, err := s.d.db.DeliveryAttempts(context.Background(), id)
	if err != nil || len(attempts) != 2 || *attempts[0].StatusCode != 503 || *attempts[1].StatusCode != 200 {
		t.Errorf("attempt log = %+v, %v", attempts, err)
	}
}

// The delivery limits and the rotation grace come from the configuration:
// the worker serves events with SEATSYNC_WORKER_CONCURRENCY goroutines and
// deliveries with SEATSYNC_OUTBOUND_CONCURRENCY of their own, a hanging
// endpoint holds exactly SEATSYNC_OUTBOUND_MAX_IN_FLIGHT deliveries (not
// the default 4) while another endpoint gets all its messages, and a
// rotated-out secret signs for SEATSYNC_OUTBOUND_SECRET_GRACE.
func TestDeliveryLimitsFromConfiguration(t *testing.T) {
	s := newStack(t, allowPrivate, "SEATSYNC_OUTBOUND_MAX_IN_FLIGHT=2", "SEATSYNC_OUTBOUND_SECRET_GRACE=1h",
		"SEATSYNC_WORKER_CONCURRENCY=3", "SEATSYNC_OUTBOUND_CONCURRENCY=8")
	s.startWorker()
	inspector := asynq.NewInspector(s.redis)
	defer inspector.Close()
	var servers []*asynq.ServerInfo
	var err error
	for deadline := time.Now().Add(5 * time.Second); len(servers) < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // each server writes its heartbeat as it starts
		if servers, err = inspector.Servers(); err != nil {
			t.Fatal(err)
		}
	}
	shapes := map[string]int{}
	for _, srv := range servers {
		for q := range srv.Queues {
			shapes[q] = srv.Concurrency
		}
		if len(srv.Queues) != 1 {
			t.Errorf("a server serves queues %v, want one queue each", srv.Queues)
		}
	}
	if want := map[string]int{jobs.QueueInbound: 3, jobs.QueueOutbound: 8}; !maps.Equal(shapes, want) {
		t.Errorf("queue servers' concurrency %v, want %v", shapes, want)
	}
	var mu sync.Mutex
	active, most := 0, 0
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		active++
		most = max(most, active)
		mu.Unlock()
		<-release
		mu.Lock()
		active--
		mu.Unlock()
	}))
	t.Cleanup(hanging.Close)
	t.Cleanup(func() { close(release) }) // before the server closes and the worker stops
	healthy := newSink(t, "", func(string, int) int { return http.StatusOK })
	s.endpoint(hanging.URL)
	ok := s.endpoint(healthy.srv.URL)
	healthy.trust(ok.Secret)
	for _, order := range []string{"sub_1", "sub_2", "sub_3"} {
		s.seatEvents(order)
	}
	msgs := s.messages()
	if len(msgs) < 6 {
		t.Fatalf("%d messages, want at least 6", len(msgs))
	}
	for _, m := range msgs {
		s.waitDelivery(m, ok.ID, storage.DeliveryDelivered)
	}
	mu.Lock()
	if most != 2 {
		t.Errorf("the hanging endpoint had %d deliveries in flight at once, want SEATSYNC_OUTBOUND_MAX_IN_FLIGHT=2", most)
	}
	mu.Unlock()

	_, key, err := s.d.db.CreateAPIKey(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	a := s.post("/v1/webhook-endpoints/"+ok.ID+"/rotate-secret", bearer(key), nil)
	expires, err := time.Parse(time.RFC3339Nano, fmt.Sprint(a.body["previous_secret_expires_at"]))
	if a.status != http.StatusOK || err != nil {
		t.Fatalf("rotate: %d %v (%v)", a.status, a.body, err)
	}
	// The database's clock sets it; allow it a minute either way.
	if lo, hi := before.Add(59*time.Minute), before.Add(61*time.Minute); expires.Before(lo) || expires.After(hi) {
		t.Errorf("previous secret expires at %s, want about an hour after %s", expires, before)
	}
}

// A worker process killed while a delivery is in flight loses nothing:
// once the task's lease expires another worker delivers it (at least once,
// so the subscriber may see the message twice, under one webhook-id).
func TestWorkerKilledMidDelivery(t *testing.T) {
	t.Parallel()
	s := newStack(t, allowPrivate)
	inFlight, unblock := make(chan struct{}), make(chan struct{})
	var once sync.Once
	sk := newSink(t, "", func(id string, attempt int) int {
		if attempt == 1 {
			once.Do(func() { close(inFlight) })
			<-unblock
		}
		return http.StatusOK
	})
	e := s.endpoint(sk.srv.URL, "seat.pool_updated")
	sk.trust(e.Secret)
	applier := s.startWorkerProcess(allowPrivate)
	s.seatEvents("sub_1")
	select {
	case <-inFlight:
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery reached the sink")
	}
	if err := applier.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	close(unblock)
	// asynq hands a dead worker's task to another worker 30 s after its
	// 30 s lease ran out (room for clock skew); a worker recovers such tasks
	// as it starts, and every minute after. Rather than wait that minute,
	// the test moves the dead worker's leases an hour into the past, which
	// is what the minute would do to them.
	expireLeases(t, s.redis)
	s.startWorkerProcess(allowPrivate)
	msg := s.messages()[0]
	s.waitDelivery(msg, e.ID, storage.DeliveryDelivered)
	if n := sk.requests(msg); n < 2 {
		t.Errorf("the sink saw %d requests, want the killed attempt and the recovered one", n)
	}
}

// expireLeases makes every task lease asynq holds in the Redis DB of opt
// an hour old (the lease sets are asynq:{queue}:lease, scored by expiry in
// Unix seconds), as if the worker holding them had died that long ago.
func expireLeases(t *testing.T, opt asynq.RedisClientOpt) {
	t.Helper()
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: opt.Addr, DB: opt.DB, Password: opt.Password})
	defer rdb.Close()
	keys, err := rdb.Keys(ctx, "asynq:{*}:lease").Result()
	if err != nil {
		t.Fatal(err)
	}
	past := float64(time.Now().Add(-time.Hour).Unix())
	expired := 0
	for _, key := range keys {
		members, err := rdb.ZRange(ctx, key, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range members {
			if err := rdb.ZAddXX(ctx, key, redis.Z{Score: past, Member: m}).Err(); err != nil {
				t.Fatal(err)
			}
			expired++
		}
	}
	if expired == 0 {
		t.Fatal("no task lease to expire: the killed worker held none")
	}
}
