package api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/seatsync/seatsync/api/apitest"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

func (e *apiTest) create(body string) map[string]any {
	e.t.Helper()
	return e.must(http.StatusCreated, http.MethodPost, "/v1/webhook-endpoints", body)
}

func TestWebhookEndpointsAPI(t *testing.T) {
	t.Parallel()
	e := newAPITest(t, allowPrivate)
	ctx := context.Background()
	storagetest.NewCustomer(t, e.db, "acme")

	first := e.create(`{"url":"http://127.0.0.1:9/hook","event_types":["seat.assigned","seat.revoked","seat.assigned"]}`)
	id, secret := first["id"].(string), first["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Errorf("secret = %q, want whsec_…", secret)
	}
	if got := fmt.Sprint(first["event_types"]); got != "[seat.assigned seat.revoked]" {
		t.Errorf("event_types = %s, want repeats dropped", got)
	}
	if first["customer_external_id"] != nil || first["enabled"] != true || first["failing_since"] != nil || first["disabled_reason"] != "" {
		t.Errorf("new endpoint = %v", first)
	}
	if _, ok := first["previous_secret_expires_at"]; ok {
		t.Errorf("new endpoint has previous_secret_expires_at: %v", first)
	}
	second := e.create(`{"url":"https://example.com/hook","customer_external_id":"acme"}`)
	if second["customer_external_id"] != "acme" || fmt.Sprint(second["event_types"]) != "[]" {
		t.Errorf("endpoint for acme = %v", second)
	}
	third := e.create(`{"url":"https://example.com/other","event_types":[]}`)

	t.Run("get and list never show the secret", func(t *testing.T) {
		got := e.must(http.StatusOK, http.MethodGet, "/v1/webhook-endpoints/"+id, "")
		if _, ok := got["secret"]; ok || got["url"] != "http://127.0.0.1:9/hook" {
			t.Errorf("get = %v", got)
		}
		page1 := e.must(http.StatusOK, http.MethodGet, "/v1/webhook-endpoints?limit=2", "")
		hasMore, next := listPagination(page1)
		page2 := e.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/v1/webhook-endpoints?limit=2&after=%v", next), "")
		hasMore2, next2 := listPagination(page2)
		listed := append(listData(page1), listData(page2)...)
		if !hasMore || hasMore2 || next2 != nil || len(listed) != 3 {
			t.Fatalf("pages: %v then %v", page1, page2)
		}
		for i, want := range []any{id, second["id"], third["id"]} {
			if listed[i]["id"] != want {
				t.Errorf("item %d = %v, want %v (creation order)", i, listed[i]["id"], want)
			}
			if _, ok := listed[i]["secret"]; ok {
				t.Errorf("list shows a secret: %v", listed[i])
			}
		}
		a := e.call(http.MethodGet, "/v1/webhook-endpoints?after=nope", "")
		if a.status != http.StatusBadRequest || errorCode(a) != "invalid_parameter" {
			t.Errorf("unknown cursor: %d %v", a.status, a.body)
		}
	})

	t.Run("patch", func(t *testing.T) {
		path := "/v1/webhook-endpoints/" + id
		off := e.must(http.StatusOK, http.MethodPatch, path, `{"enabled":false}`)
		if off["enabled"] != false || off["disabled_reason"] == "" || fmt.Sprint(off["event_types"]) != "[seat.assigned seat.revoked]" {
			t.Errorf("disabled = %v", off)
		}
		// As the worker leaves an endpoint it gave up on.
		if err := e.db.DisableEndpoint(ctx, id, "the endpoint answered 410 Gone"); err != nil {
			t.Fatal(err)
		}
		if err := e.db.Exec(ctx, `UPDATE webhook_endpoints SET failing_since = now() WHERE id = '`+id+`'`); err != nil {
			t.Fatal(err)
		}
		on := e.must(http.StatusOK, http.MethodPatch, path, `{"enabled":true,"event_types":["user.deactivated"],"url":"http://127.0.0.1:9/new"}`)
		if on["enabled"] != true || on["disabled_reason"] != "" || on["failing_since"] != nil ||
			fmt.Sprint(on["event_types"]) != "[user.deactivated]" || on["url"] != "http://127.0.0.1:9/new" {
			t.Errorf("re-enabled = %v", on)
		}
		if _, ok := on["secret"]; ok {
			t.Errorf("patch shows the secret: %v", on)
		}
		all := e.must(http.StatusOK, http.MethodPatch, path, `{"event_types":[]}`)
		if fmt.Sprint(all["event_types"]) != "[]" || all["url"] != "http://127.0.0.1:9/new" {
			t.Errorf("every type = %v", all)
		}
	})

	t.Run("rotate", func(t *testing.T) {
		rotated := e.must(http.StatusOK, http.MethodPost, "/v1/webhook-endpoints/"+id+"/rotate-secret", "")
		newSecret, _ := rotated["secret"].(string)
		if !strings.HasPrefix(newSecret, "whsec_") || newSecret == secret {
			t.Errorf("rotated secret = %q (was %q)", newSecret, secret)
		}
		expires, err := time.Parse(time.RFC3339, fmt.Sprint(rotated["previous_secret_expires_at"]))
		if err != nil || expires.Before(time.Now().Add(23*time.Hour)) || expires.After(time.Now().Add(25*time.Hour)) {
			t.Errorf("previous_secret_expires_at = %v, want in 24 h", rotated["previous_secret_expires_at"])
		}
		got := e.must(http.StatusOK, http.MethodGet, "/v1/webhook-endpoints/"+id, "")
		if _, ok := got["secret"]; ok || got["previous_secret_expires_at"] == nil {
			t.Errorf("get after rotation = %v", got)
		}
		stored, err := e.db.Endpoint(ctx, id)
		if err != nil || stored.Secret != newSecret || len(stored.SigningSecrets(time.Now())) != 2 {
			t.Errorf("stored endpoint: %v, signing with %d secrets", err, len(stored.SigningSecrets(time.Now())))
		}
	})

	t.Run("delete", func(t *testing.T) {
		path := "/v1/webhook-endpoints/" + third["id"].(string)
		if a := e.call(http.MethodDelete, path, ""); a.status != http.StatusNoContent {
			t.Fatalf("delete: %d %v", a.status, a.body)
		}
		for _, method := range []string{http.MethodGet, http.MethodDelete, http.MethodPatch} {
			if a := e.call(method, path, `{}`); a.status != http.StatusNotFound || errorCode(a) != "not_found" {
				t.Errorf("%s after delete: %d %v", method, a.status, a.body)
			}
		}
	})

	tests := []struct {
		name      string
		method    string
		path      string
		body      string
		noKey     bool
		want      int
		wantCode  string
		wantParam string
	}{
		{name: "ftp url", body: `{"url":"ftp://example.com/x"}`, want: 400, wantCode: "invalid_parameter", wantParam: "url"},
		{name: "no url", body: `{"event_types":["seat.assigned"]}`, want: 400, wantCode: "invalid_parameter", wantParam: "url"},
		{name: "unknown event type", body: `{"url":"https://example.com/h","event_types":["seat.stolen"]}`, want: 400, wantCode: "invalid_parameter", wantParam: "event_types"},
		{name: "unknown customer", body: `{"url":"https://example.com/h","customer_external_id":"nobody"}`, want: 404, wantCode: "not_found", wantParam: "customer_external_id"},
		{name: "malformed json", body: `{"url":`, want: 400, wantCode: "malformed_json"},
		{name: "not an object", body: `["https://example.com/h"]`, want: 400, wantCode: "malformed_json"},
		{name: "trailing data", body: `{"url":"https://example.com/h"} {}`, want: 400, wantCode: "malformed_json"},
		{name: "empty body", body: "", want: 400, wantCode: "malformed_json"},
		{name: "wrong type", body: `{"url":5}`, want: 400, wantCode: "invalid_parameter", wantParam: "url"},
		{name: "unknown field", body: `{"url":"https://example.com/h","events":["seat.assigned"]}`, want: 400, wantCode: "invalid_parameter", wantParam: "events"},
		{name: "too large", body: `{"url":"https://example.com/` + strings.Repeat("a", 65<<10) + `"}`, want: 413, wantCode: "body_too_large"},
		{name: "patch bad url", method: http.MethodPatch, path: "/v1/webhook-endpoints/" + id, body: `{"url":"http://user:pw@example.com/"}`, want: 400, wantCode: "invalid_parameter", wantParam: "url"},
		{name: "patch unknown type", method: http.MethodPatch, path: "/v1/webhook-endpoints/" + id, body: `{"event_types":["nope"]}`, want: 400, wantCode: "invalid_parameter", wantParam: "event_types"},
		{name: "malformed id", method: http.MethodGet, path: "/v1/webhook-endpoints/not-a-uuid", want: 404, wantCode: "not_found"},
		{name: "rotate unknown", method: http.MethodPost, path: "/v1/webhook-endpoints/not-a-uuid/rotate-secret", want: 404, wantCode: "not_found"},
		{name: "create without key", body: `{"url":"https://example.com/h"}`, noKey: true, want: 401, wantCode: "missing_api_key"},
		{name: "list without key", method: http.MethodGet, noKey: true, want: 401, wantCode: "missing_api_key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method, path := tc.method, tc.path
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/v1/webhook-endpoints"
			}
			key := e.key
			if tc.noKey {
				e.key = http.Header{}
				defer func() { e.key = key }()
			}
			a := e.call(method, path, tc.body)
			if a.status != tc.want || errorCode(a) != tc.wantCode {
				t.Fatalf("answer %d %v, want %d %s", a.status, a.body, tc.want, tc.wantCode)
			}
			details, _ := a.body["error"].(map[string]any)["details"].(map[string]any)
			if tc.wantParam != "" && details["parameter"] != tc.wantParam {
				t.Errorf("details = %v, want parameter %s", details, tc.wantParam)
			}
		})
	}
}

