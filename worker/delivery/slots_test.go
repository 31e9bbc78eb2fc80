package delivery

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/jobs/jobstest"
)

func newTestSlots(t *testing.T, max int) (*endpointSlots, redis.UniversalClient) {
	t.Helper()
	opt := jobstest.New(t)
	rdb := redis.NewClient(&redis.Options{Addr: opt.Addr, DB: opt.DB})
	t.Cleanup(func() { rdb.Close() })
	return newEndpointSlots(rdb, max), rdb
}

// waitForWaiter returns once a delivery of this process waits for the
// endpoint.
func waitForWaiter(t *testing.T, s *endpointSlots, endpointID string) {
	t.Helper()
	for {
		s.mu.Lock()
		l := s.endpoints[endpointID]
		n := 0
		if l != nil {
			n = len(l.waiting)
		}
		s.mu.Unlock()
		if n > 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func members(t *testing.T, rdb redis.UniversalClient, endpointID string) []redis.Z {
	t.Helper()
	zs, err := rdb.ZRangeWithScores(t.Context(), slotsKey(endpointID), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	return zs
}

// mustAcquire takes a slot of the endpoint at once, or fails the test.
func mustAcquire(t *testing.T, s *endpointSlots, endpointID string, until, deadline time.Time) *slot {
	t.Helper()
	sl, err := s.acquire(t.Context(), endpointID, until, deadline, 0)
	if err != nil || sl == nil {
		t.Fatalf("acquire a slot of %s: %v, %v", endpointID, sl, err)
	}
	return sl
}

type acquired struct {
	sl  *slot
	err error
}

func acquireAsync(ctx context.Context, s *endpointSlots, endpointID string, until, deadline time.Time) chan acquired {
	done := make(chan acquired, 1)
	go func() {
		sl, err := s.acquire(ctx, endpointID, until, deadline, time.Minute)
		done <- acquired{sl, err}
	}()
	return done
}

// waitForNoMembers returns once Redis holds no slot of the endpoint.
func waitForNoMembers(t *testing.T, rdb redis.UniversalClient, endpointID string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(members(t, rdb, endpointID)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("Redis still holds %v", members(t, rdb, endpointID))
		}
		time.Sleep(time.Millisecond)
	}
}

// A slot released while another delivery of the process waits for the
// endpoint goes to it without leaving Redis; the last release gives it
// back once it has been idle for idleFor.
func TestReleasedSlotIsHandedToTheWaiter(t *testing.T) {
	s, rdb := newTestSlots(t, 1)
	ctx := t.Context()
	until, deadline := time.Now().Add(15*time.Second), time.Now().Add(30*time.Second)
	first := mustAcquire(t, s, "e1", until, deadline)
	second := acquireAsync(ctx, s, "e1", until, deadline)
	waitForWaiter(t, s, "e1")
	s.release(ctx, "e1", first)
	got := <-second
	if got.err != nil || got.sl != first {
		t.Fatalf("the waiter got %v, %v; want the released slot", got.sl, got.err)
	}
	if zs := members(t, rdb, "e1"); len(zs) != 1 || zs[0].Member != first.member {
		t.Fatalf("Redis holds %v during the hand-over, want only %s", zs, first.member)
	}
	s.release(ctx, "e1", got.sl)
	waitForNoMembers(t, rdb, "e1")
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.endpoints) != 0 {
		t.Errorf("the process still tracks %d endpoints, want none", len(s.endpoints))
	}
}

// A slot released with no delivery here waiting stays idle in the
// process: the next delivery to the endpoint takes it without Redis, and
// an idle slot does not make the endpoint busy.
func TestIdleSlotIsTakenAgainWithoutRedis(t *testing.T) {
	s, rdb := newTestSlots(t, 1)
	ctx := t.Context()
	until, deadline := time.Now().Add(15*time.Second), time.Now().Add(30*time.Second)
	first := mustAcquire(t, s, "e1", until, deadline)
	s.mu.Lock()
	first.since = first.since.Add(-time.Hour) // a send that took long
	s.keepIdle = time.Hour                    // idle until taken, however slow the test runs
	s.mu.Unlock()
	s.release(ctx, "e1", first)
	if slow := s.slowFor("e1", time.Now()); slow != 0 {
		t.Errorf("slow for %s with its one slot idle", slow)
	}
	// Redis refuses a slot now (its one member is the idle slot), so only
	// the idle slot can serve the second acquire.
	again, err := s.acquire(ctx, "e1", until, deadline, 0)
	if err != nil || again != first {
		t.Fatalf("second acquire: %v, %v; want the idle slot", again, err)
	}
	if zs := members(t, rdb, "e1"); len(zs) != 1 || zs[0].Member != first.member {
		t.Errorf("Redis holds %v, want only %s", zs, first.member)
	}
	s.mu.Lock()
	s.keepIdle = idleFor
	s.mu.Unlock()
	s.release(ctx, "e1", again)
	waitForNoMembers(t, rdb, "e1")
	if sl, err := s.acquire(ctx, "e1", until, deadline, 0); err != nil || sl == nil || sl == first {
		t.Errorf("acquire after the idle slot went back: %v, %v; want a new slot from Redis", sl, err)
	}
}

// Stopping gives the idle slots back at once, and a slot released after
// that goes back at once too.
func TestCloseGivesIdleSlotsBack(t *testing.T) {
	s, rdb := newTestSlots(t, 2)
	ctx := t.Context()
	until, deadline := time.Now().Add(15*time.Second), time.Now().Add(30*time.Second)
	idle := mustAcquire(t, s, "e1", until, deadline)
	sending := mustAcquire(t, s, "e1", until, deadline)
	s.mu.Lock()
	s.keepIdle = time.Hour // only close gives it back
	s.mu.Unlock()
	s.release(ctx, "e1", idle)
	s.close()
	if zs := members(t, rdb, "e1"); len(zs) != 1 || zs[0].Member != sending.member {
		t.Errorf("Redis holds %v after close, want only the sending %s", zs, sending.member)
	}
	s.release(ctx, "e1", sending)
	if zs := members(t, rdb, "e1"); len(zs) != 0 {
		t.Errorf("Redis holds %v after the last release, want nothing", zs)
	}
}

// A slot handed over for handOverFor goes back to Redis, so that other
// workers get their turn; the waiter is woken and takes one from there.
func TestSlotGoesBackToRedisAfterHandOverFor(t *testing.T) {
	s, rdb := newTestSlots(t, 1)
	ctx := t.Context()
	until, deadline := time.Now().Add(15*time.Second), time.Now().Add(30*time.Second)
	first := mustAcquire(t, s, "e1", until, deadline)
	s.mu.Lock()
	first.taken = first.taken.Add(-handOverFor)
	s.mu.Unlock()
	second := acquireAsync(ctx, s, "e1", until, deadline)
	waitForWaiter(t, s, "e1")
	s.release(ctx, "e1", first)
	got := <-second
	if got.err != nil || got.sl == nil || got.sl == first {
		t.Fatalf("the waiter got %v, %v; want a slot of its own from Redis", got.sl, got.err)
	}
	if zs := members(t, rdb, "e1"); len(zs) != 1 || zs[0].Member != got.sl.member {
		t.Errorf("Redis holds %v, want only the waiter's %s", zs, got.sl.member)
	}
}

// A slot handed to a delivery whose send may end after the slot expires
// is extended in Redis to the new holder's deadline.
func TestHandedSlotLastsThroughTheNewSend(t *testing.T) {
	s, rdb := newTestSlots(t, 1)
	ctx := t.Context()
	now := time.Now()
	first := mustAcquire(t, s, "e1", now.Add(time.Second), now.Add(2*time.Second))
	later := now.Add(30 * time.Second)
	second := acquireAsync(ctx, s, "e1", now.Add(15*time.Second), later)
	waitForWaiter(t, s, "e1")
	s.release(ctx, "e1", first)
	if got := <-second; got.err != nil || got.sl == nil {
		t.Fatalf("the waiter got %v, %v", got.sl, got.err)
	}
	zs := members(t, rdb, "e1")
	if len(zs) != 1 || int64(zs[0].Score) != later.UnixMilli() {
		t.Errorf("Redis holds %v, want the slot expiring at %d", zs, later.UnixMilli())
	}
}

// Every slot held here by a long send: the endpoint is slow for as long as
// its youngest send has been going, and a delivery for it steps aside
// without waiting.
func TestEndpointWhoseSlotsAllHangIsBusy(t *testing.T) {
	s, _ := newTestSlots(t, 2)
	ctx := t.Context()
	until, deadline := time.Now().Add(15*time.Second), time.Now().Add(30*time.Second)
	var held []*slot
	for range 2 {
		sl := mustAcquire(t, s, "e1", until, deadline)
		held = append(held, sl)
	}
	now := time.Now()
	if slow := s.slowFor("e1", now); slow != 0 {
		t.Fatalf("slow for %s while the sends have only just started", slow)
	}
	later := now.Add(slowAfter + time.Second)
	if slow := s.slowFor("e1", later); slow < slowAfter+time.Second || slow > later.Sub(held[0].since) {
		t.Errorf("slow for %s with every slot sending for longer than slowAfter, want the youngest send's %s", slow, later.Sub(held[1].since))
	}
	s.mu.Lock()
	for _, sl := range held { // sending for a while already, in real time
		sl.since = sl.since.Add(-2 * slowAfter)
	}
	s.mu.Unlock()
	sl, err := s.acquire(ctx, "e1", until, deadline, time.Minute)
	if slow, ok := errors.AsType[*slowEndpoint](err); !ok || slow.slowFor < 2*slowAfter {
		t.Errorf("acquire on the slow endpoint: %v, %v; want at once a slowEndpoint of at least %s", sl, err, 2*slowAfter)
	}
	s.release(ctx, "e1", held[0])
	if slow := s.slowFor("e1", now.Add(time.Hour)); slow != 0 {
		t.Errorf("slow for %s with a slot idle", slow)
	}
}

// Two processes share the endpoint's bound: with one slot each held, a
// third delivery is refused, and one waiting in the first process gets
// the slot the second gives back.
func TestSlotsAreBoundAcrossProcesses(t *testing.T) {
	a, rdb := newTestSlots(t, 2)
	b := newEndpointSlots(rdb, 2)
	ctx := t.Context()
	until, deadline := time.Now().Add(15*time.Second), time.Now().Add(30*time.Second)
	inA := mustAcquire(t, a, "e1", until, deadline)
	inB := mustAcquire(t, b, "e1", until, deadline)
	if sl, err := a.acquire(ctx, "e1", until, deadline, 0); !errors.Is(err, ErrEndpointBusy) {
		t.Fatalf("a third slot: %v, %v; want ErrEndpointBusy", sl, err)
	}
	waiting := acquireAsync(ctx, a, "e1", until, deadline)
	waitForWaiter(t, a, "e1")
	b.release(ctx, "e1", inB)
	got := <-waiting
	if got.err != nil || got.sl == nil || got.sl == inA {
		t.Fatalf("the waiter in a got %v, %v; want a new slot", got.sl, got.err)
	}
	if zs := members(t, rdb, "e1"); len(zs) != 2 {
		t.Errorf("Redis holds %v, want the two slots of a", zs)
	}
}

// A delivery that stepped aside for a busy endpoint comes back within
// half a second; one that stepped aside for a slow endpoint comes back
// spread over up to as long as the endpoint has been slow, at most
// maxSlowRetry.
func TestSteppedAsideDeliveriesComeBackSpread(t *testing.T) {
	for _, tc := range []struct {
		err      error
		min, max time.Duration
	}{
		{ErrEndpointBusy, busyRetry, busyRetry + 400*time.Millisecond},
		{busyError(3 * time.Second), busyRetry, busyRetry + 3*time.Second},
		{busyError(time.Hour), busyRetry, busyRetry + maxSlowRetry},
	} {
		var longest time.Duration
		for range 200 {
			d := RetryDelay(0, tc.err, nil)
			if d < tc.min || d > tc.max {
				t.Fatalf("%v: delay %s, want %s to %s", tc.err, d, tc.min, tc.max)
			}
			longest = max(longest, d)
		}
		if spread := tc.max - tc.min; longest < tc.min+spread/2 {
			t.Errorf("%v: the longest of 200 delays is %s, want them spread up to %s", tc.err, longest, tc.max)
		}
	}
}
