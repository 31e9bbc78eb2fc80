package api_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/seatsync/seatsync/api"
)

func withKey(k string) http.Header { return http.Header{api.IdempotencyKeyHeader: {k}} }

// endpointCount counts the webhook endpoints: what POST /v1/webhook-endpoints
// creates, once per request that really ran.
func (e *apiTest) endpointCount() int {
	e.t.Helper()
	es, err := e.db.ListEndpoints(context.Background(), "", 200)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(es)
}

func replayed(a answer) bool { return a.header.Get("Idempotent-Replayed") == "true" }

func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	e := newAPITest(t, allowPrivate)
	const path, body = "/v1/webhook-endpoints", `{"url":"http://127.0.0.1:9/a"}`

	first := e.callWith(http.MethodPost, path, body, withKey("k1"))
	again := e.callWith(http.MethodPost, path, body, withKey("k1"))
	if first.status != http.StatusCreated || replayed(first) {
		t.Fatalf("first: %d %v %v", first.status, first.header, first.body)
	}
	// The replay is the first answer but for the signing secret, which is
	// shown once and never kept in the idempotency record.
	withoutSecret := maps.Clone(first.body)
	delete(withoutSecret, "secret")
	if again.status != first.status || !reflect.DeepEqual(again.body, withoutSecret) || !replayed(again) {
		t.Errorf("repeat: %d %v, want the first answer %v replayed without its secret", again.status, again.body, first.body)
	}
	if n := e.endpointCount(); n != 1 {
		t.Errorf("%d endpoints after a repeated request, want 1", n)
	}

	t.Run("refused", func(t *testing.T) {
		tests := []struct {
			name, path, body, key string
			status                int
			code                  string
		}{
			{"same key, other body", path, `{"url":"http://127.0.0.1:9/b"}`, "k1", 409, "idempotency_key_reused"},
			{"same key, other route", path + "/" + first.body["id"].(string) + "/rotate-secret", body, "k1", 409, "idempotency_key_reused"},
			{"empty key", path, body, "", 400, "invalid_parameter"},
			{"key too long", path, body, strings.Repeat("k", 256), 400, "invalid_parameter"},
			{"non-ASCII key", path, body, "clé", 400, "invalid_parameter"},
			{"body too large", path, `{"url":"` + strings.Repeat("a", 65<<10) + `"}`, "k-large", 413, "body_too_large"},
		}
		for _, tc := range tests {
			a := e.callWith(http.MethodPost, tc.path, tc.body, withKey(tc.key))
			if a.status != tc.status || errorCode(a) != tc.code {
				t.Errorf("%s: %d %v, want %d %s", tc.name, a.status, a.body, tc.status, tc.code)
			}
			if tc.code == "invalid_parameter" && a.body["error"].(map[string]any)["details"].(map[string]any)["parameter"] != "Idempotency-Key" {
				t.Errorf("%s: details %v, want the header named", tc.name, a.body["error"])
			}
		}
		if n := e.endpointCount(); n != 1 {
			t.Errorf("%d endpoints, want still 1", n)
		}
	})

	t.Run("client errors are kept", func(t *testing.T) {
		bad := `{"url":"ftp://example.com/x"}`
		a1 := e.callWith(http.MethodPost, path, bad, withKey("k-bad"))
		a2 := e.callWith(http.MethodPost, path, bad, withKey("k-bad"))
		if a1.status != http.StatusBadRequest || a2.status != http.StatusBadRequest || !replayed(a2) || !reflect.DeepEqual(a1.body, a2.body) {
			t.Errorf("a 400 repeated: %d %v then %d %v", a1.status, a1.body, a2.status, a2.body)
		}
	})

	t.Run("only POST", func(t *testing.T) {
		for range 2 {
			if a := e.callWith(http.MethodGet, path, "", withKey("k-get")); a.status != http.StatusOK || replayed(a) {
				t.Errorf("GET with a key: %d %v", a.status, a.header)
			}
		}
	})

	t.Run("keys are per API key", func(t *testing.T) {
		_, other, err := e.db.CreateAPIKey(context.Background(), "other")
		if err != nil {
			t.Fatal(err)
		}
		h := bearer(other)
		h.Set(api.IdempotencyKeyHeader, "k1")
		h.Set("Content-Type", "application/json")
		a := e.post(path, h, []byte(body))
		if a.status != http.StatusCreated || replayed(a) || a.body["id"] == first.body["id"] {
			t.Errorf("another API key with the same Idempotency-Key: %d %v", a.status, a.body)
		}
		if n := e.endpointCount(); n != 2 {
			t.Errorf("%d endpoints, want 2", n)
		}
	})

	t.Run("server errors are not kept", func(t *testing.T) {
		ctx := context.Background()
		if err := e.db.Exec(ctx, `ALTER TABLE webhook_endpoints RENAME TO webhook_endpoints_away`); err != nil {
			t.Fatal(err)
		}
		failed := e.callWith(http.MethodPost, path, body, withKey("k-5xx"))
		if err := e.db.Exec(ctx, `ALTER TABLE webhook_endpoints_away RENAME TO webhook_endpoints`); err != nil {
			t.Fatal(err)
		}
		if failed.status != http.StatusInternalServerError || errorCode(failed) != "internal" {
			t.Fatalf("with the table gone: %d %v", failed.status, failed.body)
		}
		id := failed.header.Get(api.RequestIDHeader)
		if got := failed.body["error"].(map[string]any)["details"].(map[string]any)["request_id"]; got != id {
			t.Errorf("500 details.request_id = %v, want %s", got, id)
		}
		if lines := e.logLinesWith("api request failed", id); len(lines) != 1 || lines[0]["level"] != "ERROR" {
			t.Errorf("error lines of request %s: %v", id, lines)
		}
		retry := e.callWith(http.MethodPost, path, body, withKey("k-5xx"))
		if retry.status != http.StatusCreated || replayed(retry) {
			t.Errorf("retry after a 500: %d %v %v", retry.status, retry.header, retry.body)
		}
	})
}

// TestIdempotencyKeyConcurrentRequests: requests racing with one key run
// once; the others get its answer or are told it is still running.
func TestIdempotencyKeyConcurrentRequests(t *testing.T) {
	t.Parallel()
	e := newAPITest(t, allowPrivate)
	const n = 8
	type result struct {
		status   int
		code     string
		replayed bool
	}
	results := make(chan result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest(http.MethodPost, e.http.URL+"/v1/webhook-endpoints", strings.NewReader(`{"url":"http://127.0.0.1:9/c"}`))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header = e.key.Clone()
			req.Header.Set(api.IdempotencyKeyHeader, "k-race")
			<-start
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			a := answer{status: resp.StatusCode}
			_ = json.Unmarshal(raw, &a.body)
			results <- result{resp.StatusCode, errorCode(a), resp.Header.Get("Idempotent-Replayed") == "true"}
		}()
	}
	close(start)
	wg.Wait()
	close(results)
	ran := 0
	for r := range results {
		switch {
		case r.status == http.StatusCreated && !r.replayed:
			ran++
		case r.status == http.StatusCreated, r.status == http.StatusConflict && r.code == "idempotency_key_in_use":
		default:
			t.Errorf("answer %+v", r)
		}
	}
	if ran != 1 {
		t.Errorf("%d requests ran, want 1", ran)
	}
	if c := e.endpointCount(); c != 1 {
		t.Errorf("%d endpoints, want 1", c)
	}
}
