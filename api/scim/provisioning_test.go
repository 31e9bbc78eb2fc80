package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
)

// seatProduct gives acme an order of quantity seats of product "pro",
// automatically assigned to the members of group.
func (b *bundle) seatProduct(quantity int, group string) {
	b.t.Helper()
	ctx := context.Background()
	err := b.db.InTx(ctx, func(tx *storage.Tx) error {
		if _, err := b.engine.UpsertOrder(ctx, tx, storage.OrderInput{
			ExternalID: "sub_1", Customer: storage.CustomerRef{ExternalID: b.customer}, Status: storage.OrderActive,
			Lines: []storage.LineInput{{ProductID: "pro", Quantity: quantity}},
		}, time.Now()); err != nil {
			return err
		}
		return b.engine.SetAutoAssign(ctx, tx, b.customer, "pro", group)
	})
	if err != nil {
		b.t.Fatal(err)
	}
}

// usage is acme's seat usage of "pro".
func (b *bundle) usage() storage.ProductUsage {
	b.t.Helper()
	all, err := b.db.SeatUsage(context.Background(), b.customer)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, u := range all {
		if u.ProductID == "pro" {
			return u
		}
	}
	return storage.ProductUsage{}
}

// seatEvents lists the users of the outbox's seat events of one type, in
// order.
func (b *bundle) seatEvents(eventType string) []string {
	b.t.Helper()
	msgs, err := b.db.OutboxMessages(context.Background(), 0, 100000)
	if err != nil {
		b.t.Fatal(err)
	}
	var users []string
	for _, m := range msgs {
		if m.EventType != eventType {
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
			b.t.Fatal(err)
		}
		users = append(users, body.Data.User.ExternalID)
	}
	return users
}

// TestProvisioningIntoAFullPool: a thousand users and their group,
// provisioned through SCIM into a 900-seat product assigned to the group,
// seat 900 and queue 100, one seat.assigned each; deprovisioning one seated
// user gives the seat to the first in line.
func TestProvisioningIntoAFullPool(t *testing.T) {
	start := time.Now()
	b := setup(t)
	b.seatProduct(900, "Engineering")
	ids := make([]string, 1000)
	members := make([]string, len(ids))
	for i := range ids {
		ids[i] = b.createUser(fmt.Sprintf("user%04d@acme.test", i))
		members[i] = fmt.Sprintf(`{"value":%q}`, ids[i])
	}
	if u := b.usage(); u.Assigned != 0 {
		t.Fatalf("seated before joining the group: %+v", u)
	}
	t.Logf("1,000 users created in %s", time.Since(start).Round(time.Millisecond))
	joined := time.Now()
	g := b.must(http.StatusCreated, http.MethodPost, "/Groups",
		`{"schemas":["`+groupSchema+`"],"displayName":"Engineering","members":[`+strings.Join(members, ",")+`]}`)
	t.Logf("the group of 1,000 created in %s", time.Since(joined).Round(time.Millisecond))
	if got := len(g["members"].([]any)); got != 1000 {
		t.Fatalf("group has %d members", got)
	}
	if u := b.usage(); u.Quantity != 900 || u.Assigned != 900 || u.Waiting != 100 {
		t.Fatalf("usage = %+v, want 900 of 900 seated and 100 waiting", u)
	}
	assigned := b.seatEvents("seat.assigned")
	if len(assigned) != 900 {
		t.Fatalf("%d seat.assigned events, want 900", len(assigned))
	}
	seen := map[string]bool{}
	for i, u := range assigned {
		if seen[u] {
			t.Fatalf("user %s seated twice", u)
		}
		seen[u] = true
		if u != ids[i] {
			t.Fatalf("seat %d went to %s, want %s (members in order)", i, u, ids[i])
		}
	}
	// A waiting user's provisioning did not fail, and reads back.
	if got := b.must(http.StatusOK, http.MethodGet, "/Users/"+ids[950], ""); got["active"] != true {
		t.Fatalf("waiting user = %v", got)
	}

	b.must(http.StatusNoContent, http.MethodDelete, "/Users/"+ids[10], "")
	if u := b.usage(); u.Assigned != 900 || u.Waiting != 99 {
		t.Fatalf("after deprovisioning: %+v, want 900 seated, 99 waiting", u)
	}
	assigned = b.seatEvents("seat.assigned")
	if len(assigned) != 901 || assigned[900] != ids[900] {
		t.Fatalf("the freed seat went to %v, want the first in line %s", assigned[len(assigned)-1], ids[900])
	}
	if revoked := b.seatEvents("seat.revoked"); len(revoked) != 1 || revoked[0] != ids[10] {
		t.Fatalf("seat.revoked for %v, want %s", revoked, ids[10])
	}
	t.Logf("1,000 users, a group and a deprovisioning in %s", time.Since(start).Round(time.Millisecond))
}

