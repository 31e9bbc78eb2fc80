package api_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"
)

// Seat usage reports, per product, who automatic assignment entitles, the
// seats a scheduled cancellation will retire and the billable quantity;
// the waiting user exhausts every active line of the product once.
func TestSeatUsageDemand(t *testing.T) {
	t.Parallel()
	at := newAPITest(t)
	at.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme", `{"name":"Acme"}`)
	for id, more := range map[string]string{"u1": `,"groups":["eng"]`, "u2": `,"groups":["eng"]`, "u3": "",
		"u4": `,"status":"deactivated"`} {
		at.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme/users/"+id, `{"email":"`+id+`@acme.test"`+more+`}`)
	}
	at.must(http.StatusCreated, http.MethodPut, "/v1/orders/sub_1", `{"customer_external_id":"acme","lines":[
		{"product_id":"pro","quantity":1},{"product_id":"addon","quantity":2,"elastic":true,"max_quantity":4}]}`)
	cancelAt := time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	at.must(http.StatusCreated, http.MethodPut, "/v1/orders/sub_2", `{"customer_external_id":"acme","cancel_at":"`+cancelAt+`",
		"lines":[{"product_id":"pro","quantity":1}]}`)
	at.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme/auto-assign/pro", `{"all_users":true}`)
	at.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme/auto-assign/addon", `{"group":"eng"}`)

	usage := at.must(http.StatusOK, http.MethodGet, "/v1/customers/acme/seat-usage", "")
	want := []map[string]any{
		{"product_id": "addon", "quantity": 2.0, "assigned": 2.0, "invited": 0.0, "unassigned": 0.0, "waiting": 0.0,
			"entitled": 2.0, "pending_removals": 0.0, "billable_quantity": 2.0},
		// u1 and u2 hold the two seats, u3 waits (u4 is deactivated); sub_2
		// cancels, so its seat will go.
		{"product_id": "pro", "quantity": 2.0, "assigned": 2.0, "invited": 0.0, "unassigned": 0.0, "waiting": 1.0,
			"entitled": 3.0, "pending_removals": 1.0, "billable_quantity": 2.0},
	}
	if fmt.Sprint(listData(usage)) != fmt.Sprint(want) {
		t.Errorf("usage = %v\nwant    %v", listData(usage), want)
	}

	msgs, err := at.db.OutboxMessages(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	exhausted := map[string]int{}
	for _, m := range msgs {
		if m.EventType == "seat.pool_exhausted" {
			exhausted[*m.LineID]++
		}
	}
	if len(exhausted) != 2 || slices.Max(slices.Collect(maps.Values(exhausted))) != 1 {
		t.Errorf("seat.pool_exhausted per line = %v, want one on each of the two pro lines", exhausted)
	}
	at.checkInvariants()
}
