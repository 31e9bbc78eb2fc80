package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestIntegrationFlow walks the recommended integration of the management
// API end to end, against a real subscriber that verifies every delivery:
// customer → order of 3 seats → four users → assign three → the fourth is
// refused → a batch frees a seat and fills it → deactivating a user frees
// their seat (seat.revoked) → a bigger order seats the user waiting for one.
func TestIntegrationFlow(t *testing.T) {
	t.Parallel()
	e := newAPIClient(t, allowPrivateEnv)
	e.startWorker()
	sub := newSink(t, "", func(string, int) int { return http.StatusOK })
	ep := e.must(http.StatusCreated, http.MethodPost, "/v1/webhook-endpoints",
		`{"url":"`+sub.srv.URL+`/hook","event_types":["seat.assigned","seat.revoked"]}`)
	sub.trust(ep["secret"].(string))

	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme", `{"name":"Acme","email":"billing@acme.test"}`)
	order := e.must(http.StatusCreated, http.MethodPut, "/v1/orders/sub_1",
		`{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":3}]}`)
	if l := order["lines"].([]any)[0].(map[string]any); l["quantity"] != 3.0 || l["unassigned"] != 3.0 {
		t.Fatalf("order = %v", order)
	}
	for _, u := range []string{"u1", "u2", "u3", "u4"} {
		e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme/users/"+u,
			fmt.Sprintf(`{"email":"%s@acme.test","name":"%s"}`, u, u))
	}

	seats := listData(e.must(http.StatusOK, http.MethodGet, "/v1/orders/sub_1/seats?product_id=pro", ""))
	if len(seats) != 3 {
		t.Fatalf("seats = %v", seats)
	}
	seat := func(i int) string { return "/v1/orders/sub_1/seats/" + seats[i]["id"].(string) }
	for i, u := range []string{"u1", "u2", "u3"} {
		got := e.must(http.StatusOK, http.MethodPut, seat(i), `{"user_external_id":"`+u+`"}`)
		if got["status"] != "assigned" || got["user_external_id"] != u {
			t.Fatalf("assign %s: %v", u, got)
		}
	}

	// Every seat is taken: the fourth user is refused, and says why.
	refused := e.call(http.MethodPut, seat(0), `{"user_external_id":"u4"}`)
	if refused.status != http.StatusConflict || errorCode(refused) != "seat_occupied" {
		t.Fatalf("fourth user: %d %v", refused.status, refused.body)
	}
	if free := listData(e.must(http.StatusOK, http.MethodGet, "/v1/orders/sub_1/seats?status=unassigned", "")); len(free) != 0 {
		t.Fatalf("free seats after the refusal: %v", free)
	}

	// One batch frees u1's seat and gives it to u4.
	batch := e.must(http.StatusOK, http.MethodPost, "/v1/orders/sub_1/seat-assignments", fmt.Sprintf(
		`{"assignments":[{"seat_id":%q,"user_external_id":null},{"seat_id":%q,"user_external_id":"u4"}]}`,
		seats[0]["id"], seats[0]["id"]))
	if got := listData(batch); len(got) != 1 || got[0]["user_external_id"] != "u4" {
		t.Fatalf("batch = %v", batch)
	}

	// Deactivating u2 frees their seat and tells the subscriber.
	e.must(http.StatusOK, http.MethodPut, "/v1/customers/acme/users/u2", `{"email":"u2@acme.test","status":"deactivated"}`)
	if got := e.must(http.StatusOK, http.MethodGet, seat(1), ""); got["status"] != "unassigned" {
		t.Fatalf("u2's seat after deactivation: %v", got)
	}
	revoked := sub.waitFor(t, "seat.revoked", func(d map[string]any) bool {
		return d["reason"] == "user_deactivated" && d["user"].(map[string]any)["external_id"] == "u2"
	})
	if revoked["seat_id"] != seats[1]["id"] {
		t.Errorf("seat.revoked names seat %v, want %v", revoked["seat_id"], seats[1]["id"])
	}

	// Everyone active is entitled: u1 takes the free seat, u5 must wait.
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme/auto-assign/pro", `{"all_users":true}`)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme/users/u5", `{"email":"u5@acme.test"}`)
	usage := e.must(http.StatusOK, http.MethodGet, "/v1/customers/acme/seat-usage", "")
	if p := listData(usage)[0]; p["assigned"] != 3.0 || p["waiting"] != 1.0 {
		t.Fatalf("usage before the upgrade = %v", usage)
	}

	// Buying a fourth seat seats u5.
	e.must(http.StatusOK, http.MethodPut, "/v1/orders/sub_1",
		`{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":4}]}`)
	sub.waitFor(t, "seat.assigned", func(d map[string]any) bool {
		return d["user"].(map[string]any)["external_id"] == "u5"
	})
	usage = e.must(http.StatusOK, http.MethodGet, "/v1/customers/acme/seat-usage", "")
	if p := listData(usage)[0]; p["quantity"] != 4.0 || p["assigned"] != 4.0 || p["waiting"] != 0.0 {
		t.Fatalf("usage after the upgrade = %v", usage)
	}
	if v, err := e.d.db.InvariantViolations(context.Background()); err != nil || len(v) != 0 {
		t.Fatalf("invariants: %v %v", v, err)
	}
}

// waitFor waits until the subscriber has received an event of type typ
// whose data satisfies ok, and returns that data.
func (s *sink) waitFor(t *testing.T, typ string, ok func(data map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s.mu.Lock()
		for _, raw := range s.bodies {
			var ev struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			if json.Unmarshal(raw, &ev) == nil && ev.Type == typ && ok(ev.Data) {
				s.mu.Unlock()
				return ev.Data
			}
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s event arrived", typ)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
