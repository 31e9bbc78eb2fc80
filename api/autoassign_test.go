package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
)

// autoAssignAPI is an API client with a worker, whose state is made by
// canonical events, as in production.
type autoAssignAPI struct{ *apiTest }

func newAutoAssignAPI(t *testing.T) *autoAssignAPI {
	t.Helper()
	return &autoAssignAPI{newAPITest(t, withWorker)}
}

// apply applies a canonical event of now.
func (e *autoAssignAPI) apply(typ, data string) {
	e.t.Helper()
	e.apiTest.apply(typ, time.Now(), data)
}

func (e *autoAssignAPI) user(id, extra string) {
	e.t.Helper()
	e.apply("user.upserted", fmt.Sprintf(`{"customer_external_id":"acme","external_id":%q,"email":"%s@acme.test"%s}`, id, id, extra))
}

// holders lists who holds a seat of the product on the order, sorted.
func (e *autoAssignAPI) holders(order, product string) []string {
	e.t.Helper()
	b := e.must(http.StatusOK, http.MethodGet, "/v1/orders/"+order+"/seats?status=assigned&product_id="+product, "")
	var out []string
	for _, s := range listData(b) {
		out = append(out, s["user_external_id"].(string))
	}
	sort.Strings(out)
	return out
}

// waiting lists who waits for the product, first come first.
func (e *autoAssignAPI) waiting(product string) []string {
	e.t.Helper()
	ctx := context.Background()
	var out []string
	err := e.db.InTx(ctx, func(tx *storage.Tx) error {
		cust, err := tx.LockExistingCustomer(ctx, "acme")
		if err != nil {
			return err
		}
		ids, err := tx.Waiting(ctx, cust, product)
		out = out[:0]
		for _, id := range ids {
			extID, _, err := tx.UserIdentity(ctx, id)
			if err != nil {
				return err
			}
			out = append(out, extID)
		}
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// seatMessages lists the seat.assigned and seat.revoked events written
// after the outbox id from, as "type user".
func (e *autoAssignAPI) seatMessages(from int64) (msgs []string, last int64) {
	e.t.Helper()
	rows, err := e.db.OutboxMessages(context.Background(), from, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	last = from
	for _, m := range rows {
		last = m.ID
		if m.EventType != "seat.assigned" && m.EventType != "seat.revoked" {
			continue
		}
		var body struct {
			Data struct {
				User struct {
					ExternalID string `json:"external_id"`
				} `json:"user"`
			} `json:"data"`
		}
		if err := json.Unmarshal(m.Body, &body); err != nil {
			e.t.Fatal(err)
		}
		msgs = append(msgs, m.EventType+" "+body.Data.User.ExternalID)
	}
	return msgs, last
}

func TestAutoAssignAPI(t *testing.T) {
	t.Parallel()
	e := newAutoAssignAPI(t)
	e.apply("customer.upserted", `{"external_id":"acme","name":"Acme"}`)
	e.apply("order.upserted", `{"external_id":"sub_1","customer_external_id":"acme","lines":[{"product_id":"pro","quantity":3},{"product_id":"addon","quantity":10}]}`)
	// Created in this order: automatic assignment seats the oldest first.
	for _, u := range []string{"u1", "u2", "u3", "u4"} {
		e.user(u, `,"groups":["eng"]`)
	}
	e.user("s1", `,"groups":["sales"]`)
	e.user("s2", `,"groups":["sales"]`)
	e.user("x", `,"groups":[]`)
	e.user("gone", `,"status":"deactivated","groups":["eng","sales"]`)
	// u2 is seated by hand before any mapping exists.
	e.apply("seat.assign_requested", `{"order_external_id":"sub_1","product_id":"pro","user_external_id":"u2"}`)
	_, outbox := e.seatMessages(0)
	base := "/v1/customers/acme/auto-assign/"

	t.Run("validation", func(t *testing.T) {
		for _, tc := range []struct {
			name, body, code, parameter string
		}{
			{"both", `{"group":"eng","all_users":true}`, "invalid_parameter", "group"},
			{"both, all_users false", `{"group":"eng","all_users":false}`, "invalid_parameter", "group"},
			{"neither", `{}`, "invalid_parameter", "group"},
			{"null group", `{"group":null}`, "invalid_parameter", "group"},
			{"all_users false", `{"all_users":false}`, "invalid_parameter", "all_users"},
			{"empty group", `{"group":""}`, "invalid_parameter", "group"},
			{"blank group", `{"group":"  "}`, "invalid_parameter", "group"},
			{"group not a string", `{"group":5}`, "invalid_parameter", "group"},
			{"all_users not a boolean", `{"all_users":"yes"}`, "invalid_parameter", "all_users"},
			{"unknown field", `{"group":"eng","product":"pro"}`, "invalid_parameter", "product"},
			{"malformed", `{"group":`, "malformed_json", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := e.call(http.MethodPut, base+"pro", tc.body)
				if a.status != http.StatusBadRequest || errorCode(a) != tc.code {
					t.Fatalf("answer %d %v, want 400 %s", a.status, a.body, tc.code)
				}
				if tc.parameter != "" {
					details, _ := a.body["error"].(map[string]any)["details"].(map[string]any)
					if details["parameter"] != tc.parameter {
						t.Errorf("details = %v, want parameter %s", details, tc.parameter)
					}
				}
			})
		}
		if got := listData(e.must(http.StatusOK, http.MethodGet, "/v1/customers/acme/auto-assign", "")); len(got) != 0 {
			t.Errorf("a refused request made mappings: %v", got)
		}
	})

	t.Run("unknown customer", func(t *testing.T) {
		for _, method := range []string{http.MethodPut, http.MethodDelete} {
			if a := e.call(method, "/v1/customers/nobody/auto-assign/pro", `{"group":"eng"}`); a.status != http.StatusNotFound || errorCode(a) != "not_found" {
				t.Errorf("%s: %d %v", method, a.status, a.body)
			}
		}
		if a := e.call(http.MethodGet, "/v1/customers/nobody/auto-assign", ""); a.status != http.StatusNotFound || errorCode(a) != "not_found" {
			t.Errorf("GET: %d %v", a.status, a.body)
		}
		if a := e.call(http.MethodGet, "/v1/customers/nobody", ""); a.status != http.StatusNotFound {
			t.Errorf("the mapping created the customer: %d %v", a.status, a.body)
		}
	})

	t.Run("a group is seated first come first served, the rest waits", func(t *testing.T) {
		b := e.must(http.StatusCreated, http.MethodPut, base+"pro", `{"group":"eng"}`)
		if b["product_id"] != "pro" || b["group"] != "eng" || b["all_users"] != false || b["created_at"] == nil ||
			b["seated"] != 3.0 || b["waiting"] != 1.0 {
			t.Errorf("answer = %v", b)
		}
		// u2 keeps the seat given by hand; u1 and u3 get the two others.
		if got := e.holders("sub_1", "pro"); !slices.Equal(got, []string{"u1", "u2", "u3"}) {
			t.Errorf("holders = %v", got)
		}
		if got := e.waiting("pro"); !slices.Equal(got, []string{"u4"}) {
			t.Errorf("waiting = %v", got)
		}
		again := e.must(http.StatusOK, http.MethodPut, base+"pro", `{"group":"eng"}`)
		if again["created_at"] != b["created_at"] || again["seated"] != 3.0 || again["waiting"] != 1.0 {
			t.Errorf("replaced with the same = %v, was %v", again, b)
		}
		var msgs []string
		msgs, outbox = e.seatMessages(outbox)
		if want := []string{"seat.assigned u1", "seat.assigned u3"}; !slices.Equal(msgs, want) {
			t.Errorf("events = %q, want %q", msgs, want)
		}
	})

	t.Run("changing the group takes automatic seats only", func(t *testing.T) {
		b := e.must(http.StatusOK, http.MethodPut, base+"pro", `{"group":"sales"}`)
		if b["group"] != "sales" || b["seated"] != 2.0 || b["waiting"] != 0.0 {
			t.Errorf("answer = %v", b)
		}
		// u2's seat was given by hand and stays; u1's and u3's go to sales.
		if got := e.holders("sub_1", "pro"); !slices.Equal(got, []string{"s1", "s2", "u2"}) {
			t.Errorf("holders = %v", got)
		}
		if got := e.waiting("pro"); len(got) != 0 {
			t.Errorf("waiting = %v: u4 is no longer entitled", got)
		}
		// u4 left the line before a seat was freed, so it never sat down.
		var msgs []string
		msgs, outbox = e.seatMessages(outbox)
		want := []string{"seat.revoked u1", "seat.revoked u3", "seat.assigned s1", "seat.assigned s2"}
		if !slices.Equal(msgs, want) {
			t.Errorf("events = %q, want %q", msgs, want)
		}
	})

	t.Run("all users", func(t *testing.T) {
		b := e.must(http.StatusCreated, http.MethodPut, base+"addon", `{"all_users":true}`)
		if b["group"] != nil || b["all_users"] != true || b["seated"] != 7.0 || b["waiting"] != 0.0 {
			t.Errorf("answer = %v", b)
		}
		want := []string{"s1", "s2", "u1", "u2", "u3", "u4", "x"} // not the deactivated user
		if got := e.holders("sub_1", "addon"); !slices.Equal(got, want) {
			t.Errorf("holders = %v, want %v", got, want)
		}
	})

	t.Run("list", func(t *testing.T) {
		// More mappings, for products without seats: everyone entitled waits.
		for _, p := range []string{"p1", "p3", "p5"} {
			b := e.must(http.StatusCreated, http.MethodPut, base+p, `{"group":"sales"}`)
			if b["seated"] != 0.0 || b["waiting"] != 2.0 {
				t.Errorf("%s: %v", p, b)
			}
		}
		page1 := e.must(http.StatusOK, http.MethodGet, "/v1/customers/acme/auto-assign?limit=2", "")
		hasMore, next := listPagination(page1)
		if !hasMore || next != "p1" {
			t.Fatalf("page 1: %v", page1)
		}
		first := listData(page1)
		if first[0]["product_id"] != "addon" || first[0]["all_users"] != true || first[0]["group"] != nil ||
			first[1]["product_id"] != "p1" || first[1]["group"] != "sales" || first[1]["created_at"] == nil {
			t.Errorf("page 1 = %v", first)
		}
		if _, ok := first[0]["seated"]; ok {
			t.Errorf("list items carry counts: %v", first[0])
		}
		// Mappings added between pages: one sorts before the cursor and is
		// not shown, one after it and is; nothing is shown twice.
		e.must(http.StatusCreated, http.MethodPut, base+"a0", `{"group":"eng"}`)
		e.must(http.StatusCreated, http.MethodPut, base+"p2", `{"group":"eng"}`)
		var products []string
		for _, m := range first {
			products = append(products, m["product_id"].(string))
		}
		for next != nil {
			page := e.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/v1/customers/acme/auto-assign?limit=2&after=%v", next), "")
			for _, m := range listData(page) {
				products = append(products, m["product_id"].(string))
			}
			_, next = listPagination(page)
		}
		if want := []string{"addon", "p1", "p2", "p3", "p5", "pro"}; !slices.Equal(products, want) {
			t.Errorf("products across pages = %v, want %v", products, want)
		}
		if a := e.call(http.MethodGet, "/v1/customers/acme/auto-assign?limit=0", ""); a.status != http.StatusBadRequest || errorCode(a) != "invalid_parameter" {
			t.Errorf("limit=0: %d %v", a.status, a.body)
		}
	})

	t.Run("delete keeps seats and empties the waiting list", func(t *testing.T) {
		e.user("s3", `,"groups":["sales"]`) // joins sales: no seat is free, so waits
		if got := e.waiting("pro"); !slices.Equal(got, []string{"s3"}) {
			t.Fatalf("waiting = %v", got)
		}
		if a := e.call(http.MethodDelete, base+"pro", ""); a.status != http.StatusNoContent {
			t.Fatalf("delete: %d %v", a.status, a.body)
		}
		if got := e.holders("sub_1", "pro"); !slices.Equal(got, []string{"s1", "s2", "u2"}) {
			t.Errorf("holders after delete = %v", got)
		}
		if got := e.waiting("pro"); len(got) != 0 {
			t.Errorf("waiting after delete = %v", got)
		}
		// Nothing hands out seats of pro any more: a freed seat stays free.
		e.apply("seat.unassign_requested", `{"order_external_id":"sub_1","product_id":"pro","user_external_id":"s1"}`)
		if got := e.holders("sub_1", "pro"); !slices.Equal(got, []string{"s2", "u2"}) {
			t.Errorf("holders after s1 left = %v", got)
		}
		e.user("s4", `,"groups":["sales"]`)
		if got := e.waiting("pro"); len(got) != 0 {
			t.Errorf("a new member waits for an unmapped product: %v", got)
		}
		for _, m := range listData(e.must(http.StatusOK, http.MethodGet, "/v1/customers/acme/auto-assign?limit=200", "")) {
			if m["product_id"] == "pro" {
				t.Errorf("deleted mapping listed: %v", m)
			}
		}
		if a := e.call(http.MethodDelete, base+"pro", ""); a.status != http.StatusNotFound || errorCode(a) != "not_found" {
			t.Errorf("delete again: %d %v", a.status, a.body)
		}
		if a := e.call(http.MethodDelete, base+"never", ""); a.status != http.StatusNotFound || !strings.Contains(fmt.Sprint(a.body), "never") {
			t.Errorf("delete unknown: %d %v", a.status, a.body)
		}
	})
	e.checkInvariants()
}
