package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/seatsync/seatsync/api/apitest"
)

func TestReadAPI(t *testing.T) {
	t.Parallel()
	s := newAPITest(t)
	s.startWorker()
	ctx := context.Background()
	keyID := s.keyID()
	_, revokedSecret, _ := s.db.CreateAPIKey(ctx, "old")
	if keys, _ := s.db.ListAPIKeys(ctx); len(keys) == 2 {
		for _, k := range keys {
			if k.ID != keyID {
				_ = s.db.RevokeAPIKey(ctx, k.ID)
			}
		}
	}
	e := apitest.Event{ID: "evt_u", Type: "user.upserted", At: time.Now(),
		Data: `{"customer_external_id":"acme","external_id":"u1","email":"jane@acme.test","groups":["eng"]}`}
	s.send(e)
	s.waitProcessed("crm", e.ID)

	tests := []struct {
		name     string
		path     string
		header   http.Header
		want     int
		wantCode string
		check    func(t *testing.T, body map[string]any)
	}{
		{name: "customer", path: "/v1/customers/acme", header: s.key, want: http.StatusOK,
			check: func(t *testing.T, b map[string]any) {
				if b["external_id"] != "acme" || b["id"] == "" {
					t.Errorf("customer = %v", b)
				}
			}},
		{name: "user", path: "/v1/customers/acme/users/u1", header: s.key, want: http.StatusOK,
			check: func(t *testing.T, b map[string]any) {
				if b["email"] != "jane@acme.test" || b["status"] != "active" || b["customer_external_id"] != "acme" {
					t.Errorf("user = %v", b)
				}
			}},
		{name: "unknown customer", path: "/v1/customers/nope", header: s.key, want: http.StatusNotFound, wantCode: "not_found"},
		{name: "unknown user", path: "/v1/customers/acme/users/nope", header: s.key, want: http.StatusNotFound, wantCode: "not_found"},
		{name: "no key", path: "/v1/customers/acme", want: http.StatusUnauthorized, wantCode: "missing_api_key"},
		{name: "unknown key", path: "/v1/customers/acme", header: bearer("ssk_nope"), want: http.StatusUnauthorized, wantCode: "invalid_api_key"},
		{name: "revoked key", path: "/v1/customers/acme", header: bearer(revokedSecret), want: http.StatusUnauthorized, wantCode: "invalid_api_key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := s.get(tc.path, tc.header)
			if a.status != tc.want || errorCode(a) != tc.wantCode {
				t.Fatalf("answer %d %v, want %d %q", a.status, a.body, tc.want, tc.wantCode)
			}
			if tc.check != nil {
				tc.check(t, a.body)
			}
		})
	}
}
