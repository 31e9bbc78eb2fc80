package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
)

// putConcurrently sends the bodies to path at once and returns the
// statuses, in body order.
func putConcurrently(e *apiTest, path string, bodies []string) []int {
	statuses := make([]int, len(bodies))
	var wg sync.WaitGroup
	for i, body := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = e.call(http.MethodPut, path, body).status
		}()
	}
	wg.Wait()
	return statuses
}

// A PUT is the caller's current state, not a provider event that may come
// late: identical PUTs at once all succeed, exactly one of them creating,
// and different ones end in the state of one of them, none refused.
func TestConcurrentPuts(t *testing.T) {
	t.Parallel()
	e := newAPITest(t, withRateLimit(1000, 1000))
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme", `{"name":"Acme"}`)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme/auto-assign/pro", `{"all_users":true}`)
	const n = 16
	type route struct {
		name, path string
		identical  string
		different  string // a format of %d
		field      func(map[string]any) string
		value      string // the field after the different PUT of %d
	}
	quantity := func(b map[string]any) string {
		lines, _ := b["lines"].([]any)
		if len(lines) != 1 {
			return fmt.Sprint(lines)
		}
		return fmt.Sprint(lines[0].(map[string]any)["quantity"])
	}
	name := func(b map[string]any) string { return fmt.Sprint(b["name"]) }
	routes := []route{
		{"customer", "/v1/customers/globex", `{"name":"Globex","email":"ap@globex.test"}`, `{"name":"Globex %d"}`, name, "Globex %d"},
		{"user", "/v1/customers/acme/users/u1", `{"email":"u1@acme.test","name":"Jane"}`, `{"email":"u1@acme.test","name":"Jane %d"}`, name, "Jane %d"},
		{"order", "/v1/orders/sub_1", `{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":3}]}`,
			`{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":%d}]}`, quantity, "%d"},
	}
	for _, r := range routes {
		t.Run(r.name+" identical", func(t *testing.T) {
			statuses := putConcurrently(e, r.path, slices.Repeat([]string{r.identical}, n))
			slices.Sort(statuses)
			want := slices.Repeat([]int{http.StatusOK}, n)
			want[n-1] = http.StatusCreated
			if !slices.Equal(statuses, want) {
				t.Errorf("statuses %v, want one 201 and the rest 200", statuses)
			}
		})
	}
	// Identical PUTs record one change: the order's pool once, and the
	// user, whom the order seats, once.
	counts := map[string]int{}
	msgs, err := e.db.OutboxMessages(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		counts[m.EventType]++
	}
	if counts["seat.pool_updated"] != 1 || counts["seat.assigned"] != 1 {
		t.Errorf("events %v, want one seat.pool_updated and one seat.assigned", counts)
	}
	for _, r := range routes {
		t.Run(r.name+" different", func(t *testing.T) {
			bodies, values := make([]string, n), make([]string, n)
			for i := range n {
				bodies[i], values[i] = fmt.Sprintf(r.different, i+1), fmt.Sprintf(r.value, i+1)
			}
			statuses := putConcurrently(e, r.path, bodies)
			if slices.ContainsFunc(statuses, func(s int) bool { return s != http.StatusOK }) {
				t.Errorf("statuses %v, want all 200", statuses)
			}
			if got := r.field(e.must(http.StatusOK, http.MethodGet, r.path, "")); !slices.Contains(values, got) {
				t.Errorf("%s ended as %q, which none of the PUTs asked for", r.name, got)
			}
		})
	}
	e.checkInvariants()
}
