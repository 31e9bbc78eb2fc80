package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// endpointSlots bounds the deliveries in flight to one endpoint across
// every worker process, so that a slow or dead endpoint can hold at most
// a few of the worker's goroutines and never delays the others.
//
// A slot is a member of the endpoint's sorted set in Redis whose score is
// when it expires, so a crashed worker's slots free themselves. Within a
// process, a slot whose delivery is done is handed straight to a delivery
// of this process waiting for the same endpoint: no round trip to give it
// back and none to take it again, and the waiter starts at once instead
// of at its next poll. A slot nobody here waits for is kept, idle, for
// idleFor, so that the next delivery to the endpoint takes it without
// Redis too. Redis is asked only for a slot the process does not hold
// yet, and told only when no one here has wanted it for idleFor.
type endpointSlots struct {
	rdb    redis.UniversalClient
	max    int
	prefix string        // makes member names unique across processes
	serial atomic.Uint64 // … and within this one

	mu        sync.Mutex
	endpoints map[string]*localSlots
	closed    bool          // idle slots go straight back to Redis
	keepIdle  time.Duration // idleFor; tests keep slots longer
}

// localSlots is what this process holds of one endpoint's slots.
type localSlots struct {
	held    map[*slot]struct{} // sending or idle
	idle    []*slot            // held, with no delivery; the latest last
	waiting []chan *slot       // first come, first served
}

// slot is one slot held by this process.
type slot struct {
	key, member string
	expires     time.Time   // its score in Redis
	taken       time.Time   // when it was taken from Redis
	since       time.Time   // when its current holder took it
	idle        *time.Timer // while idle: gives it back to Redis at idleFor
}

func newEndpointSlots(rdb redis.UniversalClient, max int) *endpointSlots {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &endpointSlots{rdb: rdb, max: max, prefix: hex.EncodeToString(b) + ":", endpoints: map[string]*localSlots{},
		keepIdle: idleFor}
}

func slotsKey(endpointID string) string { return "seatsync:endpoint-slots:" + endpointID }

// takeSlot adds a member expiring at ARGV[3] unless the set already has
// ARGV[2] members that have not expired by ARGV[1].
var takeSlot = redis.NewScript(`
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
if redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[2]) then
	return 0
end
redis.call("ZADD", KEYS[1], ARGV[3], ARGV[4])
redis.call("PEXPIREAT", KEYS[1], redis.call("ZRANGE", KEYS[1], -1, -1, "WITHSCORES")[2])
return 1`)

// extendSlot moves a member's expiry to ARGV[1]; it answers 0 when the
// member has expired and is gone.
var extendSlot = redis.NewScript(`
if not redis.call("ZSCORE", KEYS[1], ARGV[2]) then
	return 0
end
redis.call("ZADD", KEYS[1], ARGV[1], ARGV[2])
redis.call("PEXPIREAT", KEYS[1], redis.call("ZRANGE", KEYS[1], -1, -1, "WITHSCORES")[2])
return 1`)

// slowAfter is how long every slot of an endpoint must have been sending
// for the endpoint to count as slow: then a delivery does not wait for one
// of them to come free, it steps aside at once (and comes back later, see
// maxSlowRetry). It is about what stepping aside for a busy endpoint costs
// (a retry 0.1–0.5 s later, and the queue's 1 s check of retries), so
// that neither a subscriber that merely answers slowly nor a machine short
// of CPU sends its backlog through the retry queue.
const slowAfter = time.Second

// slowFor tells how long every slot of the endpoint has been held here by
// a delivery still sending, when that is longer than slowAfter (waiting
// would be in vain), and 0 otherwise: the age of the youngest send.
func (s *endpointSlots) slowFor(endpointID string, now time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slowForLocked(s.endpoints[endpointID], now)
}

func (s *endpointSlots) slowForLocked(l *localSlots, now time.Time) time.Duration {
	if l == nil || len(l.held) < s.max || len(l.idle) > 0 {
		return 0
	}
	youngest := time.Duration(math.MaxInt64)
	for sl := range l.held {
		youngest = min(youngest, now.Sub(sl.since))
	}
	if youngest < slowAfter {
		return 0
	}
	return youngest
}

