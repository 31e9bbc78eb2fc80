package api_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seatsync/seatsync/api"
	"github.com/seatsync/seatsync/api/apitest"
)

var generatedRequestID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	e := newAPITest(t)
	withID := func(id string) http.Header { return http.Header{api.RequestIDHeader: {id}} }
	hook := apitest.Event{ID: "evt_rid", Type: "customer.upserted", At: time.Now(), Data: `{"external_id":"acme"}`}
	hookHeader := apitest.Signed(t, secretNew, hook.ID, time.Now(), hook.Body())
	hookHeader.Set(api.RequestIDHeader, "hook-1")

	tests := []struct {
		name   string
		do     func() answer
		sent   string // "": none, or one that must be replaced
		kept   bool
		status int
	}{
		{"api", func() answer { return e.callWith("GET", "/v1/webhook-endpoints", "", withID("trace-1")) }, "trace-1", true, 200},
		{"api without key", func() answer { return e.get("/v1/webhook-endpoints", withID("trace-2")) }, "trace-2", true, 401},
		{"public", func() answer { return e.get("/v1/openapi.json", nil) }, "", false, 200},
		{"unknown route", func() answer { return e.get("/v1/nope", nil) }, "", false, 404},
		{"webhook receiver", func() answer { return e.post("/v1/webhooks/crm", hookHeader, hook.Body()) }, "hook-1", true, 202},
		{"insane id", func() answer { return e.get("/v1/openapi.json", withID("a b")) }, "a b", false, 200},
		{"too long id", func() answer { return e.get("/v1/openapi.json", withID(strings.Repeat("a", 129))) }, strings.Repeat("a", 129), false, 200},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		a := tc.do()
		id := a.header.Get(api.RequestIDHeader)
		if a.status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, a.status, tc.status)
		}
		if tc.kept && id != tc.sent || !tc.kept && !generatedRequestID.MatchString(id) {
			t.Errorf("%s: X-Request-Id %q (sent %q)", tc.name, id, tc.sent)
		}
		if seen[id] {
			t.Errorf("%s: X-Request-Id %q given twice", tc.name, id)
		}
		seen[id] = true
	}

	// One access line per API request, with the key's id but never the key.
	lines := e.logLinesWith("api request", "trace-1")
	if len(lines) != 1 {
		t.Fatalf("access lines for trace-1: %v", lines)
	}
	l := lines[0]
	if l["level"] != "INFO" || l["method"] != "GET" || l["route"] != "/v1/webhook-endpoints" || l["status"] != 200.0 ||
		l["api_key_id"] != e.keyID() || l["duration_ms"] == nil {
		t.Errorf("access line = %v", l)
	}
	if lines := e.logLinesWith("api request", "trace-2"); len(lines) != 1 || lines[0]["status"] != 401.0 || lines[0]["api_key_id"] != nil {
		t.Errorf("access line of the 401 = %v", lines)
	}
	if lines := e.logLinesWith("inbound event", "hook-1"); len(lines) != 1 || lines[0]["event_id"] != hook.ID {
		t.Errorf("receiver lines of hook-1 = %v", lines)
	}
	secret := strings.TrimPrefix(e.key.Get("Authorization"), "Bearer ")
	if strings.Contains(e.logBuf.String(), secret) {
		t.Error("the API key is in the log")
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := newAPITest(t, withRateLimit(1, 3))
	// The burst is there at once, whatever the time between requests.
	for i, remaining := range []string{"2", "1", "0"} {
		a := e.call(http.MethodGet, "/v1/webhook-endpoints", "")
		if a.status != http.StatusOK || a.header.Get("RateLimit-Limit") != "3" || a.header.Get("RateLimit-Remaining") != remaining {
			t.Fatalf("request %d: %d, RateLimit-Limit %q, RateLimit-Remaining %q", i+1, a.status,
				a.header.Get("RateLimit-Limit"), a.header.Get("RateLimit-Remaining"))
		}
	}
	// One more a second after that. Every request takes far less than a
	// second, so one of the next few is refused; looping rather than
	// asserting on the 4th keeps a stalled machine from failing the test.
	var refused answer
	for range 10 {
		if refused = e.call(http.MethodGet, "/v1/webhook-endpoints", ""); refused.status != http.StatusOK {
			break
		}
	}
	retry, err := strconv.Atoi(refused.header.Get("Retry-After"))
	if refused.status != http.StatusTooManyRequests || errorCode(refused) != "rate_limited" || err != nil || retry < 1 {
		t.Fatalf("over the limit: %d %v, Retry-After %q", refused.status, refused.body, refused.header.Get("Retry-After"))
	}
	if msg := refused.body["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "retry in "+strconv.Itoa(retry)+" s") {
		t.Errorf("message %q does not say when to retry", msg)
	}

	// Each key has a budget of its own.
	_, other, err := e.db.CreateAPIKey(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	if a := e.get("/v1/webhook-endpoints", bearer(other)); a.status != http.StatusOK || a.header.Get("RateLimit-Remaining") != "2" {
		t.Errorf("another key: %d, RateLimit-Remaining %q", a.status, a.header.Get("RateLimit-Remaining"))
	}
}

// TestRateLimitWithoutRedis: the API keeps serving when Redis is down, and
// says so in the log without a line per request.
func TestRateLimitWithoutRedis(t *testing.T) {
	t.Parallel()
	e := newAPITest(t, redisDown)
	for i := range 3 {
		a := e.call(http.MethodGet, "/v1/webhook-endpoints", "")
		if a.status != http.StatusOK || a.header.Get("RateLimit-Remaining") != "" {
			t.Fatalf("request %d without redis: %d %v %v", i+1, a.status, a.header, a.body)
		}
	}
	warnings := 0
	for _, l := range e.logLines() {
		if strings.HasPrefix(l["msg"].(string), "rate limiter cannot reach redis") {
			warnings++
		}
	}
	// At most one, not exactly one: the spacing of the warning is per
	// process, and another test may have logged it a moment ago.
	if warnings > 1 {
		t.Errorf("%d warnings for 3 requests", warnings)
	}
}

func TestAPIKeyRequiredOnEveryRoute(t *testing.T) {
	t.Parallel()
	e := newAPITest(t)
	oldSecret := e.revokedKey()
	public := map[string]bool{"GET /v1/openapi.json": true, "GET /v1/claims/:token": true}
	keys := []struct {
		name   string
		header http.Header
		code   string
	}{
		{"no key", http.Header{}, "missing_api_key"},
		{"not bearer", http.Header{"Authorization": {"Basic " + oldSecret}}, "missing_api_key"},
		{"unknown key", bearer("ssk_unknown"), "invalid_api_key"},
		{"revoked key", bearer(oldSecret), "invalid_api_key"},
	}
	checked := 0
	for _, r := range apiRoutes(t, e) {
		path := ginParam.ReplaceAllString(r.Path, "x")
		if public[r.Method+" "+r.Path] {
			a := e.get(path, http.Header{})
			if a.status == http.StatusUnauthorized {
				t.Errorf("public %s %s: 401 without a key", r.Method, r.Path)
			}
			continue
		}
		checked++
		for _, k := range keys {
			req, err := http.NewRequest(r.Method, e.http.URL+path, strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header = k.header.Clone()
			a := e.do(req)
			if a.status != http.StatusUnauthorized || errorCode(a) != k.code ||
				a.header.Get("WWW-Authenticate") == "" || a.header.Get(api.RequestIDHeader) == "" {
				t.Errorf("%s %s with %s: %d %v %v, want 401 %s", r.Method, r.Path, k.name, a.status, a.body, a.header, k.code)
			}
		}
	}
	if checked < 30 {
		t.Errorf("only %d routes checked", checked)
	}
}
