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
	d := Decision{Checked: true, Allowed: res.Allowed > 0, Limit: l.burst, Remaining: res.Remaining, Rate: l.rate}
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
