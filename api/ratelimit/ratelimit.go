// Package ratelimit admits requests per key at a sustained rate with
// bursts, with GCRA in Redis (go-redis/redis_rate), so that every process
// shares one budget per key. The management API limits per API key and the
// SCIM service per SCIM token through it.
package ratelimit

import (
	"context"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// timeout bounds the Redis round trip: a slow Redis must not make every
// request slow.
const timeout = time.Second

// warnEvery spaces the warnings about a limiter that cannot reach Redis:
// during an outage every request fails the same way, and one line a minute
// says all there is to say.
const warnEvery = time.Minute

// Limiter admits requests of each key at Rate a second with bursts of
// Burst.
type Limiter struct {
	rdb         redis.UniversalClient
	rate, burst int
	log         *slog.Logger
	lastWarning atomic.Int64 // Unix nanoseconds
}

// New returns a limiter over rdb.
func New(rdb redis.UniversalClient, rate, burst int, log *slog.Logger) *Limiter {
	return &Limiter{rdb: rdb, rate: rate, burst: burst, log: log}
}

// Decision is the limiter's answer for one request.
type Decision struct {
	// Checked is false when Redis could not answer: the request is then
	// allowed, and there is nothing to report in headers.
	Checked    bool
	Allowed    bool
	Limit      int // the burst: what Remaining counts down from
	Remaining  int
	RetryAfter int // whole seconds, at least 1, when not allowed
	Rate       int
}

// Allow decides one request of key. When Redis cannot answer, the request
// is allowed: the limit protects the service from one noisy client, and
// refusing every client because Redis is down would turn a degraded
// limiter into an outage of a service whose data lives in Postgres.
func (l *Limiter) Allow(ctx context.Context, key string) Decision {
	limit := redis_rate.Limit{Rate: l.rate, Burst: l.burst, Period: time.Second}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	// A redis_rate.Limiter is a thin handle on the client.
	res, err := redis_rate.NewLimiter(l.rdb).Allow(rctx, key, limit)
	cancel()
	if err != nil {
		l.warnDown(ctx, err)
		return Decision{Allowed: true, Limit: l.burst, Rate: l.rate}
	}
	d := Decision{Checked: true, Allowed: res.Allowed > 0, Limit: l.burst, Remaining: remaining(res, l.rate, l.burst), Rate: l.rate}
	if !d.Allowed {
		d.RetryAfter = max(1, int(math.Ceil(res.RetryAfter.Seconds())))
	}
	return d
}

// warnDown logs that requests go unlimited, at most once every warnEvery.
func (l *Limiter) warnDown(ctx context.Context, err error) {
	now := time.Now().UnixNano()
	last := l.lastWarning.Load()
	if last != 0 && now-last < int64(warnEvery) {
		return
	}
	if !l.lastWarning.CompareAndSwap(last, now) {
		return // another request is logging it
	}
	l.log.WarnContext(ctx, "rate limiter cannot reach redis; serving requests without a limit",
		"error", err, "next_warning_in", warnEvery.String())
}

// remaining is how many more requests the key may make at once. The
// limiter's own Remaining is a float truncated to an integer in Redis, so
// a key's first request, exactly burst-1, can come back as burst-2
// (98.99999 of 100). ResetAfter, the time until the budget is full again,
// comes back as an exact decimal: the budget used is ResetAfter × rate, and
// what is left follows from it, without the rounding.
func remaining(res *redis_rate.Result, rate, burst int) int {
	if res.Allowed == 0 {
		return 0
	}
	left := float64(burst) - res.ResetAfter.Seconds()*float64(rate)
	// A microsecond of slack absorbs the float noise of the exact cases,
	// while a request 1 ms later still counts the time it gave back.
	return min(burst, max(0, int(math.Floor(left+1e-6))))
}
