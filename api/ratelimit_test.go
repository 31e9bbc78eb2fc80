package api

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/storage"
)

// TestRateLimitFailsOpen: with Redis unreachable, requests are served
// without rate-limit headers, and the outage is logged once, not once per
// request. The warning's spacing is per API.
func TestRateLimitFailsOpen(t *testing.T) {
	var logs bytes.Buffer
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}) // nothing listens on port 1
	t.Cleanup(func() { rdb.Close() })
	a := New(Options{Redis: rdb, Log: slog.New(WithRequestIDs(slog.NewJSONHandler(&logs, nil))), RateLimit: 1, RateBurst: 1})
	r := gin.New()
	r.Use(RequestID)
	r.GET("/x", func(c *gin.Context) { c.Set(apiKeyContextKey, storage.APIKey{ID: "k"}) }, a.limitRate,
		func(c *gin.Context) { c.Status(http.StatusNoContent) })

	var firstID string
	for i := range 3 {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/x", nil))
		if w.Code != http.StatusNoContent || w.Header().Get("RateLimit-Remaining") != "" {
			t.Fatalf("request %d: %d %v, want served without a limit", i, w.Code, w.Header())
		}
		if i == 0 {
			firstID = w.Header().Get(RequestIDHeader)
		}
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"level":"WARN"`) || !strings.Contains(lines[0], `"request_id":"`+firstID+`"`) {
		t.Errorf("log = %q, want one warning from the first request", lines)
	}
}
