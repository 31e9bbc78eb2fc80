package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
)

// ordersAPI is an API test with a worker, holding state made by canonical
// events only.
type ordersAPI struct{ *apiTest }

func newOrdersAPI(t *testing.T) *ordersAPI {
	t.Helper()
	return &ordersAPI{newAPITest(t, withWorker)}
}

func (o *ordersAPI) upsertOrder(id string, at time.Time, lines string) {
	o.t.Helper()
	o.apply("order.upserted", at, fmt.Sprintf(`{"external_id":%q,"customer_external_id":"acme","lines":%s}`, id, lines))
}

func (o *ordersAPI) assign(order, product, user string) {
	o.t.Helper()
	o.apply("seat.assign_requested", time.Now(),
		fmt.Sprintf(`{"order_external_id":%q,"product_id":%q,"user_external_id":%q}`, order, product, user))
}

// list fetches one page of seats and fails the test unless it is a 200.
func (o *ordersAPI) list(path string) (seats []map[string]any, hasMore bool, next any) {
	o.t.Helper()
	a := o.get(path, o.key)
	if a.status != http.StatusOK {
		o.t.Fatalf("GET %s: %d %v", path, a.status, a.body)
	}
	for _, d := range a.body["data"].([]any) {
		seats = append(seats, d.(map[string]any))
	}
	p := a.body["meta"].(map[string]any)["pagination"].(map[string]any)
	return seats, p["has_more"].(bool), p["next"]
}

func ids(seats []map[string]any) []string {
	out := make([]string, len(seats))
	for i, s := range seats {
		out[i] = s["id"].(string)
	}
	return out
}

