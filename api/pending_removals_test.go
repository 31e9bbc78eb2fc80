package api_test

import (
	"net/http"
	"slices"
	"testing"
)

// An order line's scheduled reduction marks its seats pending_removal (seat
// objects say so); an admin moves the marks within the count, and the
// route's errors are the documented ones.
func TestMovePendingRemovalsAPI(t *testing.T) {
	t.Parallel()
	e, seats := newSeatsAPI(t, 3)
	pro := seats["pro"]
	for i, u := range []string{"u1", "u2", "u3"} {
		e.must(http.StatusOK, http.MethodPut, "/v1/orders/sub_1/seats/"+pro[i], `{"user_external_id":"`+u+`"}`)
	}
	move := func(body string) answer { return e.call(http.MethodPut, "/v1/orders/sub_1/pending-removals", body) }
	if a := move(`{"product_id":"pro","seat_ids":["` + pro[0] + `"]}`); a.status != http.StatusConflict || errorCode(a) != "no_schedule" {
		t.Errorf("move without a schedule: %s", status(a))
	}
	e.must(http.StatusOK, http.MethodPut, "/v1/orders/sub_1", `{"customer_external_id":"acme","lines":[
		{"product_id":"pro","quantity":3,"scheduled_quantity":1,"scheduled_at":"2026-12-21T00:00:00Z"},{"product_id":"addon","quantity":1}]}`)
	marked := func() []string {
		var ids []string
		for _, s := range listData(e.must(http.StatusOK, http.MethodGet, "/v1/orders/sub_1/seats?product_id=pro", "")) {
			if s["pending_removal"] == true {
				ids = append(ids, s["id"].(string))
			}
		}
		return ids
	}
	if got := marked(); !slices.Equal(got, []string{pro[1], pro[2]}) {
		t.Fatalf("marked = %v, want the two most recently assigned %v", got, pro[1:])
	}
	for _, tc := range []struct {
		body, code string
		status     int
	}{
		{`{"product_id":"pro","seat_ids":["` + pro[0] + `"]}`, "wrong_count", http.StatusUnprocessableEntity},
		{`{"product_id":"pro","seat_ids":["` + pro[0] + `","` + seats["addon"][0] + `"]}`, "seat_not_on_line", http.StatusUnprocessableEntity},
		{`{"product_id":"pro","seat_ids":["` + pro[0] + `","` + pro[0] + `"]}`, "duplicate_seat", http.StatusUnprocessableEntity},
		{`{"product_id":"nope","seat_ids":[]}`, "not_found", http.StatusNotFound},
		{`{"product_id":"pro"}`, "invalid_parameter", http.StatusBadRequest},
	} {
		if a := move(tc.body); a.status != tc.status || errorCode(a) != tc.code {
			t.Errorf("move %s: %s, want %d %s", tc.body, status(a), tc.status, tc.code)
		}
	}
	got := e.must(http.StatusOK, http.MethodPut, "/v1/orders/sub_1/pending-removals", `{"product_id":"pro","seat_ids":["`+pro[0]+`","`+pro[2]+`"]}`)
	if got["pending_removals"] != 2.0 {
		t.Errorf("answer = %v", got)
	}
	if ids := marked(); !slices.Equal(ids, []string{pro[0], pro[2]}) {
		t.Errorf("marked = %v after the move, want %v", ids, []string{pro[0], pro[2]})
	}
	// A cancel_at makes every live seat of the order pending removal.
	e.must(http.StatusOK, http.MethodPut, "/v1/orders/sub_1", `{"customer_external_id":"acme","cancel_at":"2026-12-31T00:00:00Z",
		"lines":[{"product_id":"pro","quantity":3},{"product_id":"addon","quantity":1}]}`)
	for _, s := range listData(e.must(http.StatusOK, http.MethodGet, "/v1/orders/sub_1/seats", "")) {
		if s["pending_removal"] != true {
			t.Errorf("seat %v of an order with cancel_at: pending_removal %v", s["id"], s["pending_removal"])
		}
	}
	if ids := marked(); len(ids) != 3 {
		t.Errorf("marked = %v", ids)
	}
	e.checkInvariants()
}
