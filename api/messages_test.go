package api

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBodyErrorsNameTheFieldAsSent: a body that does not fit its request
// is answered with one sentence naming the field as the caller wrote it,
// indexes included, and never with encoding/json's text about Go types.
func TestBodyErrorsNameTheFieldAsSent(t *testing.T) {
	r, key := newParamsAPI(t, 1_000_000, 1_000_000)
	if a := do(t, r, key, http.MethodPut, "/v1/customers/acme", `{"name":"Acme"}`); a.status != http.StatusCreated {
		t.Fatalf("create customer: %d %s", a.status, a.msg)
	}
	tests := []struct {
		name, method, target, body string
		status                     int
		code, param, message       string
	}{
		{"array body", "PUT", "/v1/customers/acme", `[]`, 400, "malformed_json", "", "the body must be a JSON object, not an array"},
		{"string field of a number", "PUT", "/v1/customers/acme", `{"name":1}`, 400, "invalid_parameter", "name", "name must be a string, not a number"},
		{"unknown field", "PUT", "/v1/customers/acme", `{"nmae":"Acme"}`, 400, "invalid_parameter", "nmae", "nmae is not a known field; check its spelling"},
		{"map of a list", "PUT", "/v1/customers/acme", `{"provider_ids":["cus_1"]}`, 400, "invalid_parameter", "provider_ids", "provider_ids must be a JSON object, not an array"},
		{"truncated", "PUT", "/v1/customers/acme", `{"name":`, 400, "malformed_json", "", "the body ends before its JSON value is complete"},
		{"not JSON", "PUT", "/v1/customers/acme", `name=Acme`, 400, "malformed_json", "", "the body is not valid JSON"},
		{"two values", "PUT", "/v1/customers/acme", `{}{}`, 400, "malformed_json", "", "more than one JSON value"},
		{"quantity a string", "PUT", "/v1/orders/o1", `{"customer_external_id":"acme","lines":[{"product_id":"a","quantity":1},{"product_id":"p","quantity":"2"}]}`,
			400, "invalid_parameter", "lines[1].quantity", "lines[1].quantity must be an integer from 0 to 1000000, not a string"},
		{"quantity fractional", "PUT", "/v1/orders/o1", `{"customer_external_id":"acme","lines":[{"product_id":"p","quantity":1.5}]}`,
			400, "invalid_parameter", "lines[0].quantity", "lines[0].quantity must be an integer from 0 to 1000000, not a number"},
		{"quantity over the limit", "PUT", "/v1/orders/o1", `{"customer_external_id":"acme","lines":[{"product_id":"p","quantity":1000001}]}`,
			400, "invalid_parameter", "lines[0].quantity", "lines[0].quantity must be an integer from 0 to 1000000, not 1000001"},
		{"lines an object", "PUT", "/v1/orders/o1", `{"customer_external_id":"acme","lines":{}}`,
			400, "invalid_parameter", "lines", "lines must be a JSON array, not an object"},
		{"unknown line field", "PUT", "/v1/orders/o1", `{"customer_external_id":"acme","lines":[{"product_id":"p","quantity":1,"qty":2}]}`,
			400, "invalid_parameter", "lines[0].qty", "lines[0].qty is not a known field"},
		{"nullable string of a number", "PUT", "/v1/orders/o1/seats/s1", `{"user_external_id":5}`,
			400, "invalid_parameter", "user_external_id", "user_external_id must be a string, not a number"},
	}
	for _, tt := range tests {
		a := do(t, r, key, tt.method, tt.target, tt.body)
		if a.status != tt.status || a.code != tt.code || a.param != tt.param || !strings.Contains(a.msg, tt.message) {
			t.Errorf("%s: %d %s parameter %q %q, want %d %s parameter %q saying %q",
				tt.name, a.status, a.code, a.param, a.msg, tt.status, tt.code, tt.param, tt.message)
		}
		for _, leak := range []string{"Go ", "json:", "api.", "struct"} {
			if strings.Contains(a.msg, leak) {
				t.Errorf("%s: message %q quotes the decoder (%q)", tt.name, a.msg, leak)
			}
		}
	}
}

// TestRateLimitHeadersAreExact: a new key's first request leaves burst-1,
// at the default rate (20 a second, whose emission interval is no exact
// binary fraction: the limiter's own count said 98 here) and at one a
// second, where the budget refills far slower than three requests take.
func TestRateLimitHeadersAreExact(t *testing.T) {
	for _, tt := range []struct {
		rate int
		want []int
	}{{20, []int{99}}, {1, []int{99, 98, 97}}} {
		r, key := newParamsAPI(t, tt.rate, 100)
		for i, want := range tt.want {
			a := do(t, r, key, http.MethodGet, "/v1/customers", "")
			if a.status != http.StatusOK || a.header.Get("RateLimit-Limit") != "100" || a.header.Get("RateLimit-Remaining") != strconv.Itoa(want) {
				t.Fatalf("rate %d, request %d: %d RateLimit-Limit %q RateLimit-Remaining %q, want 200, 100 and %d", tt.rate, i+1, a.status,
					a.header.Get("RateLimit-Limit"), a.header.Get("RateLimit-Remaining"), want)
			}
		}
	}
}

// TestBodyReadTimeoutIsItsOwnAnswer: a body that stops arriving is a 408
// request_timeout saying so, not a malformed body quoting socket addresses.
func TestBodyReadTimeoutIsItsOwnAnswer(t *testing.T) {
	r, key := newParamsAPI(t, 1000, 1000)
	srv := httptest.NewUnstartedServer(r)
	srv.Config.ReadTimeout = 500 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Ten bytes promised, one sent: the server's read times out.
	fmt.Fprintf(conn, "PUT /v1/customers/acme HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{", key)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), `"request_timeout"`) || strings.Contains(string(body), "127.0.0.1") {
		t.Fatalf("%d %s, want 408 request_timeout naming no address", resp.StatusCode, body)
	}
}