func TestOrdersAPI(t *testing.T) {
	t.Parallel()
	o := newOrdersAPI(t)
	t0 := time.Now()
	o.upsertOrder("sub_1", t0, `[{"product_id":"pro","quantity":5},{"product_id":"addon","quantity":2}]`)
	o.upsertOrder("sub_2", t0, `[{"product_id":"pro","quantity":1}]`)
	o.upsertOrder("sub_old", t0, `[{"product_id":"pro","quantity":10}]`)
	o.apply("order.canceled", t0.Add(time.Second), `{"external_id":"sub_old"}`)
	for _, u := range []string{"u1", "u2", "u3"} {
		o.apply("user.upserted", t0, fmt.Sprintf(`{"customer_external_id":"acme","external_id":%q,"email":"%s@acme.test"}`, u, u))
	}
	o.assign("sub_1", "pro", "u1")
	o.assign("sub_1", "pro", "u2")
	o.assign("sub_1", "addon", "u1")
	// Nothing puts a user on the waiting list through events alone yet, so
	// u3 waits for "pro" by hand.
	ctx := context.Background()
	u3, err := o.db.UserByExternalID(ctx, "acme", "u3")
	if err != nil {
		t.Fatal(err)
	}
	acme, err := o.db.CustomerByExternalID(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := o.db.InTx(ctx, func(tx *storage.Tx) error {
		return tx.Wait(ctx, acme.ID, "pro", u3.ID)
	}); err != nil {
		t.Fatal(err)
	}
	otherOrderSeats, _, _ := o.list("/v1/orders/sub_2/seats")

	t.Run("order", func(t *testing.T) {
		a := o.get("/v1/orders/sub_1", o.key)
		if a.status != http.StatusOK {
			t.Fatalf("answer %d %v", a.status, a.body)
		}
		b := a.body
		if b["external_id"] != "sub_1" || b["customer_external_id"] != "acme" || b["status"] != "active" || b["id"] == "" ||
			b["created_at"] == nil || b["updated_at"] == nil {
			t.Errorf("order = %v", b)
		}
		want := []any{
			map[string]any{"product_id": "addon", "quantity": 2.0, "assigned": 1.0, "invited": 0.0, "unassigned": 1.0, "elastic": false, "release": "immediate"},
			map[string]any{"product_id": "pro", "quantity": 5.0, "assigned": 2.0, "invited": 0.0, "unassigned": 3.0, "elastic": false, "release": "immediate"},
		}
		if fmt.Sprint(b["lines"]) != fmt.Sprint(want) {
			t.Errorf("lines = %v, want %v", b["lines"], want)
		}
	})

	t.Run("seat objects", func(t *testing.T) {
		seats, hasMore, next := o.list("/v1/orders/sub_1/seats")
		if len(seats) != 7 || hasMore || next != nil {
			t.Fatalf("%d seats, has_more %v, next %v; want 7, false, null", len(seats), hasMore, next)
		}
		for _, s := range seats {
			if s["order_external_id"] != "sub_1" || s["created_at"] == nil {
				t.Errorf("seat = %v", s)
			}
			switch s["status"] {
			case "assigned":
				if s["user_external_id"] == nil || s["user_email"] != s["user_external_id"].(string)+"@acme.test" || s["assigned_at"] == nil {
					t.Errorf("assigned seat = %v", s)
				}
			case "unassigned":
				if s["user_external_id"] != nil || s["user_email"] != nil || s["assigned_at"] != nil {
					t.Errorf("unassigned seat = %v", s)
				}
			default:
				t.Errorf("seat status %v", s["status"])
			}
		}
	})

	filters := []struct {
		name    string
		query   string
		want    int
		product string
		status  string
	}{
		{name: "by product", query: "product_id=pro", want: 5, product: "pro"},
		{name: "by other product", query: "product_id=addon", want: 2, product: "addon"},
		{name: "by status", query: "status=assigned", want: 3, status: "assigned"},
		{name: "by product and status", query: "product_id=pro&status=unassigned", want: 3, product: "pro", status: "unassigned"},
		{name: "no match", query: "product_id=nope", want: 0},
		{name: "invited", query: "status=invited", want: 0},
	}
	for _, tc := range filters {
		t.Run("seats "+tc.name, func(t *testing.T) {
			seats, hasMore, _ := o.list("/v1/orders/sub_1/seats?" + tc.query)
			if len(seats) != tc.want || hasMore {
				t.Fatalf("%d seats (has_more %v), want %d", len(seats), hasMore, tc.want)
			}
			for _, s := range seats {
				if tc.product != "" && s["product_id"] != tc.product || tc.status != "" && s["status"] != tc.status {
					t.Errorf("seat %v does not match %s", s, tc.query)
				}
			}
		})
	}

	t.Run("seat usage", func(t *testing.T) {
		a := o.get("/v1/customers/acme/seat-usage", o.key)
		if a.status != http.StatusOK {
			t.Fatalf("answer %d %v", a.status, a.body)
		}
		// sub_old is canceled: its 10 "pro" seats do not count.
		want := []any{
			map[string]any{"product_id": "addon", "quantity": 2.0, "assigned": 1.0, "invited": 0.0, "unassigned": 1.0, "waiting": 0.0,
				"entitled": 0.0, "pending_removals": 0.0, "billable_quantity": 2.0},
			map[string]any{"product_id": "pro", "quantity": 6.0, "assigned": 2.0, "invited": 0.0, "unassigned": 4.0, "waiting": 1.0,
				"entitled": 0.0, "pending_removals": 0.0, "billable_quantity": 6.0},
		}
		if fmt.Sprint(a.body["data"]) != fmt.Sprint(want) {
			t.Errorf("usage = %v, want %v", a.body["data"], want)
		}
	})

	errorCases := []struct {
		name      string
		path      string
		header    http.Header
		want      int
		wantCode  string
		wantParam string
	}{
		{name: "unknown order", path: "/v1/orders/nope", want: http.StatusNotFound, wantCode: "not_found"},
		{name: "seats of unknown order", path: "/v1/orders/nope/seats", want: http.StatusNotFound, wantCode: "not_found"},
		{name: "usage of unknown customer", path: "/v1/customers/nope/seat-usage", want: http.StatusNotFound, wantCode: "not_found"},
		{name: "limit 0", path: "/v1/orders/sub_1/seats?limit=0", want: http.StatusBadRequest, wantCode: "invalid_parameter", wantParam: "limit"},
		{name: "limit negative", path: "/v1/orders/sub_1/seats?limit=-1", want: http.StatusBadRequest, wantCode: "invalid_parameter", wantParam: "limit"},
		{name: "limit 201", path: "/v1/orders/sub_1/seats?limit=201", want: http.StatusBadRequest, wantCode: "invalid_parameter", wantParam: "limit"},
		{name: "limit not a number", path: "/v1/orders/sub_1/seats?limit=ten", want: http.StatusBadRequest, wantCode: "invalid_parameter", wantParam: "limit"},
		{name: "limit empty", path: "/v1/orders/sub_1/seats?limit=", want: http.StatusBadRequest, wantCode: "invalid_parameter", wantParam: "limit"},
		{name: "limit fraction", path: "/v1/orders/sub_1/seats?limit=2.5", want: http.StatusBadRequest, wantCode: "invalid_parameter", wantParam: "limit"},
		{name: "unknown status", path: "/v1/orders/sub_1/seats?status=taken", want: http.StatusBadRequest, wantCode: "invalid_parameter", wantParam: "status"},
		{name: "after unknown seat", path: "/v1/orders/sub_1/seats?after=00000000-0000-0000-0000-000000000000", want: http.StatusBadRequest, wantCode: "invalid_parameter", wantParam: "after"},
		{name: "after not a uuid", path: "/v1/orders/sub_1/seats?after=nope", want: http.StatusBadRequest, wantCode: "invalid_parameter", wantParam: "after"},
		{name: "after empty", path: "/v1/orders/sub_1/seats?after=", want: http.StatusBadRequest, wantCode: "invalid_parameter", wantParam: "after"},
		{name: "after seat of another order", path: "/v1/orders/sub_1/seats?after=" + otherOrderSeats[0]["id"].(string), want: http.StatusBadRequest, wantCode: "invalid_parameter", wantParam: "after"},
		{name: "order without key", path: "/v1/orders/sub_1", header: http.Header{}, want: http.StatusUnauthorized, wantCode: "missing_api_key"},
		{name: "seats without key", path: "/v1/orders/sub_1/seats", header: http.Header{}, want: http.StatusUnauthorized, wantCode: "missing_api_key"},
		{name: "usage without key", path: "/v1/customers/acme/seat-usage", header: http.Header{}, want: http.StatusUnauthorized, wantCode: "missing_api_key"},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			h := o.key
			if tc.header != nil {
				h = tc.header
			}
			a := o.get(tc.path, h)
			if a.status != tc.want || errorCode(a) != tc.wantCode {
				t.Fatalf("answer %d %v, want %d %q", a.status, a.body, tc.want, tc.wantCode)
			}
			e := a.body["error"].(map[string]any)
			if msg, _ := e["message"].(string); msg == "" {
				t.Errorf("error without message: %v", e)
			}
			if tc.wantParam != "" {
				details, _ := e["details"].(map[string]any)
				if details["parameter"] != tc.wantParam {
					t.Errorf("details = %v, want parameter %q", e["details"], tc.wantParam)
				}
			}
		})
	}
}

