package api

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"

	"github.com/seatsync/seatsync/storage"
)

// rateLimitTimeout bounds the Redis round trip of the limiter: a slow Redis
// must not make every API request slow.
const rateLimitTimeout = time.Second

// rateLimitWarnEvery spaces the warnings about a limiter that cannot reach
// Redis: during an outage every request fails the same way, and one line a
// minute says all there is to say.
const rateLimitWarnEvery = time.Minute

// lastRateLimitWarning is when the last such warning was logged, in Unix
// nanoseconds. It is per process, like the log it protects.
var lastRateLimitWarning atomic.Int64

// limitRate admits a key's requests at a sustained a.rateLimit a second
// with bursts of a.rateBurst (GCRA in Redis, so that every API process
// shares one budget per key). It runs after authenticate.
//
// When Redis cannot answer, the request is served anyway: the limit
// protects the service from one noisy client, and refusing every client
// because Redis is down would turn a degraded limiter into an outage of the
// whole API, whose data lives in Postgres.
func (a *API) limitRate(c *gin.Context) {
	key := c.MustGet(apiKeyContextKey).(storage.APIKey)
	limit := redis_rate.Limit{Rate: a.rateLimit, Burst: a.rateBurst, Period: time.Second}
	ctx, cancel := context.WithTimeout(c.Request.Context(), rateLimitTimeout)
	// A Limiter is a thin handle on the client; making one per request costs
	// nothing and keeps the API's fields to its dependencies.
	res, err := redis_rate.NewLimiter(a.redis).Allow(ctx, "api_key:"+key.ID, limit)
	cancel()
	if err != nil {
		a.warnRateLimitDown(c.Request.Context(), err)
		c.Next()
		return
	}
	// Limit is the burst: the most requests a key can make at once, which
	// is what Remaining counts down from.
	c.Header("RateLimit-Limit", strconv.Itoa(a.rateBurst))
	c.Header("RateLimit-Remaining", strconv.Itoa(remaining(res, a.rateLimit, a.rateBurst)))
	if res.Allowed == 0 {
		retry := max(1, int(math.Ceil(res.RetryAfter.Seconds())))
		c.Header("Retry-After", strconv.Itoa(retry))
		a.fail(c, &detailedError{
			apiError: &apiError{http.StatusTooManyRequests, "rate_limited", fmt.Sprintf(
				"too many requests with this API key (at most %d a second, %d at once); retry in %d s",
				a.rateLimit, a.rateBurst, retry)},
			details: map[string]any{"retry_after": retry},
		})
		return
	}
	c.Next()
}

// warnRateLimitDown logs that requests go unlimited, at most once every
// rateLimitWarnEvery.
func (a *API) warnRateLimitDown(ctx context.Context, err error) {
	now := time.Now().UnixNano()
	last := lastRateLimitWarning.Load()
	if last != 0 && now-last < int64(rateLimitWarnEvery) {
		return
	}
	if !lastRateLimitWarning.CompareAndSwap(last, now) {
		return // another request is logging it
	}
	a.log.WarnContext(ctx, "rate limiter cannot reach redis; serving API requests without a limit",
		"error", err, "next_warning_in", rateLimitWarnEvery.String())
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
