package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

// limitRate admits a key's requests at a sustained a.rateLimit a second
// with bursts of a.rateBurst (see package ratelimit: GCRA in Redis, shared
// by every API process, failing open when Redis is down). It runs after
// authenticate.
func (a *API) limitRate(c *gin.Context) {
	key := c.MustGet(apiKeyContextKey).(storage.APIKey)
	d := a.limiter.Allow(c.Request.Context(), "api_key:"+key.ID)
	if !d.Checked {
		c.Next()
		return
	}
	c.Header("RateLimit-Limit", strconv.Itoa(d.Limit))
	c.Header("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	if !d.Allowed {
		c.Header("Retry-After", strconv.Itoa(d.RetryAfter))
		a.fail(c, &detailedError{
			apiError: &apiError{http.StatusTooManyRequests, "rate_limited", fmt.Sprintf(
				"too many requests with this API key (at most %d a second, %d at once); retry in %d s",
				a.rateLimit, a.rateBurst, d.RetryAfter)},
			details: map[string]any{"retry_after": d.RetryAfter},
		})
		return
	}
	c.Next()
}
