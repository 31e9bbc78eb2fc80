package scim

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"github.com/seatsync/seatsync/jobs/jobstest"
)

// TestRateLimitPerToken: over its burst a token is answered 429 with
// Retry-After, as a SCIM error; another customer's token is not slowed.
func TestRateLimitPerToken(t *testing.T) {
	b := setup(t)
	other := b.addCustomer("globex")
	rdb := jobstest.New(t).MakeRedisClient().(redis.UniversalClient)
	t.Cleanup(func() { rdb.Close() })
	b.router = gin.New()
	New(Options{DB: b.db, Engine: b.engine, Redis: rdb, Log: slog.New(slog.NewJSONHandler(b.logs, nil)), RateLimit: 1, RateBurst: 2}).Register(b.router)
	for i := range 2 {
		if r := b.do(http.MethodGet, "/ServiceProviderConfig", ""); r.status != http.StatusOK || r.header.Get("RateLimit-Limit") != "2" {
			t.Fatalf("request %d: %d %v", i, r.status, r.header)
		}
	}
	r := b.do(http.MethodGet, "/Users", "")
	checkSCIMError(t, r, http.StatusTooManyRequests, "")
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if r := b.doAs(other, "/scim/v2/globex/Users", http.MethodGet, ""); r.status != http.StatusOK {
		t.Errorf("another token: %d", r.status)
	}
}
