package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
	"github.com/seatsync/seatsync/worker/engine"
)

// lineSummary describes an order's lines as "product:quantity/assigned/unassigned".
func lineSummary(order map[string]any) string {
	var out []string
	for _, l := range order["lines"].([]any) {
		m := l.(map[string]any)
		out = append(out, fmt.Sprintf("%v:%v/%v/%v", m["product_id"], m["quantity"], m["assigned"], m["unassigned"]))
	}
	return strings.Join(out, " ")
}

func TestPutOrderAPI(t *testing.T) {
	t.Parallel()
	e := newAPITest(t)
	ctx := context.Background()
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme", `{}`)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/globex", `{}`)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme/users/u1", `{}`)
	const path = "/v1/orders/sub_1"

	o := e.must(http.StatusCreated, http.MethodPut, path,
		`{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":3},{"product_id":"addon","quantity":1}]}`)
	if o["external_id"] != "sub_1" || o["customer_external_id"] != "acme" || o["status"] != "active" || o["id"] == "" ||
		lineSummary(o) != "addon:1/0/1 pro:3/0/3" {
		t.Errorf("created = %v", o)
	}
	events := len(writtenEvents(t, e.db))
	again := e.must(http.StatusOK, http.MethodPut, path,
		`{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":3},{"product_id":"addon","quantity":1}]}`)
	if again["id"] != o["id"] || lineSummary(again) != "addon:1/0/1 pro:3/0/3" {
		t.Errorf("same PUT again = %v", again)
	}
	if n := len(writtenEvents(t, e.db)); n != events {
		t.Errorf("the same PUT again wrote %d events", n-events)
	}

	t.Run("quantity changes create and retire seats", func(t *testing.T) {
		seats := seatsByProduct(t, e, "sub_1")
		e.must(http.StatusOK, http.MethodPut, "/v1/orders/sub_1/seats/"+seats["pro"][0], `{"user_external_id":"u1"}`)
		up := e.must(http.StatusOK, http.MethodPut, path, `{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":5},{"product_id":"addon","quantity":1}]}`)
		if lineSummary(up) != "addon:1/0/1 pro:5/1/4" {
			t.Errorf("raised = %s", lineSummary(up))
		}
		// The line left out drops to 0; pro keeps its holder (free seats go first).
		down := e.must(http.StatusOK, http.MethodPut, path, `{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":1}]}`)
		if lineSummary(down) != "addon:0/0/0 pro:1/1/0" {
			t.Errorf("lowered = %s", lineSummary(down))
		}
		empty := e.must(http.StatusOK, http.MethodPut, path, `{"customer_external_id":"acme","lines":[]}`)
		if lineSummary(empty) != "addon:0/0/0 pro:0/0/0" {
			t.Errorf("no lines = %s", lineSummary(empty))
		}
		revoked := 0
		for _, ev := range writtenEvents(t, e.db) {
			if ev.Type == "seat.revoked" && ev.Reason == "quantity_decreased" && ev.User == "u1" {
				revoked++
			}
		}
		if revoked != 1 {
			t.Errorf("%d seat.revoked (quantity_decreased) for u1, want 1", revoked)
		}
	})

	t.Run("status canceled through PUT", func(t *testing.T) {
		e.must(http.StatusCreated, http.MethodPut, "/v1/orders/sub_c", `{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":2}],"status":"canceled"}`)
		if b := e.must(http.StatusOK, http.MethodGet, "/v1/orders/sub_c", ""); b["status"] != "canceled" {
			t.Errorf("order = %v", b)
		}
		b := e.must(http.StatusOK, http.MethodPut, "/v1/orders/sub_c", `{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":2}]}`)
		if b["status"] != "active" {
			t.Errorf("reactivated order = %v", b)
		}
	})

	t.Run("an order of another customer is not moved", func(t *testing.T) {
		a := e.call(http.MethodPut, path, `{"customer_external_id":"globex","lines":[]}`)
		if a.status != http.StatusConflict || errorCode(a) != "order_customer_mismatch" || errorDetails(a)["customer_external_id"] != "acme" {
			t.Fatalf("answer %d %v, want 409 order_customer_mismatch naming acme", a.status, a.body)
		}
		if b := e.must(http.StatusOK, http.MethodGet, path, ""); b["customer_external_id"] != "acme" {
			t.Errorf("order = %v", b)
		}
	})

	t.Run("the API states the current state", func(t *testing.T) {
		// As a provider event stamped later than now leaves it; the PUT
		// still wins.
		if err := e.db.InTx(ctx, func(tx *storage.Tx) error {
			_, err := engine.New().UpsertOrder(ctx, tx, storage.OrderInput{ExternalID: "sub_future", Customer: storage.CustomerRef{ExternalID: "acme"},
				Status: storage.OrderActive, Lines: []storage.LineInput{{ProductID: "pro", Quantity: 2}}}, time.Now().Add(time.Hour))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		e.must(http.StatusOK, http.MethodPut, "/v1/orders/sub_future", `{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":9}]}`)
		if b := e.must(http.StatusOK, http.MethodGet, "/v1/orders/sub_future", ""); lineSummary(b) != "pro:9/0/9" {
			t.Errorf("order = %s, want the PUT's lines", lineSummary(b))
		}
	})

	manyLines := make([]string, 101)
	for i := range manyLines {
		manyLines[i] = fmt.Sprintf(`{"product_id":"p%d","quantity":1}`, i)
	}
	put := func(name, body, param string) apiErrorCase {
		return apiErrorCase{name: name, method: http.MethodPut, path: path, body: body, want: 400, wantCode: "invalid_parameter", wantParam: param}
	}
	checkErrors(t, e, []apiErrorCase{
		put("no customer", `{"lines":[]}`, "customer_external_id"),
		put("empty customer", `{"customer_external_id":"","lines":[]}`, "customer_external_id"),
		put("no lines", `{"customer_external_id":"acme"}`, "lines"),
		put("null lines", `{"customer_external_id":"acme","lines":null}`, "lines"),
		put("no quantity", `{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":1},{"product_id":"addon"}]}`, "lines[1].quantity"),
		put("negative quantity", `{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":-1}]}`, "lines[0].quantity"),
		put("quantity too large", `{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":1000001}]}`, "lines[0].quantity"),
		put("fractional quantity", `{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":1.5}]}`, "lines[0].quantity"),
		put("no product", `{"customer_external_id":"acme","lines":[{"quantity":1}]}`, "lines[0].product_id"),
		put("product with white space", `{"customer_external_id":"acme","lines":[{"product_id":"pro ","quantity":1}]}`, "lines[0].product_id"),
		put("repeated product", `{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":1},{"product_id":"addon","quantity":1},{"product_id":"pro","quantity":2}]}`, "lines[2].product_id"),
		put("101 lines", `{"customer_external_id":"acme","lines":[`+strings.Join(manyLines, ",")+`]}`, "lines"),
		put("unknown status", `{"customer_external_id":"acme","lines":[],"status":"paused"}`, "status"),
		put("unknown field", `{"customer_external_id":"acme","lines":[],"customer":"acme"}`, "customer"),
		{name: "external id too long", method: http.MethodPut, path: "/v1/orders/" + strings.Repeat("s", 256), body: `{"customer_external_id":"acme","lines":[]}`, want: 400, wantCode: "invalid_parameter", wantParam: "order"},
		{name: "unknown customer", method: http.MethodPut, path: "/v1/orders/sub_new", body: `{"customer_external_id":"nobody","lines":[]}`, want: 404, wantCode: "not_found", wantParam: "customer_external_id"},
	})
	if a := e.call(http.MethodGet, "/v1/orders/sub_new", ""); a.status != http.StatusNotFound {
		t.Errorf("refused PUT created the order: %d %v", a.status, a.body)
	}
	if a := e.call(http.MethodGet, "/v1/customers/nobody", ""); a.status != http.StatusNotFound {
		t.Errorf("refused PUT created the customer: %d %v", a.status, a.body)
	}
	storagetest.CheckInvariants(t, e.db)
}

func TestCancelOrderAPI(t *testing.T) {
	t.Parallel()
	e, seats := newSeatsAPI(t, 2)
	e.must(http.StatusOK, http.MethodPost, "/v1/orders/sub_1/seat-assignments",
		fmt.Sprintf(`{"assignments":[{"seat_id":%q,"user_external_id":"u1"},{"seat_id":%q,"user_external_id":"u2"}]}`, seats["pro"][0], seats["addon"][0]))
	before := len(writtenEvents(t, e.db))

	o := e.must(http.StatusOK, http.MethodPost, "/v1/orders/sub_1/cancel", "")
	if o["status"] != "canceled" || lineSummary(o) != "addon:1/0/1 pro:3/0/3" {
		t.Errorf("canceled order = %v", o)
	}
	var revoked []string
	for _, ev := range writtenEvents(t, e.db)[before:] {
		if ev.Type != "seat.revoked" || ev.Reason != "order_canceled" {
			t.Errorf("unexpected event %+v", ev)
		}
		revoked = append(revoked, ev.User)
	}
	if fmt.Sprint(revoked) != "[u2 u1]" && fmt.Sprint(revoked) != "[u1 u2]" {
		t.Errorf("revoked %v, want u1 and u2", revoked)
	}

	after := len(writtenEvents(t, e.db))
	if again := e.must(http.StatusOK, http.MethodPost, "/v1/orders/sub_1/cancel", `{}`); again["status"] != "canceled" || again["updated_at"] != o["updated_at"] {
		t.Errorf("canceling again = %v, want the order untouched", again)
	}
	if n := len(writtenEvents(t, e.db)); n != after {
		t.Errorf("canceling again wrote %d events", n-after)
	}
	checkErrors(t, e, []apiErrorCase{
		{name: "unknown order", method: http.MethodPost, path: "/v1/orders/nope/cancel", want: 404, wantCode: "not_found"},
		{name: "a parameter", method: http.MethodPost, path: "/v1/orders/sub_1/cancel", body: `{"reason":"x"}`, want: 400, wantCode: "invalid_parameter", wantParam: "reason"},
		{name: "malformed body", method: http.MethodPost, path: "/v1/orders/sub_1/cancel", body: `{`, want: 400, wantCode: "malformed_json"},
		{name: "assign on the canceled order", method: http.MethodPut, path: "/v1/orders/sub_1/seats/" + seats["pro"][0], body: `{"user_external_id":"u1"}`, want: 409, wantCode: "order_canceled"},
	})
	storagetest.CheckInvariants(t, e.db)
}