// Paging through an order that grows between pages returns every seat once,
// the old ones first.
func TestOrderSeatsPaginationWhileGrowing(t *testing.T) {
	t.Parallel()
	o := newOrdersAPI(t)
	t0 := time.Now()
	o.upsertOrder("sub_1", t0, `[{"product_id":"pro","quantity":3},{"product_id":"addon","quantity":1}]`)
	o.apply("user.upserted", t0, `{"customer_external_id":"acme","external_id":"u1"}`)
	o.assign("sub_1", "pro", "u1")
	before, _, _ := o.list("/v1/orders/sub_1/seats?product_id=pro&limit=200")
	if len(before) != 3 {
		t.Fatalf("%d seats, want 3", len(before))
	}

	const path = "/v1/orders/sub_1/seats?product_id=pro&limit=2"
	var got []string
	after := ""
	for i, quantity := range []int{5, 6, 0, 0} {
		seats, hasMore, next := o.list(path + after)
		got = append(got, ids(seats)...)
		if len(seats) > 2 {
			t.Fatalf("page %d holds %d seats, limit 2", i, len(seats))
		}
		if !hasMore {
			if next != nil {
				t.Errorf("last page: next = %v, want null", next)
			}
			break
		}
		if next != seats[len(seats)-1]["id"] {
			t.Fatalf("page %d: next = %v, want the last seat's id", i, next)
		}
		after = "&after=" + next.(string)
		if quantity > 0 {
			// A later event raises the quantity: new seats are created now.
			o.upsertOrder("sub_1", t0.Add(time.Duration(i+1)*time.Second),
				fmt.Sprintf(`[{"product_id":"pro","quantity":%d},{"product_id":"addon","quantity":1}]`, quantity))
		}
	}

	all, _, _ := o.list("/v1/orders/sub_1/seats?product_id=pro&limit=200")
	if len(all) != 6 {
		t.Fatalf("%d seats after growing, want 6", len(all))
	}
	if !slices.Equal(got, ids(all)) {
		t.Errorf("paged ids %v,\nwant %v (each seat once, in order)", got, ids(all))
	}
	if !slices.Equal(got[:3], ids(before)) {
		t.Errorf("first seats %v, want the original ones %v first", got[:3], ids(before))
	}
}
