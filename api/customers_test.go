package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
)

func TestCustomersAPI(t *testing.T) {
	t.Parallel()
	e := newAPITest(t)
	ctx := context.Background()

	created := e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme",
		`{"name":"Acme","email":"billing@acme.test","provider_ids":{"stripe":"cus_1","workos":"org_1"}}`)
	if created["external_id"] != "acme" || created["name"] != "Acme" || created["email"] != "billing@acme.test" ||
		created["id"] == "" || created["created_at"] == nil || created["updated_at"] == nil ||
		fmt.Sprint(created["provider_ids"]) != "map[stripe:cus_1 workos:org_1]" {
		t.Errorf("created = %v", created)
	}
	again := e.must(http.StatusOK, http.MethodPut, "/v1/customers/acme",
		`{"name":"Acme","email":"billing@acme.test","provider_ids":{"stripe":"cus_1","workos":"org_1"}}`)
	if again["id"] != created["id"] || again["name"] != "Acme" || fmt.Sprint(again["provider_ids"]) != fmt.Sprint(created["provider_ids"]) {
		t.Errorf("same PUT again = %v, want the same customer", again)
	}
	got := e.must(http.StatusOK, http.MethodGet, "/v1/customers/acme", "")
	if fmt.Sprint(got["provider_ids"]) != "map[stripe:cus_1 workos:org_1]" {
		t.Errorf("get = %v", got)
	}

	t.Run("put replaces name and email, keeps links", func(t *testing.T) {
		b := e.must(http.StatusOK, http.MethodPut, "/v1/customers/acme", `{"name":"Acme Inc"}`)
		if b["name"] != "Acme Inc" || b["email"] != "" || fmt.Sprint(b["provider_ids"]) != "map[stripe:cus_1 workos:org_1]" {
			t.Errorf("after PUT with a name only: %v", b)
		}
	})

	t.Run("a customer without links has an empty provider_ids object", func(t *testing.T) {
		b := e.must(http.StatusCreated, http.MethodPut, "/v1/customers/plain", `{}`)
		if ids, ok := b["provider_ids"].(map[string]any); !ok || len(ids) != 0 {
			t.Errorf("provider_ids = %#v, want {}", b["provider_ids"])
		}
	})

	t.Run("claims what provider events made under the provider id", func(t *testing.T) {
		// A Paddle subscription arrived before anyone linked its customer.
		if err := e.db.InTx(ctx, func(tx *storage.Tx) error {
			_, err := tx.UpsertOrder(ctx, storage.OrderInput{ExternalID: "sub_paddle",
				Customer: storage.CustomerRef{Provider: "paddle", ProviderID: "ctm_9"}, Status: storage.OrderActive}, time.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		b := e.must(http.StatusOK, http.MethodPut, "/v1/customers/acme", `{"name":"Acme","provider_ids":{"paddle":"ctm_9"}}`)
		if b["provider_ids"].(map[string]any)["paddle"] != "ctm_9" {
			t.Errorf("customer = %v", b)
		}
		o := e.must(http.StatusOK, http.MethodGet, "/v1/orders/sub_paddle", "")
		if o["customer_external_id"] != "acme" {
			t.Errorf("order of the provider id = %v, want it under acme", o)
		}
		if a := e.call(http.MethodGet, "/v1/customers/ctm_9", ""); a.status != http.StatusNotFound {
			t.Errorf("placeholder customer still there: %d %v", a.status, a.body)
		}
	})

	t.Run("a provider id of another named customer is refused", func(t *testing.T) {
		a := e.call(http.MethodPut, "/v1/customers/globex", `{"name":"Globex","provider_ids":{"stripe":"cus_1"}}`)
		if a.status != http.StatusConflict || errorCode(a) != "provider_id_linked" {
			t.Fatalf("answer %d %v, want 409 provider_id_linked", a.status, a.body)
		}
		d := errorDetails(a)
		if d["customer_external_id"] != "acme" || d["parameter"] != "provider_ids.stripe" {
			t.Errorf("details = %v", d)
		}
		if a := e.call(http.MethodGet, "/v1/customers/globex", ""); a.status != http.StatusNotFound {
			t.Errorf("refused PUT created the customer: %d %v", a.status, a.body)
		}
		links, err := e.db.CustomerLinks(ctx, "acme")
		if err != nil || links["stripe"] != "cus_1" {
			t.Errorf("acme's links = %v, %v", links, err)
		}
	})

	t.Run("the API states the current state", func(t *testing.T) {
		// A provider event stamped later than now already named the
		// customer; a PUT is the caller's current state and still wins.
		if err := e.db.InTx(ctx, func(tx *storage.Tx) error {
			_, err := tx.UpsertCustomer(ctx, storage.CustomerInput{ExternalID: "future", Name: "From the future"}, time.Now().Add(time.Hour))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		e.must(http.StatusOK, http.MethodPut, "/v1/customers/future", `{"name":"Now"}`)
		if b := e.must(http.StatusOK, http.MethodGet, "/v1/customers/future", ""); b["name"] != "Now" {
			t.Errorf("customer = %v, want the PUT's name", b)
		}
		// A provider event older than the PUT is still stale (rule 8).
		if err := e.db.InTx(ctx, func(tx *storage.Tx) error {
			applied, err := tx.UpsertCustomer(ctx, storage.CustomerInput{ExternalID: "future", Name: "Late"}, time.Now().Add(-time.Minute))
			if err == nil && applied {
				t.Error("a provider event older than the PUT was applied")
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})

	long := strings.Repeat("x", 256)
	checkErrors(t, e, []apiErrorCase{
		{name: "bad email", method: http.MethodPut, path: "/v1/customers/acme", body: `{"email":"not-an-email"}`, want: 400, wantCode: "invalid_parameter", wantParam: "email"},
		{name: "email with a display name", method: http.MethodPut, path: "/v1/customers/acme", body: `{"email":"Jane <jane@acme.test>"}`, want: 400, wantCode: "invalid_parameter", wantParam: "email"},
		{name: "name with control characters", method: http.MethodPut, path: "/v1/customers/acme", body: `{"name":"a\u0000b"}`, want: 400, wantCode: "invalid_parameter", wantParam: "name"},
		{name: "unknown provider", method: http.MethodPut, path: "/v1/customers/acme", body: `{"provider_ids":{"chargebee":"x"}}`, want: 400, wantCode: "invalid_parameter", wantParam: "provider_ids.chargebee"},
		{name: "empty provider id", method: http.MethodPut, path: "/v1/customers/acme", body: `{"provider_ids":{"stripe":""}}`, want: 400, wantCode: "invalid_parameter", wantParam: "provider_ids.stripe"},
		{name: "provider id with a space", method: http.MethodPut, path: "/v1/customers/acme", body: `{"provider_ids":{"stripe":"cus 1"}}`, want: 400, wantCode: "invalid_parameter", wantParam: "provider_ids.stripe"},
		{name: "provider ids not an object", method: http.MethodPut, path: "/v1/customers/acme", body: `{"provider_ids":["cus_1"]}`, want: 400, wantCode: "invalid_parameter", wantParam: "provider_ids"},
		{name: "name not a string", method: http.MethodPut, path: "/v1/customers/acme", body: `{"name":5}`, want: 400, wantCode: "invalid_parameter", wantParam: "name"},
		{name: "unknown field", method: http.MethodPut, path: "/v1/customers/acme", body: `{"nmae":"Acme"}`, want: 400, wantCode: "invalid_parameter", wantParam: "nmae"},
		{name: "external id too long", method: http.MethodPut, path: "/v1/customers/" + long, body: `{}`, want: 400, wantCode: "invalid_parameter", wantParam: "customer"},
		{name: "external id with white space", method: http.MethodPut, path: "/v1/customers/%20acme", body: `{}`, want: 400, wantCode: "invalid_parameter", wantParam: "customer"},
		{name: "malformed json", method: http.MethodPut, path: "/v1/customers/acme", body: `{"name":`, want: 400, wantCode: "malformed_json"},
		{name: "get unknown", method: http.MethodGet, path: "/v1/customers/nobody", want: 404, wantCode: "not_found"},
		{name: "list limit 0", method: http.MethodGet, path: "/v1/customers?limit=0", want: 400, wantCode: "invalid_parameter", wantParam: "limit"},
		{name: "list limit 201", method: http.MethodGet, path: "/v1/customers?limit=201", want: 400, wantCode: "invalid_parameter", wantParam: "limit"},
		{name: "list after unknown", method: http.MethodGet, path: "/v1/customers?after=00000000-0000-0000-0000-000000000000", want: 400, wantCode: "invalid_parameter", wantParam: "after"},
		{name: "list after not an id", method: http.MethodGet, path: "/v1/customers?after=acme", want: 400, wantCode: "invalid_parameter", wantParam: "after"},
	})
	if b := e.must(http.StatusOK, http.MethodGet, "/v1/customers/acme", ""); b["name"] != "Acme" {
		t.Errorf("refused PUTs changed the customer: %v", b)
	}
}

// Paging through customers while others are added returns every customer
// once, in creation order, the new ones last.
func TestCustomersPaginationWhileAdding(t *testing.T) {
	t.Parallel()
	e := newAPITest(t)
	for i := range 5 {
		e.must(http.StatusCreated, http.MethodPut, fmt.Sprintf("/v1/customers/c%d", i), `{}`)
	}
	var got []string
	after, added := "", 0
	for page := 0; ; page++ {
		b := e.must(http.StatusOK, http.MethodGet, "/v1/customers?limit=2"+after, "")
		data := listData(b)
		if len(data) > 2 {
			t.Fatalf("page %d holds %d customers, limit 2", page, len(data))
		}
		for _, c := range data {
			got = append(got, c["external_id"].(string))
		}
		hasMore, next := listPagination(b)
		if !hasMore {
			if next != nil {
				t.Errorf("last page: next = %v, want null", next)
			}
			break
		}
		if next != data[len(data)-1]["id"] {
			t.Fatalf("page %d: next = %v, want the last customer's id", page, next)
		}
		after = "&after=" + next.(string)
		if added < 3 {
			e.must(http.StatusCreated, http.MethodPut, fmt.Sprintf("/v1/customers/new%d", added), `{}`)
			added++
		}
	}
	want := []string{"c0", "c1", "c2", "c3", "c4", "new0", "new1", "new2"}
	if !slices.Equal(got, want) {
		t.Errorf("paged %v, want %v", got, want)
	}
	all := listData(e.must(http.StatusOK, http.MethodGet, "/v1/customers", ""))
	if len(all) != len(want) || all[0]["provider_ids"] == nil {
		t.Errorf("default page: %v", all)
	}
}

// Every route of customers, users, orders and seats needs a live key.
func TestCustomerOrderSeatRoutesNeedKey(t *testing.T) {
	t.Parallel()
	e := newAPITest(t)
	revoked := e.revokedKey()
	routes := []struct{ method, path, body string }{
		{http.MethodGet, "/v1/customers", ""},
		{http.MethodGet, "/v1/customers/acme", ""},
		{http.MethodPut, "/v1/customers/acme", `{}`},
		{http.MethodGet, "/v1/customers/acme/users", ""},
		{http.MethodGet, "/v1/customers/acme/users/u1", ""},
		{http.MethodPut, "/v1/customers/acme/users/u1", `{}`},
		{http.MethodPut, "/v1/orders/sub_1", `{"customer_external_id":"acme","lines":[]}`},
		{http.MethodPost, "/v1/orders/sub_1/cancel", ""},
		{http.MethodGet, "/v1/orders/sub_1/seats/00000000-0000-0000-0000-000000000000", ""},
		{http.MethodPut, "/v1/orders/sub_1/seats/00000000-0000-0000-0000-000000000000", `{"user_external_id":null}`},
		{http.MethodPost, "/v1/orders/sub_1/seat-assignments", `{"assignments":[]}`},
	}
	keys := []struct {
		name   string
		header http.Header
		code   string
	}{
		{"missing", http.Header{}, "missing_api_key"},
		{"unknown", bearer("ssk_nope"), "invalid_api_key"},
		{"revoked", bearer(revoked), "invalid_api_key"},
	}
	own := e.key
	defer func() { e.key = own }()
	for _, r := range routes {
		for _, k := range keys {
			t.Run(k.name+" "+r.method+" "+r.path, func(t *testing.T) {
				e.key = k.header
				a := e.call(r.method, r.path, r.body)
				if a.status != http.StatusUnauthorized || errorCode(a) != k.code {
					t.Errorf("answer %d %v, want 401 %s", a.status, a.body, k.code)
				}
			})
		}
	}
	e.key = own
	if a := e.call(http.MethodGet, "/v1/customers/acme", ""); a.status != http.StatusNotFound {
		t.Errorf("refused PUT created the customer: %d %v", a.status, a.body)
	}
}