func TestWebhookEndpointsRefusePrivateURLs(t *testing.T) {
	t.Parallel()
	e := newAPITest(t)
	for _, url := range []string{"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest"} {
		a := e.call(http.MethodPost, "/v1/webhook-endpoints", `{"url":"`+url+`"}`)
		if a.status != http.StatusBadRequest || errorCode(a) != "invalid_parameter" {
			t.Errorf("%s: %d %v, want 400 invalid_parameter", url, a.status, a.body)
		}
	}
	e.create(`{"url":"https://example.com/hook"}`)
}

// hookSink is a subscriber answering 200 to deliveries that verify with
// its secret, and counting them by webhook-id.
type hookSink struct {
	t      testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	got    map[string]int
}

func newHookSink(t testing.TB) *hookSink {
	h := &hookSink{t: t, got: map[string]int{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		wh, err := standardwebhooks.NewWebhook(h.secret)
		if err == nil {
			err = wh.Verify(body, r.Header)
		}
		if err != nil {
			h.t.Errorf("delivery does not verify: %v", err)
		}
		h.got[r.Header.Get("webhook-id")]++
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookSink) requests(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got[id]
}

// waitDeliveries polls the endpoint's deliveries until ok holds for the
// first one.
func (e *apiTest) waitDeliveries(endpointID string, ok func(d map[string]any) bool) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ds := listData(e.must(http.StatusOK, http.MethodGet, "/v1/webhook-endpoints/"+endpointID+"/deliveries", ""))
		if len(ds) > 0 && ok(ds[0]) {
			return ds[0]
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("deliveries of %s: %v; log:\n%s", endpointID, ds, e.logBuf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWebhookDeliveriesAPI(t *testing.T) {
	t.Parallel()
	// waitDeliveries polls the API faster than the default rate limit
	// allows for long.
	e := newAPITest(t, allowPrivate, withRateLimit(1000, 1000))
	e.startWorker()
	ctx := context.Background()
	sink := newHookSink(t)
	created := e.create(`{"url":"` + sink.srv.URL + `/hook","event_types":["seat.pool_updated"]}`)
	id := created["id"].(string)
	sink.mu.Lock()
	sink.secret = created["secret"].(string)
	sink.mu.Unlock()
	base := "/v1/webhook-endpoints/" + id

	before := time.Now().Add(-time.Minute)
	ev := apitest.Event{ID: "evt_order", Type: "order.upserted", At: time.Now(),
		Data: `{"external_id":"sub_1","customer_external_id":"acme","lines":[{"product_id":"pro","quantity":3}]}`}
	e.send(ev)
	if got := e.waitProcessed("crm", ev.ID); got.Status != storage.InboxApplied {
		t.Fatalf("order: %s %s", got.Status, got.Error)
	}
	d := e.waitDeliveries(id, func(d map[string]any) bool { return d["status"] == storage.DeliveryDelivered })
	deliveryID, messageID := d["id"].(string), d["message_id"].(string)
	if d["event_type"] != "seat.pool_updated" || d["attempts"] != 1.0 || d["last_attempt_at"] == nil || sink.requests(messageID) != 1 {
		t.Errorf("delivery = %v, sink saw it %d times", d, sink.requests(messageID))
	}

	attempts := e.must(http.StatusOK, http.MethodGet, base+"/deliveries/"+deliveryID+"/attempts", "")
	as := listData(attempts)
	if len(as) != 1 || as[0]["status_code"] != 200.0 || as[0]["error"] != "" {
		t.Errorf("attempts = %v", attempts)
	}

	resent := e.must(http.StatusAccepted, http.MethodPost, base+"/deliveries/"+deliveryID+"/resend", "")
	if resent["id"] != deliveryID || resent["resends"] != 1.0 {
		t.Errorf("resend answer = %v", resent)
	}
	e.waitDeliveries(id, func(d map[string]any) bool { return d["status"] == storage.DeliveryDelivered && d["attempts"] == 2.0 })
	if n := sink.requests(messageID); n != 2 {
		t.Errorf("sink saw webhook-id %s %d times after a resend, want 2", messageID, n)
	}

	// Resending failed deliveries picks only failed ones created since then.
	if got := e.must(http.StatusAccepted, http.MethodPost, base+"/resend", `{"since":"`+before.Format(time.RFC3339)+`"}`); got["resent"] != 0.0 {
		t.Errorf("resend with nothing failed = %v", got)
	}
	if err := e.db.Exec(ctx, `UPDATE deliveries SET status = 'failed' WHERE id = `+deliveryID); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour).Format(time.RFC3339)
	if got := e.must(http.StatusAccepted, http.MethodPost, base+"/resend", `{"since":"`+future+`"}`); got["resent"] != 0.0 {
		t.Errorf("resend since the future = %v", got)
	}
	if got := e.must(http.StatusAccepted, http.MethodPost, base+"/resend", `{"since":"`+before.Format(time.RFC3339)+`"}`); got["resent"] != 1.0 {
		t.Errorf("resend failed = %v", got)
	}
	e.waitDeliveries(id, func(d map[string]any) bool { return d["status"] == storage.DeliveryDelivered && d["attempts"] == 3.0 })
	if n := sink.requests(messageID); n != 3 {
		t.Errorf("sink saw webhook-id %s %d times after two resends, want 3", messageID, n)
	}

	page := e.must(http.StatusOK, http.MethodGet, base+"/deliveries?limit=1", "")
	if hasMore, next := listPagination(page); hasMore || next != nil || len(listData(page)) != 1 {
		t.Errorf("one delivery, one page: %v", page)
	}

	e.must(http.StatusOK, http.MethodPatch, base, `{"enabled":false}`)
	for _, tc := range []struct {
		name, method, path, body string
		want                     int
		wantCode                 string
	}{
		{"resend to a disabled endpoint", http.MethodPost, base + "/deliveries/" + deliveryID + "/resend", "", 409, "endpoint_disabled"},
		{"bulk resend to a disabled endpoint", http.MethodPost, base + "/resend", `{"since":"` + future + `"}`, 409, "endpoint_disabled"},
		{"since not RFC 3339", http.MethodPost, base + "/resend", `{"since":"yesterday"}`, 400, "invalid_parameter"},
		{"unknown delivery", http.MethodGet, base + "/deliveries/999999/attempts", "", 404, "not_found"},
		{"malformed delivery id", http.MethodGet, base + "/deliveries/x/attempts", "", 404, "not_found"},
		{"unknown cursor", http.MethodGet, base + "/deliveries?after=999999", "", 400, "invalid_parameter"},
		{"deliveries of an unknown endpoint", http.MethodGet, "/v1/webhook-endpoints/nope/deliveries", "", 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if a := e.call(tc.method, tc.path, tc.body); a.status != tc.want || errorCode(a) != tc.wantCode {
				t.Errorf("answer %d %v, want %d %s", a.status, a.body, tc.want, tc.wantCode)
			}
		})
	}

	// Deleting the endpoint takes its deliveries and attempts with it.
	e.must(http.StatusNoContent, http.MethodDelete, base, "")
	if _, _, _, err := e.db.DeliveryStatus(ctx, messageID, id); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("delivery after deleting its endpoint: %v", err)
	}
}
