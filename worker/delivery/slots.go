package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
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
// of at its next poll. Redis is asked only for a slot the process does
// not hold yet, and told only when no one here wants it any more.
type endpointSlots struct {
	rdb    redis.UniversalClient
	max    int
	prefix string        // makes member names unique across processes
	serial atomic.Uint64 // … and within this one

	mu        sync.Mutex
	endpoints map[string]*localSlots
}

// localSlots is what this process holds of one endpoint's slots.
type localSlots struct {
	held    map[*slot]struct{}
	waiting []chan *slot // first come, first served
}

// slot is one slot held by this process.
type slot struct {
	key, member string
	expires     time.Time // its score in Redis
	taken       time.Time // when it was taken from Redis
	since       time.Time // when its current holder took it
}

func newEndpointSlots(rdb redis.UniversalClient, max int) *endpointSlots {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &endpointSlots{rdb: rdb, max: max, prefix: hex.EncodeToString(b) + ":", endpoints: map[string]*localSlots{}}
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
// of them to come free, it steps aside at once. It is about what stepping
// aside costs (a retry 0.1–0.5 s later, and the queue's 1 s check of
// retries), so that neither a subscriber that merely answers slowly nor a
// machine short of CPU sends its backlog through the retry queue.
const slowAfter = time.Second

// busy tells whether every slot of the endpoint is held here by a
// delivery sending for longer than slowAfter: waiting would be in vain.
func (s *endpointSlots) busy(endpointID string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.busyLocked(s.endpoints[endpointID], now)
}

func (s *endpointSlots) busyLocked(l *localSlots, now time.Time) bool {
	if l == nil || len(l.held) < s.max {
		return false
	}
	for sl := range l.held {
		if now.Sub(sl.since) < slowAfter {
			return false
		}
	}
	return true
}

// acquire takes a slot for a send that ends by until at the latest; a
// slot taken from Redis expires at deadline (the task's, later than
// until). It waits up to wait for one, and then answers ErrEndpointBusy.
func (s *endpointSlots) acquire(ctx context.Context, endpointID string, until, deadline time.Time, wait time.Duration) (*slot, error) {
	giveUp := time.Now().Add(wait)
	for {
		sl, err := s.tryAcquire(ctx, endpointID, deadline)
		if sl != nil || err != nil {
			return sl, err
		}
		s.mu.Lock()
		l := s.local(endpointID)
		now := time.Now()
		if s.busyLocked(l, now) || !now.Before(giveUp) {
			s.dropIfUnused(endpointID, l)
			s.mu.Unlock()
			return nil, ErrEndpointBusy
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

// release hands the slot to the first delivery here waiting for the
// endpoint, or gives it back to Redis when there is none or the slot has
// been handed over for handOverFor; then the first waiter, if any, is
// woken to take a slot from Redis like any other worker.
func (s *endpointSlots) release(ctx context.Context, endpointID string, sl *slot) {
	s.mu.Lock()
	l := s.endpoints[endpointID]
	var next chan *slot
	if len(l.waiting) > 0 {
		next = l.waiting[0]
		l.waiting = l.waiting[1:]
	}
	now := time.Now()
	if next != nil && now.Sub(sl.taken) < handOverFor {
		sl.since = now
		next <- sl
		s.mu.Unlock()
		return
	}
	delete(l.held, sl)
	s.dropIfUnused(endpointID, l)
	s.mu.Unlock()
	s.rdb.ZRem(context.WithoutCancel(ctx), sl.key, sl.member)
	if next != nil {
		next <- nil
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
	if len(l.held) == 0 && len(l.waiting) == 0 {
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