// TestDeactivationRevokesSeats: active false by PATCH (Entra's string) or
// PUT (Okta) revokes the user's seat, which goes to whoever waits, and
// the user reads back deactivated; reactivating queues them again.
// Leaving the group frees the seat; renaming the group moves the
// membership to the new name.
func TestDeactivationRevokesSeats(t *testing.T) {
	b := setup(t)
	b.seatProduct(1, "Sales")
	u1, u2, u3 := b.createUser("a@acme.test"), b.createUser("b@acme.test"), b.createUser("c@acme.test")
	gid := b.must(http.StatusCreated, http.MethodPost, "/Groups",
		fmt.Sprintf(`{"displayName":"Sales","members":[{"value":%q},{"value":%q},{"value":%q}]}`, u1, u2, u3))["id"].(string)
	holder := func() string {
		t.Helper()
		a := b.seatEvents("seat.assigned")
		r := b.seatEvents("seat.revoked")
		if len(a) == len(r) {
			return ""
		}
		return a[len(a)-1]
	}
	if holder() != u1 {
		t.Fatalf("holder %s, want %s", holder(), u1)
	}
	r := b.must(http.StatusOK, http.MethodPatch, "/Users/"+u1,
		`{"schemas":["`+patchOpSchema+`"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
	if r["active"] != false || holder() != u2 {
		t.Fatalf("after Entra's deactivation: active %v, holder %s, want %s", r["active"], holder(), u2)
	}
	r = b.must(http.StatusOK, http.MethodPut, "/Users/"+u2, `{"userName":"b@acme.test","active":false}`)
	if r["active"] != false || holder() != u3 {
		t.Fatalf("after Okta's deactivation: active %v, holder %s, want %s", r["active"], holder(), u3)
	}
	b.must(http.StatusOK, http.MethodPatch, "/Users/"+u1, `{"Operations":[{"op":"replace","value":{"active":true}}]}`)
	if u := b.usage(); u.Waiting != 1 || holder() != u3 {
		t.Fatalf("after reactivation: %+v holder %s", u, holder())
	}
	b.must(http.StatusNoContent, http.MethodPatch, "/Groups/"+gid,
		`{"Operations":[{"op":"remove","path":"members[value eq \"`+u3+`\"]"}]}`)
	if holder() != u1 {
		t.Fatalf("after u3 left the group: holder %s, want %s", holder(), u1)
	}
	// Renamed to a name no mapping names: the members leave "Sales".
	b.must(http.StatusNoContent, http.MethodPatch, "/Groups/"+gid, `{"Operations":[{"op":"replace","path":"displayName","value":"Former sales"}]}`)
	if holder() != "" {
		t.Fatalf("after the rename: holder %s, want nobody", holder())
	}
	ctx := context.Background()
	user, err := b.db.UserByExternalID(ctx, b.customer, u1)
	if err != nil {
		t.Fatal(err)
	}
	if len(user.Groups) != 1 || user.Groups[0] != "Former sales" {
		t.Fatalf("groups of u1 = %v, want [Former sales]", user.Groups)
	}
}
