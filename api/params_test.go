package api

// This file carries its own small setup (newParamsAPI) rather than the
// shared api test harness, which is being built alongside; the lead unifies
// them.

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
	"github.com/seatsync/seatsync/worker/engine"
)

// newParamsAPI serves the whole API over a fresh database and returns the
// router and an API key.
func newParamsAPI(t *testing.T, rate, burst int) (*gin.Engine, string) {
	t.Helper()
	db := storagetest.NewDB(t)
	opt := jobstest.New(t)
	rdb := redis.NewClient(&redis.Options{Addr: opt.Addr, DB: opt.DB})
	queue := jobs.NewClient(opt)
	t.Cleanup(func() { rdb.Close(); queue.Close() })
	_, key, err := db.CreateAPIKey(context.Background(), "params test")
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(RequestID)
	New(Options{DB: db, Queue: queue, Redis: rdb, Engine: engine.New(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RateLimit: rate, RateBurst: burst}).Register(r)
	return r, key
}

type answer struct {
	status int
	header http.Header
	code   string
	param  string
	msg    string
}

func do(t *testing.T, r http.Handler, key, method, target, body string) answer {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	var e struct {
		Error struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &e)
	param, _ := e.Error.Details["parameter"].(string)
	return answer{w.Code, w.Header(), e.Error.Code, param, e.Error.Message}
}

// documentedCodes reads, per operation and status, the codes that
// api/openapi.json lists ("Codes: `a`, `b`").
func documentedCodes(t *testing.T) map[string]map[string][]string {
	t.Helper()
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Responses map[string]struct {
				Description string `json:"description"`
			} `json:"responses"`
		} `json:"components"`
	}
	if err := json.Unmarshal(OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	listed := regexp.MustCompile("`([a-z_]+)`")
	out := map[string]map[string][]string{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			var op struct {
				Responses map[string]struct {
					Ref         string `json:"$ref"`
					Description string `json:"description"`
				} `json:"responses"`
			}
			if json.Unmarshal(raw, &op) != nil {
				continue
			}
			byStatus := map[string][]string{}
			for status, r := range op.Responses {
				desc := r.Description
				if r.Ref != "" {
					desc = doc.Components.Responses[strings.TrimPrefix(r.Ref, "#/components/responses/")].Description
				}
				_, codes, _ := strings.Cut(desc, "Codes:")
				for _, m := range listed.FindAllStringSubmatch(codes, -1) {
					byStatus[status] = append(byStatus[status], m[1])
				}
			}
			out[strings.ToUpper(method)+" "+path] = byStatus
		}
	}
	return out
}

// queryParams are the query parameters the API reads, plus one it does not,
// whose bad value must be refused just the same.
var queryParams = []string{"after", "limit", "status", "source", "product_id", "unknown"}

// TestBadURLValuesAreRefusedOnEveryRoute drives every route of the router,
// taken from the engine itself so that a new route is covered without
// editing this test, with issue 12's hostile values in each path parameter
// and query parameter. No answer may be a 5xx; NUL, invalid UTF-8 and
// over-long values are a 400 invalid_parameter naming the parameter; every
// error answer's code is one the document lists for its status.
//
// Not parallel: it uses the package's Redis DB, which setup flushes.
func TestBadURLValuesAreRefusedOnEveryRoute(t *testing.T) {
	r, key := newParamsAPI(t, 1_000_000, 1_000_000)
	documented := documentedCodes(t)
	bad := []struct {
		name, escaped string
		refused       bool // always a 400 naming the parameter
	}{
		{"nul", "%00", true},
		{"embedded nul", "a%00b", true},
		{"invalid utf-8", "%ff%fe", true},
		{"control character", "a%01b", true},
		{"over-long", strings.Repeat("x", 256), true},
		{"empty", "", false},
	}
	routes := r.Routes()
	if len(routes) < 30 {
		t.Fatalf("the router has %d routes; want the whole API", len(routes))
	}
	for _, route := range routes {
		op := route.Method + " " + regexp.MustCompile(`:(\w+)`).ReplaceAllString(route.Path, "{$1}")
		codes, ok := documented[op]
		if !ok {
			t.Errorf("%s is not in the document", op)
			continue
		}
		segments := strings.Split(route.Path, "/")
		for i, seg := range segments {
			name, isParam := strings.CutPrefix(seg, ":")
			if !isParam {
				continue
			}
			for _, b := range bad {
				path := slices.Clone(segments)
				for j, s := range path {
					if strings.HasPrefix(s, ":") {
						path[j] = "x"
					}
				}
				path[i] = b.escaped
				target := strings.Join(path, "/")
				check(t, r, key, route.Method, target, op, name, b.name, b.refused, codes)
			}
		}
		for _, q := range queryParams {
			for _, b := range bad {
				target := regexp.MustCompile(`:\w+`).ReplaceAllString(route.Path, "x") + "?" + q + "=" + b.escaped
				check(t, r, key, route.Method, target, op, q, b.name, b.refused, codes)
			}
		}
	}
}

func check(t *testing.T, r http.Handler, key, method, target, op, param, value string, refused bool, codes map[string][]string) {
	t.Helper()
	a := do(t, r, key, method, target, `{}`)
	status := http.StatusText(a.status)
	switch {
	case a.status >= 500:
		t.Errorf("%s %s (%s %s): %d %s %q, want no 5xx", method, target, param, value, a.status, a.code, a.msg)
	case refused && (a.status != http.StatusBadRequest || a.code != "invalid_parameter" || a.param != param):
		t.Errorf("%s %s (%s %s): %d %s parameter %q, want 400 invalid_parameter naming %q", method, target, param, value, a.status, a.code, a.param, param)
	case a.status >= 400 && a.code != "" && !slices.Contains(codes[strconv.Itoa(a.status)], a.code):
		t.Errorf("%s %s (%s %s): %d (%s) %s is not a code %s lists for %d: %v", method, target, param, value, a.status, status, a.code, op, a.status, codes[strconv.Itoa(a.status)])
	case refused && (strings.Contains(a.msg, "\x00") || !strings.Contains(a.msg, param)):
		t.Errorf("%s %s: message %q should name %s and not echo the value", method, target, a.msg, param)
	}
}

// TestUnavailableDatabaseAnswers503: with Postgres unreachable, a request
// is a 503 with Retry-After, not a 500, and its message names no address.
func TestUnavailableDatabaseAnswers503(t *testing.T) {
	t.Parallel()
	db, err := storage.Open("postgres://postgres@127.0.0.1:1/seatsync?sslmode=disable&connect_timeout=1") // nothing listens on port 1
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := gin.New()
	r.Use(RequestID)
	New(Options{DB: db, Engine: engine.New(), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RateLimit: 1, RateBurst: 1}).Register(r)
	for _, target := range []string{"/v1/customers", "/v1/customers/acme", "/v1/claims/tok"} {
		a := do(t, r, "sk_whatever", http.MethodGet, target, "")
		if a.status != http.StatusServiceUnavailable || a.code != "unavailable" || a.header.Get("Retry-After") == "" {
			t.Errorf("GET %s: %d %s Retry-After %q, want 503 unavailable with Retry-After", target, a.status, a.code, a.header.Get("Retry-After"))
		}
		if strings.Contains(a.msg, "127.0.0.1") || strings.Contains(a.msg, "dial") {
			t.Errorf("GET %s: message %q names the connection", target, a.msg)
		}
	}
}
