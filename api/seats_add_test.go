package api_test

import (
	"net/http"
	"testing"
)

// liveSeats counts the order's listed (live) seats of a product.
func liveSeats(t *testing.T, e *apiTest, order, product string) int {
	t.Helper()
	return len(seatsByProduct(t, e, order)[product])
}

// POST /v1/customers/{customer}/seats/add and …/remove on an elastic line:
// the user is upserted and seated, the line grows to max_quantity, a user
// already seated gets the same seat, remove frees the seat and an
// immediate release retires the grown one; Idempotency-Key replays.
func TestSeatAddRemoveAPI(t *testing.T) {
	t.Parallel()
	e := newAPITest(t)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme", `{"name":"Acme"}`)
	e.must(http.StatusCreated, http.MethodPut, "/v1/orders/sub_1",
		`{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":1,"elastic":true,"max_quantity":2}]}`)

	s := e.must(http.StatusOK, http.MethodPost, "/v1/customers/acme/seats/add",
		`{"product_id":"pro","user_external_id":"u1","user":{"name":"Una","email":"u1@acme.test"}}`)
	if s["order_external_id"] != "sub_1" || s["product_id"] != "pro" || s["status"] != "assigned" ||
		s["user_external_id"] != "u1" || s["user_email"] != "u1@acme.test" {
		t.Errorf("add u1: %v", s)
	}
	if u := e.must(http.StatusOK, http.MethodGet, "/v1/customers/acme/users/u1", ""); u["name"] != "Una" || u["status"] != "active" {
		t.Errorf("user u1 = %v", u)
	}
	// Again: the same seat, nothing new.
	if again := e.must(http.StatusOK, http.MethodPost, "/v1/customers/acme/seats/add", `{"product_id":"pro","user_external_id":"u1"}`); again["id"] != s["id"] {
		t.Errorf("adding a seated user again answered %v, want seat %v", again["id"], s["id"])
	}
	// No seat free: the elastic line grows, under an Idempotency-Key.
	path, body := "/v1/customers/acme/seats/add", `{"product_id":"pro","user_external_id":"u2"}`
	first := e.callWith(http.MethodPost, path, body, withKey("add-u2"))
	replay := e.callWith(http.MethodPost, path, body, withKey("add-u2"))
	if first.status != http.StatusOK || replay.status != http.StatusOK || !replayed(replay) || replay.body["id"] != first.body["id"] {
		t.Fatalf("add u2: %d %v, replay %d %v", first.status, first.body, replay.status, replay.body)
	}
	if n := liveSeats(t, e, "sub_1", "pro"); n != 2 {
		t.Errorf("%d live seats after growth, want 2", n)
	}
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme/users/gone", `{"status":"deactivated"}`)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/globex", `{}`)
	e.must(http.StatusCreated, http.MethodPut, "/v1/orders/sub_g1", `{"customer_external_id":"globex","lines":[{"product_id":"pro","quantity":1}]}`)
	e.must(http.StatusCreated, http.MethodPut, "/v1/orders/sub_g2", `{"customer_external_id":"globex","lines":[{"product_id":"pro","quantity":1}]}`)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/initech", `{}`)
	e.must(http.StatusCreated, http.MethodPut, "/v1/orders/sub_i", `{"customer_external_id":"initech","lines":[{"product_id":"pro","quantity":1}]}`)
	e.must(http.StatusOK, http.MethodPost, "/v1/customers/initech/seats/add", `{"product_id":"pro","user_external_id":"i1"}`)
	several := e.call(http.MethodPost, "/v1/customers/globex/seats/add", `{"product_id":"pro","user_external_id":"g1"}`)
	if d, _ := several.body["error"].(map[string]any)["details"].(map[string]any); several.status != http.StatusConflict || d == nil ||
		len(d["orders"].([]any)) != 2 {
		t.Errorf("several lines: %d %v", several.status, several.body)
	}
	checkErrors(t, e, []apiErrorCase{
		{name: "at max_quantity", method: http.MethodPost, path: path, body: `{"product_id":"pro","user_external_id":"u3"}`, want: 409, wantCode: "no_free_seat"},
		{name: "full line waits for nobody", method: http.MethodPost, path: "/v1/customers/initech/seats/add", body: `{"product_id":"pro","user_external_id":"i2"}`, want: 409, wantCode: "no_free_seat"},
		{name: "unknown customer", method: http.MethodPost, path: "/v1/customers/nope/seats/add", body: body, want: 404, wantCode: "not_found", wantParam: "customer"},
		{name: "no active line", method: http.MethodPost, path: path, body: `{"product_id":"other","user_external_id":"u1"}`, want: 404, wantCode: "no_active_line"},
		{name: "several active lines", method: http.MethodPost, path: "/v1/customers/globex/seats/add", body: `{"product_id":"pro","user_external_id":"g1"}`, want: 409, wantCode: "several_active_lines"},
		{name: "deactivated user", method: http.MethodPost, path: path, body: `{"product_id":"pro","user_external_id":"gone"}`, want: 422, wantCode: "user_deactivated"},
		{name: "no product", method: http.MethodPost, path: path, body: `{"user_external_id":"u1"}`, want: 400, wantCode: "invalid_parameter", wantParam: "product_id"},
		{name: "bad email", method: http.MethodPost, path: path, body: `{"product_id":"pro","user_external_id":"u9","user":{"email":"no"}}`, want: 400, wantCode: "invalid_parameter", wantParam: "user.email"},
		{name: "remove unknown user", method: http.MethodPost, path: "/v1/customers/acme/seats/remove", body: `{"product_id":"pro","user_external_id":"nobody"}`, want: 404, wantCode: "user_not_found"},
		{name: "remove unseated user", method: http.MethodPost, path: "/v1/customers/acme/seats/remove", body: `{"product_id":"pro","user_external_id":"gone"}`, want: 409, wantCode: "user_not_seated"},
		{name: "remove on several lines", method: http.MethodPost, path: "/v1/customers/globex/seats/remove", body: `{"product_id":"pro","user_external_id":"g1"}`, want: 409, wantCode: "several_active_lines"},
	})
	// A refused add changes nothing: u3 was not created.
	if a := e.call(http.MethodGet, "/v1/customers/acme/users/u3", ""); a.status != http.StatusNotFound {
		t.Errorf("a refused add left user u3: %d", a.status)
	}

	// Remove u2: the grown seat is retired at once (release immediate).
	rpath, rbody := "/v1/customers/acme/seats/remove", `{"product_id":"pro","user_external_id":"u2"}`
	removed := e.callWith(http.MethodPost, rpath, rbody, withKey("remove-u2"))
	if removed.status != http.StatusOK || removed.body["status"] != "unassigned" || removed.body["user_external_id"] != nil ||
		removed.body["id"] != first.body["id"] {
		t.Fatalf("remove u2: %d %v", removed.status, removed.body)
	}
	if again := e.callWith(http.MethodPost, rpath, rbody, withKey("remove-u2")); again.status != http.StatusOK || !replayed(again) {
		t.Errorf("replayed remove: %d %v", again.status, again.body)
	}
	if n := liveSeats(t, e, "sub_1", "pro"); n != 1 {
		t.Errorf("%d live seats after removing the grown one, want 1", n)
	}
	// Removing the holder of the bought seat keeps the seat.
	if r := e.must(http.StatusOK, http.MethodPost, rpath, `{"product_id":"pro","user_external_id":"u1"}`); r["status"] != "unassigned" {
		t.Errorf("remove u1: %v", r)
	}
	if n := liveSeats(t, e, "sub_1", "pro"); n != 1 {
		t.Errorf("%d live seats, want the bought one", n)
	}
	e.checkInvariants()
}
