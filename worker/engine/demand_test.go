package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/seatsync/seatsync/storage"
)

func TestPoolExhausted(t *testing.T) {
	t.Parallel()
	two := 2
	active := func(l storage.Line) storage.Line { l.OrderStatus = storage.OrderActive; return l }
	for _, tc := range []struct {
		name    string
		line    storage.Line
		waiting bool
		want    bool
		reason  string
	}{
		{"nobody waits", active(storage.Line{Quantity: 2, Live: 2, Assigned: 2}), false, false, DemandWaiting},
		{"someone waits", active(storage.Line{Quantity: 2, Live: 2, Assigned: 2}), true, true, DemandWaiting},
		{"someone waits, seats free", active(storage.Line{Quantity: 2, Live: 2, Assigned: 1}), true, true, DemandWaiting},
		{"canceled order", storage.Line{OrderStatus: storage.OrderCanceled, Quantity: 2, Live: 2}, true, false, DemandWaiting},
		{"elastic at max, full", active(storage.Line{LineSettings: storage.LineSettings{Elastic: true, MaxQuantity: &two},
			Quantity: 1, Live: 2, Assigned: 1, Invited: 1}), false, true, DemandMaxQuantity},
		{"elastic at max, a seat free", active(storage.Line{LineSettings: storage.LineSettings{Elastic: true, MaxQuantity: &two},
			Quantity: 1, Live: 2, Assigned: 1}), false, false, DemandMaxQuantity},
		{"elastic below max, full", active(storage.Line{LineSettings: storage.LineSettings{Elastic: true, MaxQuantity: &two},
			Quantity: 1, Live: 1, Assigned: 1}), false, false, DemandMaxQuantity}, // room to grow again
		{"elastic without max, full", active(storage.Line{LineSettings: storage.LineSettings{Elastic: true},
			Quantity: 2, Live: 2, Assigned: 2}), false, false, DemandWaiting},
		{"not elastic, full at its quantity", active(storage.Line{Quantity: 2, Live: 2, Assigned: 2}), false, false, DemandWaiting},
	} {
		if got := poolExhausted(tc.line, tc.waiting); got != tc.want {
			t.Errorf("%s: poolExhausted = %t, want %t", tc.name, got, tc.want)
		}
		if got := demandReason(tc.line, tc.want); got != tc.reason {
			t.Errorf("%s: reason = %q, want %q", tc.name, got, tc.reason)
		}
	}
}

// demandEvents keeps only the demand signals of a list of events.
func demandEvents(events []string) []string {
	var out []string
	for _, e := range events {
		if strings.HasPrefix(e, "seat.pool_exhausted") || strings.HasPrefix(e, "seat.pool_available") {
			out = append(out, e)
		}
	}
	return out
}

func (c *engineCase) wantDemand(seen *int64, want ...string) {
	c.t.Helper()
	if got := demandEvents(c.events(seen)); !slices.Equal(got, want) {
		c.t.Errorf("demand events = %q, want %q", got, want)
	}
}

// Users who start waiting one after another exhaust the line once; the
// line is available once when the last of them is seated; nothing else
// reports anything.
func TestEngineDemandOncePerTransition(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	var seen int64
	c.order(1, "active")
	c.autoAssign("")
	c.user("u1", "") // seated
	c.wantDemand(&seen)
	c.user("u2", "") // the first to wait
	c.wantDemand(&seen, "seat.pool_exhausted waiting 1")
	c.user("u3", "")
	c.user("u4", "")
	c.user("u2", `,"groups":["x"]`) // a change that moves nobody
	c.wantDemand(&seen)
	c.deactivate("u1")   // u2 seated; u3 and u4 still wait
	c.order(2, "active") // u3 seated; u4 still waits
	c.wantDemand(&seen)
	if got := c.waiting(); got != 1 {
		t.Fatalf("waiting = %d, want 1", got)
	}
	c.order(3, "active") // u4 seated: the list is empty
	c.wantDemand(&seen, "seat.pool_available waiting 3")
	c.order(4, "active") // a free seat, nobody waiting: no transition
	c.user("u5", "")
	c.user("u6", "") // waits again: a new transition
	c.wantDemand(&seen, "seat.pool_exhausted waiting 4")
	c.checkInvariants()
}

