package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/seatsync/seatsync/storage/storagetest"
)

func TestBatchAssignAPI(t *testing.T) {
	t.Parallel()
	e, seats := newSeatsAPI(t, 4)
	const path = "/v1/orders/sub_1/seat-assignments"
	pro, addon := seats["pro"], seats["addon"]
	entry := func(seat, user string) string {
		if user == "" {
			return fmt.Sprintf(`{"seat_id":%q,"user_external_id":null}`, seat)
		}
		return fmt.Sprintf(`{"seat_id":%q,"user_external_id":%q}`, seat, user)
	}
	batch := func(entries ...string) string { return `{"assignments":[` + strings.Join(entries, ",") + `]}` }

	b := e.must(http.StatusOK, http.MethodPost, path, batch(entry(pro[0], "u1"), entry(pro[1], "u2"), entry(addon[0], "u1")))
	data := listData(b)
	if len(data) != 3 || data[0]["id"] != pro[0] || data[0]["user_external_id"] != "u1" ||
		data[1]["id"] != pro[1] || data[1]["user_external_id"] != "u2" || data[2]["id"] != addon[0] || data[2]["status"] != "assigned" {
		t.Fatalf("answer = %v, want the named seats in entry order", b)
	}

	t.Run("null frees a seat another entry fills", func(t *testing.T) {
		before := len(writtenEvents(t, e.db))
		b := e.must(http.StatusOK, http.MethodPost, path, batch(entry(pro[0], ""), entry(pro[0], "u3")))
		if data := listData(b); len(data) != 1 || data[0]["user_external_id"] != "u3" {
			t.Errorf("answer = %v", b)
		}
		events := writtenEvents(t, e.db)[before:]
		if len(events) != 2 || events[0].Type != "seat.revoked" || events[0].User != "u1" || events[0].Reason != "unassigned" ||
			events[1].Type != "seat.assigned" || events[1].User != "u3" || events[1].SeatID != pro[0] {
			t.Errorf("events = %+v, want u1 revoked then u3 assigned", events)
		}
	})

	t.Run("a user moves to another seat of the line", func(t *testing.T) {
		e.must(http.StatusOK, http.MethodPost, path, batch(entry(pro[1], ""), entry(pro[2], "u2")))
		if got := holders(t, e, "sub_1", seats); got != "addon0:u1 pro0:u3 pro1:- pro2:u2" {
			t.Errorf("seats = %s", got)
		}
	})

	t.Run("two users swap seats", func(t *testing.T) {
		b := e.must(http.StatusOK, http.MethodPost, path, batch(entry(pro[0], ""), entry(pro[2], ""), entry(pro[0], "u2"), entry(pro[2], "u3")))
		if data := listData(b); len(data) != 2 || data[0]["id"] != pro[0] || data[1]["id"] != pro[2] {
			t.Errorf("answer = %v, want each named seat once", b)
		}
		if got := holders(t, e, "sub_1", seats); got != "addon0:u1 pro0:u2 pro1:- pro2:u3" {
			t.Errorf("seats = %s", got)
		}
	})

	t.Run("a failing batch applies nothing and names every failing entry", func(t *testing.T) {
		before, state := len(writtenEvents(t, e.db)), holders(t, e, "sub_1", seats)
		a := e.call(http.MethodPost, path, batch(
			entry(pro[1], "u4"),       // fine on its own
			entry(pro[0], "u1"),       // held by u2
			entry(addon[0], "nobody"), // no such user
			entry(pro[2], ""),         // fine
			entry("not-a-seat", "u1"), // no such seat
			entry(pro[2]+"x", "u3")))  // no such seat either
		if a.status != http.StatusUnprocessableEntity || errorCode(a) != "batch_rejected" {
			t.Fatalf("answer %d %v, want 422 batch_rejected", a.status, a.body)
		}
		var got []string
		for _, en := range errorDetails(a)["entries"].([]any) {
			m := en.(map[string]any)
			if m["message"] == "" {
				t.Errorf("entry without a message: %v", m)
			}
			got = append(got, fmt.Sprintf("%v:%v:%v", m["index"], m["seat_id"], m["code"]))
		}
		want := []string{
			fmt.Sprintf("1:%s:seat_occupied", pro[0]), fmt.Sprintf("2:%s:user_not_found", addon[0]),
			"4:not-a-seat:seat_not_found", fmt.Sprintf("5:%sx:seat_not_found", pro[2]),
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("entries = %v,\nwant %v", got, want)
		}
		if state != "addon0:u1 pro0:u2 pro1:- pro2:u3" {
			t.Fatalf("state before = %s", state)
		}
		if now := holders(t, e, "sub_1", seats); now != state {
			t.Errorf("seats after a rejected batch: %s, want %s", now, state)
		}
		if n := len(writtenEvents(t, e.db)); n != before {
			t.Errorf("a rejected batch wrote %d events", n-before)
		}
	})

	t.Run("rule codes per entry", func(t *testing.T) {
		e.must(http.StatusOK, http.MethodPut, "/v1/customers/acme/users/u4", `{"status":"deactivated"}`)
		a := e.call(http.MethodPost, path, batch(entry(pro[1], "u2"), entry(addon[0], "u4")))
		var codes []string
		for _, en := range errorDetails(a)["entries"].([]any) {
			codes = append(codes, en.(map[string]any)["code"].(string))
		}
		if a.status != http.StatusUnprocessableEntity || fmt.Sprint(codes) != "[user_already_seated user_deactivated]" {
			t.Errorf("answer %d, codes %v; want 422 [user_already_seated user_deactivated]", a.status, codes)
		}
	})

	many := make([]string, 1001)
	for i := range many {
		many[i] = entry(fmt.Sprintf("seat-%04d", i), "u1")
	}
	checkErrors(t, e, []apiErrorCase{
		{name: "no assignments", method: http.MethodPost, path: path, body: `{}`, want: 400, wantCode: "invalid_parameter", wantParam: "assignments"},
		{name: "null assignments", method: http.MethodPost, path: path, body: `{"assignments":null}`, want: 400, wantCode: "invalid_parameter", wantParam: "assignments"},
		{name: "empty assignments", method: http.MethodPost, path: path, body: `{"assignments":[]}`, want: 400, wantCode: "invalid_parameter", wantParam: "assignments"},
		{name: "1001 entries", method: http.MethodPost, path: path, body: batch(many...), want: 400, wantCode: "invalid_parameter", wantParam: "assignments"},
		{name: "seat filled, then freed", method: http.MethodPost, path: path, body: batch(entry(pro[1], "u1"), entry(pro[2], ""), entry(pro[1], "")), want: 400, wantCode: "invalid_parameter", wantParam: "assignments[2].seat_id"},
		{name: "seat filled twice", method: http.MethodPost, path: path, body: batch(entry(pro[1], "u1"), entry(pro[1], "u4")), want: 400, wantCode: "invalid_parameter", wantParam: "assignments[1].seat_id"},
		{name: "seat freed twice", method: http.MethodPost, path: path, body: batch(entry(pro[1], ""), entry(pro[1], "")), want: 400, wantCode: "invalid_parameter", wantParam: "assignments[1].seat_id"},
		{name: "seat named three times", method: http.MethodPost, path: path, body: batch(entry(pro[1], ""), entry(pro[1], "u1"), entry(pro[1], "")), want: 400, wantCode: "invalid_parameter", wantParam: "assignments[2].seat_id"},
		{name: "missing seat_id", method: http.MethodPost, path: path, body: batch(entry(pro[1], "u1"), `{"user_external_id":"u2"}`), want: 400, wantCode: "invalid_parameter", wantParam: "assignments[1].seat_id"},
		{name: "missing user_external_id", method: http.MethodPost, path: path, body: batch(fmt.Sprintf(`{"seat_id":%q}`, pro[1])), want: 400, wantCode: "invalid_parameter", wantParam: "assignments[0].user_external_id"},
		{name: "empty user_external_id", method: http.MethodPost, path: path, body: batch(entry(pro[1], "u1"), fmt.Sprintf(`{"seat_id":%q,"user_external_id":""}`, pro[2])), want: 400, wantCode: "invalid_parameter", wantParam: "assignments[1].user_external_id"},
		{name: "unknown entry field", method: http.MethodPost, path: path, body: batch(`{"seat":"x","user_external_id":null}`), want: 400, wantCode: "invalid_parameter", wantParam: "assignments[0].seat"},
		{name: "unknown order", method: http.MethodPost, path: "/v1/orders/nope/seat-assignments", body: batch(entry(pro[1], "u1")), want: 404, wantCode: "not_found"},
	})
	storagetest.CheckInvariants(t, e.db)
}