// acquire takes a slot for a send that ends by until at the latest; a
// slot taken from Redis expires at deadline (the task's, later than
// until). It waits up to wait for one, and then answers ErrEndpointBusy.
func (s *endpointSlots) acquire(ctx context.Context, endpointID string, until, deadline time.Time, wait time.Duration) (*slot, error) {
	giveUp := time.Now().Add(wait)
	for {
		if sl := s.takeIdle(endpointID); sl != nil {
			return s.keep(ctx, endpointID, sl, until, deadline)
		}
		sl, err := s.tryAcquire(ctx, endpointID, deadline)
		if sl != nil || err != nil {
			return sl, err
		}
		s.mu.Lock()
		l := s.local(endpointID)
		now := time.Now()
		if len(l.idle) > 0 { // released while this delivery asked Redis
			s.mu.Unlock()
			continue
		}
		if slow := s.slowForLocked(l, now); slow > 0 || !now.Before(giveUp) {
			s.dropIfUnused(endpointID, l)
			s.mu.Unlock()
			return nil, busyError(slow)
		}
		// While another process holds some of the slots, one may come
		// free there: poll Redis too. Otherwise only a release here can
		// free one, and it hands the slot over or wakes this waiter.
		poll := giveUp.Sub(now)
		if len(l.held) < s.max {
			poll = min(poll, 5*time.Millisecond)
		}
		handed := make(chan *slot, 1)
		l.waiting = append(l.waiting, handed)
		s.mu.Unlock()

		woken := false
		timer := time.NewTimer(poll)
		select {
		case sl, woken = <-handed:
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
		if !woken {
			s.mu.Lock()
			stopped := s.stopWaiting(l, handed)
			s.dropIfUnused(endpointID, l)
			s.mu.Unlock()
			if !stopped {
				sl = <-handed // handed over, or woken, as we stopped waiting
			}
		}
		if sl != nil && ctx.Err() != nil {
			s.release(ctx, endpointID, sl) // handed over as the task ended: pass it on
			return nil, ctx.Err()
		}
		if sl != nil {
			return s.keep(ctx, endpointID, sl, until, deadline)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// tryAcquire takes a slot from Redis unless this process holds them all.
func (s *endpointSlots) tryAcquire(ctx context.Context, endpointID string, deadline time.Time) (*slot, error) {
	s.mu.Lock()
	l := s.endpoints[endpointID]
	full := l != nil && len(l.held) >= s.max
	s.mu.Unlock()
	if full {
		return nil, nil
	}
	sl := &slot{key: slotsKey(endpointID), member: s.prefix + strconv.FormatUint(s.serial.Add(1), 36),
		expires: deadline}
	got, err := takeSlot.Run(ctx, s.rdb, []string{sl.key}, time.Now().UnixMilli(), s.max,
		deadline.UnixMilli(), sl.member).Int()
	if err != nil {
		return nil, fmt.Errorf("acquire delivery slot of endpoint %s: %w", endpointID, err)
	}
	if got == 0 {
		return nil, nil
	}
	s.mu.Lock()
	sl.taken = time.Now()
	sl.since = sl.taken
	s.local(endpointID).held[sl] = struct{}{}
	s.mu.Unlock()
	return sl, nil
}

// keep makes a slot handed over last until the new holder's send ends:
// a slot expiring earlier is extended to deadline in Redis. A slot gone
// from Redis (it outlived its expiry) is dropped, and another acquired.
func (s *endpointSlots) keep(ctx context.Context, endpointID string, sl *slot, until, deadline time.Time) (*slot, error) {
	if !sl.expires.Before(until) {
		return sl, nil
	}
	got, err := extendSlot.Run(ctx, s.rdb, []string{sl.key}, deadline.UnixMilli(), sl.member).Int()
	switch {
	case err != nil:
		s.release(ctx, endpointID, sl)
		return nil, fmt.Errorf("extend delivery slot of endpoint %s: %w", endpointID, err)
	case got == 0:
		s.forget(endpointID, sl)
		return s.acquire(ctx, endpointID, until, deadline, 0)
	}
	sl.expires = deadline
	return sl, nil
}

// handOverFor is how long a slot taken from Redis goes from one delivery
// of this process to the next before it is given back: another worker's
// deliveries for the endpoint get their turn at least that often.
const handOverFor = time.Second

// idleFor is how long a released slot nobody here waits for stays with
// this process before it goes back to Redis: under a steady flow of
// deliveries to an endpoint the next one comes well within it, and a
// delivery of another worker waiting for the slot (polling every 5 ms, for
// up to slotWait) still gets it.
const idleFor = 10 * time.Millisecond

// release hands the slot to the first delivery here waiting for the
// endpoint, or keeps it idle for the next one when there is none; it gives
// it back to Redis when the slot has been handed over for handOverFor,
// and then the first waiter, if any, is woken to take a slot from Redis
// like any other worker.
func (s *endpointSlots) release(ctx context.Context, endpointID string, sl *slot) {
	s.mu.Lock()
	l := s.endpoints[endpointID]
	var next chan *slot
	if len(l.waiting) > 0 {
		next = l.waiting[0]
		l.waiting = l.waiting[1:]
	}
	now := time.Now()
	switch {
	case now.Sub(sl.taken) >= handOverFor: // back to Redis, below
	case next != nil:
		sl.since = now
		next <- sl
		s.mu.Unlock()
		return
	case !s.closed:
		l.idle = append(l.idle, sl)
		sl.idle = time.AfterFunc(s.keepIdle, func() { s.giveBackIdle(endpointID, sl) })
		s.mu.Unlock()
		return
	}
	delete(l.held, sl)
	s.dropIfUnused(endpointID, l)
	s.mu.Unlock()
	s.giveBack(ctx, sl)
	if next != nil {
		next <- nil
	}
}

// takeIdle takes the slot released last of those idle here, if any.
func (s *endpointSlots) takeIdle(endpointID string) *slot {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.endpoints[endpointID]
	if l == nil || len(l.idle) == 0 {
		return nil
	}
	sl := l.idle[len(l.idle)-1]
	l.idle = l.idle[:len(l.idle)-1]
	sl.idle.Stop() // if it fired, giveBackIdle finds the slot taken
	sl.idle, sl.since = nil, time.Now()
	return sl
}

// giveBackIdle gives a slot that stayed idle for idleFor back to Redis,
// unless a delivery took it meanwhile.
func (s *endpointSlots) giveBackIdle(endpointID string, sl *slot) {
	s.mu.Lock()
	l := s.endpoints[endpointID]
	i := -1
	if l != nil {
		i = slices.Index(l.idle, sl)
	}
	if i < 0 {
		s.mu.Unlock()
		return
	}
	l.idle = slices.Delete(l.idle, i, i+1)
	delete(l.held, sl)
	s.dropIfUnused(endpointID, l)
	s.mu.Unlock()
	s.giveBack(context.Background(), sl)
}

// close gives every idle slot back to Redis at once, and makes released
// slots go back at once from now on: the process is stopping, and its
// idle slots would otherwise count against their endpoints until they
// expire. The deliveries still sending give theirs back as they end.
func (s *endpointSlots) close() {
	s.mu.Lock()
	s.closed = true
	var idle []*slot
	for id, l := range s.endpoints {
		for _, sl := range l.idle {
			sl.idle.Stop()
			delete(l.held, sl)
		}
		idle = append(idle, l.idle...)
		l.idle = nil
		s.dropIfUnused(id, l)
	}
	s.mu.Unlock()
	s.giveBack(context.Background(), idle...)
}

// giveBack removes slots this process has let go of from Redis, where they
// would otherwise count against their endpoints until they expire. It is
// not cancelled with ctx, and gives Redis 5 s.
func (s *endpointSlots) giveBack(ctx context.Context, slots ...*slot) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, sl := range slots {
		s.rdb.ZRem(ctx, sl.key, sl.member)
	}
}

// forget drops a slot from what this process holds.
func (s *endpointSlots) forget(endpointID string, sl *slot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.endpoints[endpointID]
	delete(l.held, sl)
	s.dropIfUnused(endpointID, l)
}

func (s *endpointSlots) local(endpointID string) *localSlots {
	l := s.endpoints[endpointID]
	if l == nil {
		l = &localSlots{held: map[*slot]struct{}{}}
		s.endpoints[endpointID] = l
	}
	return l
}

func (s *endpointSlots) dropIfUnused(endpointID string, l *localSlots) {
	if len(l.held) == 0 && len(l.waiting) == 0 { // then none is idle either
		delete(s.endpoints, endpointID)
	}
}

// stopWaiting takes a waiter off the list; false means it was handed a
// slot already.
func (s *endpointSlots) stopWaiting(l *localSlots, handed chan *slot) bool {
	for i, w := range l.waiting {
		if w == handed {
			l.waiting = append(l.waiting[:i], l.waiting[i+1:]...)
			return true
		}
	}
	return false
}
