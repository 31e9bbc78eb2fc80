package apitest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// failureRecorder is a testing.TB that keeps the failures reported to it,
// so that CheckOpenAPI itself can be tested: a check that never fails
// would let every answer through.
type failureRecorder struct {
	testing.TB
	failures []string
}

func (r *failureRecorder) Helper() {}

func (r *failureRecorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *failureRecorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

const validCustomer = `{"id":"0b6c3f0e-8a5e-4c1e-9d0a-6f7e5d4c3b2a","external_id":"acme","name":"Acme",` +
	`"email":"billing@acme.test","provider_ids":{"stripe":"cus_1"},` +
	`"created_at":"2026-11-21T10:00:00Z","updated_at":"2026-11-21T10:00:00Z"}`

func TestCheckOpenAPIRefusesWhatTheDocumentDoesNot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path string
		status             int
		body               string
		noRequestID        bool
		want               string // "": the answer passes
	}{
		{"documented answer", "GET", "/v1/customers/acme", 200, validCustomer, false, ""},
		{"documented error", "GET", "/v1/customers/acme", 404, `{"error":{"code":"not_found","message":"no"}}`, false, ""},
		{"no content", "DELETE", "/v1/webhook-endpoints/e1", 204, "", false, ""},
		{"webhook receiver", "POST", "/v1/webhooks/crm", 418, "teapot", false, ""},
		{"unknown path", "GET", "/v1/nope", 404, "404 page not found", false, ""},
		{"unknown method", "DELETE", "/v1/customers", 404, "404 page not found", false, ""},
		{"undocumented status", "GET", "/v1/customers/acme", 418, `{"error":{"code":"teapot","message":"no"}}`, false, "status is not supported"},
		{"missing field", "GET", "/v1/customers/acme", 200, strings.Replace(validCustomer, `"name":"Acme",`, "", 1), false, "missing property 'name'"},
		{"null where not nullable", "GET", "/v1/customers/acme", 200, strings.Replace(validCustomer, `"Acme"`, "null", 1), false, "'/name': got null"},
		{"undocumented field", "GET", "/v1/customers/acme", 200, strings.Replace(validCustomer, `{`, `{"secret":"s",`, 1), false, "$.secret"},
		{"body where none is documented", "DELETE", "/v1/webhook-endpoints/e1", 204, `{}`, false, "describes no body"},
		{"code not listed for the status", "GET", "/v1/customers/acme", 404, `{"error":{"code":"seat_not_found","message":"no"}}`, false, "code seat_not_found is not among"},
		{"entry code not listed", "POST", "/v1/orders/o1/seat-assignments", 422,
			`{"error":{"code":"batch_rejected","message":"no","details":{"entries":[{"index":0,"seat_id":"s","code":"no_free_seat","message":"no"}]}}}`,
			false, "entry code no_free_seat"},
		{"no request id", "GET", "/v1/customers/acme", 200, validCustomer, true, "X-Request-Id"},
		{"undocumented method", "PATCH", "/v1/customers/acme", 200, validCustomer, false, "no documented operation"},
		{"code listed only as prose", "GET", "/v1/claims/inv_x", 410, `{"error":{"code":"seat_not_invited","message":"no"}}`, false, "code seat_not_invited is not among"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tc.method, "http://127.0.0.1:1"+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{}}
			if tc.body != "" {
				resp.Header.Set("Content-Type", "application/json; charset=utf-8")
			}
			if !tc.noRequestID {
				resp.Header.Set("X-Request-Id", "r1")
			}
			rec := &failureRecorder{TB: t}
			CheckOpenAPI(rec, req, resp, []byte(tc.body))
			switch {
			case tc.want == "" && len(rec.failures) > 0:
				t.Errorf("refused a documented answer: %v", rec.failures)
			case tc.want != "" && len(rec.failures) == 0:
				t.Errorf("let the answer through, want a failure mentioning %q", tc.want)
			case tc.want != "" && !strings.Contains(strings.Join(rec.failures, "\n"), tc.want):
				t.Errorf("failure %v does not mention %q", rec.failures, tc.want)
			}
		})
	}
}