// Every way of leaving the waiting list that empties it reports the line
// available: deactivation, leaving the mapped group, the mapping deleted.
func TestEngineDemandLeavingTheList(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	var seen int64
	c.order(1, "active")
	c.autoAssign("eng")
	c.user("u1", `,"groups":["eng"]`)
	c.user("u2", `,"groups":["eng"]`)
	c.wantDemand(&seen, "seat.pool_exhausted waiting 1")
	c.deactivate("u2")
	c.wantDemand(&seen, "seat.pool_available waiting 1")
	c.user("u3", `,"groups":["eng"]`)
	c.wantDemand(&seen, "seat.pool_exhausted waiting 1")
	c.user("u3", `,"groups":[]`)
	c.wantDemand(&seen, "seat.pool_available waiting 1")
	c.user("u3", `,"groups":["eng"]`)
	c.wantDemand(&seen, "seat.pool_exhausted waiting 1")
	// The mapping moves to a group u3 is not in: u3 leaves the list, and
	// u1 the seat, which u4 of the new group takes; u5 waits.
	c.autoAssign("ops")
	c.wantDemand(&seen, "seat.pool_available waiting 1")
	c.user("u4", `,"groups":["ops"]`)
	c.user("u5", `,"groups":["ops"]`)
	c.wantDemand(&seen, "seat.pool_exhausted waiting 1")
	c.do("remove auto-assign", func(ctx context.Context, tx *storage.Tx) error {
		return c.engine.RemoveAutoAssign(ctx, tx, "acme", "pro")
	})
	c.wantDemand(&seen, "seat.pool_available waiting 1")
	c.checkInvariants()
}

// The waiting list is the customer's for the product: every active line
// of it reports, a line made while users wait is exhausted at once, and a
// manual assignment of the last waiting user empties the list.
func TestEngineDemandEveryLineOfTheProduct(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	var seen int64
	c.order(1, "active")
	c.autoAssign("")
	c.user("u1", "")
	c.user("u2", "")
	c.wantDemand(&seen, "seat.pool_exhausted waiting 1")
	c.do("second order", func(ctx context.Context, tx *storage.Tx) error {
		_, err := c.engine.UpsertOrder(ctx, tx, storage.OrderInput{
			ExternalID: "sub_2", Customer: storage.CustomerRef{ExternalID: "acme"}, Status: storage.OrderActive,
			Lines: []storage.LineInput{{ProductID: "pro", Quantity: 0}},
		}, c.at())
		return err
	})
	c.wantDemand(&seen, "seat.pool_exhausted waiting 0")
	c.user("u3", "")
	c.wantDemand(&seen)
	c.do("grow the second order", func(ctx context.Context, tx *storage.Tx) error {
		_, err := c.engine.UpsertOrder(ctx, tx, storage.OrderInput{
			ExternalID: "sub_2", Customer: storage.CustomerRef{ExternalID: "acme"}, Status: storage.OrderActive,
			Lines: []storage.LineInput{{ProductID: "pro", Quantity: 1}},
		}, c.at())
		return err
	})
	c.wantDemand(&seen) // u2 seated, u3 still waits
	c.unassign("u1")    // u1's seat goes to u3: the list is empty
	c.wantDemand(&seen, "seat.pool_available waiting 1", "seat.pool_available waiting 1")
	c.checkInvariants()
}

// Eight users starting to wait at once exhaust the line once; seating
// them all makes it available once.
func TestEngineDemandConcurrentWaiters(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.order(1, "active")
	c.autoAssign("")
	c.user("u0", "")
	const waiters = 8
	errs := make([]error, waiters)
	var wg sync.WaitGroup
	for i := range waiters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprint("w", i)
			errs[i] = c.inTx(func(ctx context.Context, tx *storage.Tx) error {
				_, err := c.engine.UpsertUser(ctx, tx, storage.UserInput{Customer: storage.CustomerRef{ExternalID: "acme"},
					ExternalID: id, Email: id + "@acme.test", Status: storage.UserActive}, c.at())
				return err
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("waiter %d: %v", i, err)
		}
	}
	if got := c.waiting(); got != waiters {
		t.Fatalf("waiting = %d, want %d", got, waiters)
	}
	var seen int64
	c.wantDemand(&seen, "seat.pool_exhausted waiting 1")
	c.order(1+waiters, "active")
	c.wantDemand(&seen, "seat.pool_available waiting 9")
	c.checkInvariants()
}

// An elastic line at its max_quantity with no seat free is exhausted
// (reason max_quantity) though nobody waits; a freed seat ends it.
func TestEngineDemandElasticAtMax(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	var seen int64
	two := 2
	c.do("elastic order", func(ctx context.Context, tx *storage.Tx) error {
		_, err := c.engine.UpsertOrder(ctx, tx, storage.OrderInput{
			ExternalID: "sub_1", Customer: storage.CustomerRef{ExternalID: "acme"}, Status: storage.OrderActive,
			Lines: []storage.LineInput{{ProductID: "pro", Quantity: 2,
				LineSettings: storage.LineSettings{Elastic: true, MaxQuantity: &two}}},
		}, c.at())
		return err
	})
	c.user("u1", "")
	c.assign("u1")
	c.wantDemand(&seen)
	c.mustInvite(c.seatIDs()[1], "jane@acme.test") // the last free seat
	c.wantDemand(&seen, "seat.pool_exhausted max_quantity 2")
	if err := c.revoke(c.seatIDs()[1]); err != nil {
		t.Fatal(err)
	}
	c.wantDemand(&seen, "seat.pool_available max_quantity 2")
	c.user("u2", "")
	c.assign("u2")
	c.wantDemand(&seen, "seat.pool_exhausted max_quantity 2")
	c.checkInvariants()
}