// The batch route takes a thousand entries with long ids, more than the
// general body limit holds.
func TestBatchAssignTakesAThousandEntries(t *testing.T) {
	t.Parallel()
	e, _ := newSeatsAPI(t, 1)
	long := strings.Repeat("u", 255)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme/users/"+long, `{}`)
	e.must(http.StatusOK, http.MethodPut, "/v1/orders/sub_1", `{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":1000}]}`)
	seats := seatsByProduct(t, e, "sub_1")
	var all []string
	after := ""
	for {
		b := e.must(http.StatusOK, http.MethodGet, "/v1/orders/sub_1/seats?limit=200"+after, "")
		all = append(all, ids(listData(b))...)
		hasMore, next := listPagination(b)
		if !hasMore {
			break
		}
		after = "&after=" + next.(string)
	}
	if len(all) != 1000 || len(seats["pro"]) != 200 {
		t.Fatalf("%d seats", len(all))
	}
	entries := make([]string, len(all))
	for i, id := range all {
		entries[i] = fmt.Sprintf(`{"seat_id":%q,"user_external_id":null}`, id)
	}
	entries[999] = fmt.Sprintf(`{"seat_id":%q,"user_external_id":%q}`, all[999], long)
	body := `{"assignments":[` + strings.Join(entries, ",") + `]}`
	if len(body) <= 64<<10 {
		t.Fatalf("body of %d bytes proves nothing", len(body))
	}
	// With an Idempotency-Key, so that the key's own reading of the body
	// is shown to take what the route takes.
	a := e.callWith(http.MethodPost, "/v1/orders/sub_1/seat-assignments", body, withKey("big-batch"))
	if a.status != http.StatusOK {
		t.Fatalf("batch of %d bytes: %d %v", len(body), a.status, a.body)
	}
	data := listData(a.body)
	if len(data) != 1000 || data[999]["user_external_id"] != long {
		t.Errorf("%d seats in the answer, last %v", len(data), data[len(data)-1])
	}
	if again := e.callWith(http.MethodPost, "/v1/orders/sub_1/seat-assignments", body, withKey("big-batch")); !replayed(again) {
		t.Errorf("the repeated batch was not replayed: %d", again.status)
	}
	storagetest.CheckInvariants(t, e.db)
}
