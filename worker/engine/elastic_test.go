package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
)

// elasticOrder upserts sub_1 with one elastic line of pro: quantity,
// max_quantity (0: none) and release ("" is immediate); a period_end
// release gets the order's period end.
func (c *engineCase) elasticOrder(qty, maxQty int, release string) {
	c.t.Helper()
	settings := storage.LineSettings{Elastic: true, Release: release}
	if maxQty > 0 {
		settings.MaxQuantity = &maxQty
	}
	in := storage.OrderInput{
		ExternalID: "sub_1", Customer: storage.CustomerRef{ExternalID: "acme"}, Status: storage.OrderActive,
		Lines: []storage.LineInput{{ProductID: "pro", Quantity: qty, LineSettings: settings}},
	}
	if release == storage.ReleasePeriodEnd {
		in.CurrentPeriodEnd = &periodEnd
	}
	c.do("upsert elastic order", func(ctx context.Context, tx *storage.Tx) error {
		_, err := c.engine.UpsertOrder(ctx, tx, in, c.at())
		return err
	})
}

// line reads pro's line of sub_1 and its counters.
func (c *engineCase) line() storage.Line {
	c.t.Helper()
	var line storage.Line
	c.do("read line", func(ctx context.Context, tx *storage.Tx) error {
		var err error
		line, err = tx.LockLine(ctx, "sub_1", "pro")
		return err
	})
	return line
}

// poolEvents lists the seat.pool_updated events since after as
// "reason quantity billable".
func (c *engineCase) poolEvents(after int64) []string {
	c.t.Helper()
	msgs, err := c.db.OutboxMessages(context.Background(), after, 1000)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if m.EventType != "seat.pool_updated" {
			continue
		}
		var body struct {
			Data struct {
				Reason           string `json:"reason"`
				Quantity         int    `json:"quantity"`
				BillableQuantity int    `json:"billable_quantity"`
			} `json:"data"`
		}
		if err := json.Unmarshal(m.Body, &body); err != nil {
			c.t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d %d", body.Data.Reason, body.Data.Quantity, body.Data.BillableQuantity))
	}
	return out
}

func (c *engineCase) wantLine(what string, live, assigned, pending int) {
	c.t.Helper()
	l := c.line()
	if l.Live != live || l.Assigned != assigned || l.PendingRemovals != pending {
		c.t.Errorf("%s: live %d assigned %d pending_removals %d, want %d %d %d", what, l.Live, l.Assigned, l.PendingRemovals, live, assigned, pending)
	}
}

// Eight users appear at once, each in a transaction of their own, each
// entitled to pro by automatic assignment, on an elastic line of 2 seats
// up to 5: the line grows to exactly 5, the other three wait, and every
// invariant holds.
func TestElasticGrowthToMaxUnderConcurrentSeatRequests(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	const quantity, maxQuantity, requests = 2, 5, 8
	c.elasticOrder(quantity, maxQuantity, "")
	c.autoAssign("")
	var wg sync.WaitGroup
	errs := make(chan error, requests)
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprint("u", i)
			errs <- c.inTx(func(ctx context.Context, tx *storage.Tx) error {
				_, err := c.engine.UpsertUser(ctx, tx, storage.UserInput{Customer: storage.CustomerRef{ExternalID: "acme"},
					ExternalID: id, Email: id + "@acme.test", Status: storage.UserActive}, c.at())
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	c.wantLine("after 8 requests", maxQuantity, maxQuantity, 0)
	if got := c.waiting(); got != requests-maxQuantity {
		t.Errorf("%d users waiting, want %d", got, requests-maxQuantity)
	}
	// One seat.pool_updated of growth per transaction that grew the line
	// (three of them, one seat each), the last billing max_quantity.
	pool := c.poolEvents(1) // after the one of the order's creation
	want := []string{"elastic_growth 2 3", "elastic_growth 2 4", "elastic_growth 2 5"}
	if !slices.Equal(pool, want) {
		t.Errorf("pool events %q, want %q", pool, want)
	}
	// Exactly one seat.pool_exhausted: the line reaching max_quantity and
	// its first user waiting are one transition.
	if n := c.countEvents("seat.pool_exhausted"); n != 1 {
		t.Errorf("%d seat.pool_exhausted, want 1", n)
	}
	c.checkInvariants()
}

// A manual assignment grows the line when no seat is free, and at
// max_quantity answers no_free_seat naming the limit. The provider's
// quantity catching up changes nothing; a quantity above live creates
// seats; one below live retires free seats only.
func TestElasticManualAssignAndProviderQuantity(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	var seen int64
	c.elasticOrder(1, 3, "")
	for _, u := range []string{"u1", "u2", "u3", "u4"} {
		c.user(u, "")
	}
	for _, u := range []string{"u1", "u2", "u3"} {
		if outcome, reason := c.assign(u); outcome != storage.InboxApplied {
			t.Fatalf("assign %s: %s %s", u, outcome, reason)
		}
	}
	outcome, reason := c.assign("u4")
	if outcome != storage.InboxFailed || !strings.Contains(reason, "no_free_seat") || !strings.Contains(reason, "max_quantity (3") {
		t.Errorf("assign at max: %s %q, want no_free_seat naming max_quantity", outcome, reason)
	}
	want := []string{"seat.pool_updated elastic_growth 1", "seat.assigned u1", "seat.pool_updated elastic_growth 1",
		"seat.assigned u2", "seat.pool_updated elastic_growth 1", "seat.assigned u3", "seat.pool_exhausted max_quantity 1"}
	// The first event is the order's creation (live 0 → quantity 1).
	want[0] = "seat.pool_updated quantity_changed 1"
	if got := c.events(&seen); !slices.Equal(got, want) {
		t.Errorf("events = %q\nwant %q", got, want)
	}
	if got := c.poolEvents(0); !slices.Equal(got, []string{"quantity_changed 1 1", "elastic_growth 1 2", "elastic_growth 1 3"}) {
		t.Errorf("pool events %q", got)
	}
	// The provider catches up: nothing changes, no event.
	c.elasticOrder(3, 3, "")
	if got := c.events(&seen); len(got) != 0 {
		t.Errorf("catching up wrote %q", got)
	}
	c.wantLine("caught up", 3, 3, 0)
	// Above live: seats are created, as on any line.
	c.elasticOrder(5, 6, "")
	if got := c.events(&seen); !slices.Equal(got, []string{"seat.pool_updated quantity_changed 5", "seat.pool_available max_quantity 5"}) {
		t.Errorf("growing the quantity wrote %q", got)
	}
	// Below live: billing follows usage; the two free seats go, nobody is unseated.
	c.elasticOrder(1, 6, "")
	if got := c.events(&seen); !slices.Equal(got, []string{"seat.pool_updated quantity_changed 1"}) {
		t.Errorf("lowering the quantity wrote %q", got)
	}
	c.wantLine("quantity 1 below usage 3", 3, 3, 0)
	if got := c.holders(); got != "u1 u2 u3" {
		t.Errorf("holders = %q", got)
	}
	// A max_quantity lowered below live retires occupied seats, rule 6.
	c.elasticOrder(1, 2, "")
	if got := c.events(&seen); !slices.Equal(got, []string{"seat.revoked u3 quantity_decreased", "seat.pool_updated quantity_changed 1", "seat.pool_exhausted max_quantity 1"}) {
		t.Errorf("lowering max_quantity wrote %q", got)
	}
	c.checkInvariants()
}

// Automatic assignment seating several users in one transaction grows the
// line with one event, which bills the final quantity.
func TestElasticOneGrowthEventPerTransaction(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.elasticOrder(1, 0, "")
	for _, u := range []string{"u1", "u2", "u3", "u4"} {
		c.user(u, "")
	}
	c.autoAssign("") // seats the four one by one, in one transaction
	if got := c.poolEvents(0); !slices.Equal(got, []string{"quantity_changed 1 1", "elastic_growth 1 4"}) {
		t.Errorf("pool events %q", got)
	}
	c.wantLine("four seated", 4, 4, 0)
	c.checkInvariants()
}

// Release immediate: a user leaving a grown seat gives it back at once,
// unless a waiting user takes it first; a bought seat stays.
func TestElasticReleaseImmediate(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.elasticOrder(1, 2, storage.ReleaseImmediate)
	c.autoAssign("eng")
	c.user("u1", `,"groups":["eng"]`)
	c.user("u2", `,"groups":["eng"]`) // grown
	c.user("u3", `,"groups":["eng"]`) // at max: waits
	if got := c.waiting(); got != 1 {
		t.Fatalf("%d waiting, want u3", got)
	}
	var seen int64
	c.events(&seen)
	c.user("u1", `,"groups":[]`) // leaves: u3 takes the seat, nothing retired
	if got := c.events(&seen); !slices.Equal(got, []string{"seat.revoked u1 left_group", "seat.assigned u3"}) {
		t.Errorf("events = %q", got)
	}
	c.wantLine("u3 refilled", 2, 2, 0)
	c.unassign("u2") // grown seat, nobody waits: retired at once, billed down
	if got := c.events(&seen); !slices.Equal(got, []string{"seat.revoked u2 unassigned", "seat.pool_available max_quantity 1", "seat.pool_updated elastic_release 1"}) {
		t.Errorf("events = %q", got)
	}
	c.wantLine("u2 left", 1, 1, 0)
	c.deactivate("u3") // the bought seat stays
	c.wantLine("u3 deactivated", 1, 0, 0)
	if got := c.events(&seen); !slices.Equal(got, []string{"user.deactivated u3", "seat.revoked u3 user_deactivated"}) {
		t.Errorf("events = %q", got)
	}
	c.checkInvariants()
}

// Release period_end: a user leaving a grown seat marks it
// pending_removal; a new user takes the marked seat (unmarked, the line
// does not grow); at the period end the marked free seats are retired and
// billed down.
func TestElasticReleasePeriodEnd(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.elasticOrder(1, 0, storage.ReleasePeriodEnd)
	for _, u := range []string{"u1", "u2", "u3", "u4"} {
		c.user(u, "")
		if u != "u4" {
			c.assign(u)
		}
	}
	c.wantLine("three seated", 3, 3, 0)
	var seen int64
	c.events(&seen)
	c.unassign("u2")
	c.unassign("u3")
	c.wantLine("two left", 3, 1, 2)
	if got := c.events(&seen); !slices.Equal(got, []string{"seat.revoked u2 unassigned", "seat.revoked u3 unassigned"}) {
		t.Errorf("marking wrote %q (billing continues to the period end)", got)
	}
	c.assign("u4") // takes a marked seat: unmarked, no growth
	c.wantLine("u4 seated", 3, 2, 1)
	if got := c.events(&seen); !slices.Equal(got, []string{"seat.assigned u4"}) {
		t.Errorf("events = %q", got)
	}
	// The worker's sweep (or the task at the period end) releases them,
	// once, and not before the period ends.
	if n := c.applyDue(c.engine, periodEnd.Add(-time.Second)); n != 0 {
		t.Fatalf("%d releases applied before the period end", n)
	}
	if n := c.applyDue(c.engine, periodEnd); n != 1 {
		t.Fatalf("%d releases applied at the period end, want 1", n)
	}
	if n := c.applyDue(c.engine, periodEnd); n != 0 {
		t.Fatalf("%d releases applied a second time", n)
	}
	c.wantLine("after the period end", 2, 2, 0)
	if got := c.events(&seen); !slices.Equal(got, []string{"seat.pool_updated elastic_release 1"}) {
		t.Errorf("events = %q", got)
	}
	if got := c.poolEvents(seen - 1); !slices.Equal(got, []string{"elastic_release 1 2"}) {
		t.Errorf("pool events %q", got)
	}
	// Again: nothing marked, nothing to do.
	c.do("release again", func(ctx context.Context, tx *storage.Tx) error {
		line, err := tx.LockLine(ctx, "sub_1", "pro")
		if err != nil {
			return err
		}
		_, err = c.engine.releaseAtPeriodEnd(ctx, tx, line)
		return err
	})
	if got := c.events(&seen); len(got) != 0 {
		t.Errorf("a second release wrote %q", got)
	}
	// Marks the quantity caught up with are cleared at the period end.
	c.unassign("u4")
	c.wantLine("u4 left", 2, 1, 1)
	c.elasticOrder(2, 0, storage.ReleasePeriodEnd)
	c.do("release with the quantity caught up", func(ctx context.Context, tx *storage.Tx) error {
		line, err := tx.LockLine(ctx, "sub_1", "pro")
		if err != nil {
			return err
		}
		_, err = c.engine.releaseAtPeriodEnd(ctx, tx, line)
		return err
	})
	c.wantLine("caught up", 2, 1, 0)
	c.checkInvariants()
}

// TestElasticGrowthGolden freezes the body of seat.pool_updated of an
// elastic line's growth (reason elastic_growth, billable_quantity).
func TestElasticGrowthGolden(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.engine.now = func() time.Time { return time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC) }
	c.elasticOrder(1, 5, "")
	c.user("u_42", "")
	c.user("u_43", "")
	c.assign("u_42")
	c.assign("u_43") // grows
	msgs, err := c.db.OutboxMessages(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var found []byte
	for _, m := range msgs {
		if m.EventType == "seat.pool_updated" && bytes.Contains(m.Body, []byte(ReasonElasticGrowth)) {
			found = m.Body
		}
	}
	if found == nil {
		t.Fatal("no elastic_growth event")
	}
	checkGolden(t, "seat.pool_updated.elastic_growth", found)
}

// A schedule on an elastic line lowers its floor: it marks no seat, and
// at its date only free seats above the new quantity retire — nobody is
// unseated, since billing follows usage there.
func TestElasticScheduleLowersTheFloor(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.elasticOrder(4, 0, "")
	c.autoAssign("")
	for _, u := range []string{"u1", "u2", "u3"} {
		c.user(u, "")
	}
	c.wantLine("three seated", 4, 3, 0)
	one := 1
	c.do("schedule 1 seat", func(ctx context.Context, tx *storage.Tx) error {
		_, err := c.engine.UpsertOrder(ctx, tx, storage.OrderInput{
			ExternalID: "sub_1", Customer: storage.CustomerRef{ExternalID: "acme"}, Status: storage.OrderActive,
			Lines: []storage.LineInput{{ProductID: "pro", Quantity: 4, LineSettings: storage.LineSettings{
				Elastic: true, ScheduledQuantity: &one, ScheduledAt: &periodEnd}}},
		}, c.at())
		return err
	})
	c.wantLine("scheduled", 4, 3, 0)
	if got := c.lastPendingRemovals(); got != 0 {
		t.Errorf("the schedule's seat.pool_updated says %d pending removals; seat usage and the seats say 0", got)
	}
	if n := c.applyDue(c.engine, periodEnd); n != 1 {
		t.Fatalf("%d schedules applied, want 1", n)
	}
	c.wantLine("applied", 3, 3, 0)
	if l := c.line(); l.Quantity != 1 || l.ScheduledAt != nil {
		t.Errorf("quantity %d, schedule %v; want 1 and none", l.Quantity, l.ScheduledAt)
	}
	c.checkInvariants()
}

// countEvents counts the outbox rows of one event type.
func (c *engineCase) countEvents(eventType string) int {
	c.t.Helper()
	msgs, err := c.db.OutboxMessages(context.Background(), 0, 10000)
	if err != nil {
		c.t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if m.EventType == eventType {
			n++
		}
	}
	return n
}

// A schedule on an elastic period_end line marks nothing, so the marks are
// the release's still: at the period end the seats a user left are
// released as without the schedule.
func TestElasticReleasePeriodEndWithASchedule(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.elasticOrder(1, 0, storage.ReleasePeriodEnd)
	for _, u := range []string{"u1", "u2"} {
		c.user(u, "")
		c.assign(u)
	}
	one, later := 1, periodEnd.Add(24*time.Hour)
	c.do("schedule 1 seat after the period end", func(ctx context.Context, tx *storage.Tx) error {
		_, err := c.engine.UpsertOrder(ctx, tx, storage.OrderInput{
			ExternalID: "sub_1", Customer: storage.CustomerRef{ExternalID: "acme"}, Status: storage.OrderActive,
			CurrentPeriodEnd: &periodEnd,
			Lines: []storage.LineInput{{ProductID: "pro", Quantity: 1, LineSettings: storage.LineSettings{
				Elastic: true, Release: storage.ReleasePeriodEnd, ScheduledQuantity: &one, ScheduledAt: &later}}},
		}, c.at())
		return err
	})
	c.unassign("u2")
	c.wantLine("u2 left", 2, 1, 1)
	if n := c.applyDue(c.engine, periodEnd); n != 1 {
		t.Fatalf("%d releases applied at the period end, want 1", n)
	}
	c.wantLine("after the period end", 1, 1, 0)
	c.checkInvariants()
}

// lastPendingRemovals is pending_removals of the latest seat.pool_updated.
func (c *engineCase) lastPendingRemovals() int {
	c.t.Helper()
	msgs, err := c.db.OutboxMessages(context.Background(), 0, 10000)
	if err != nil {
		c.t.Fatal(err)
	}
	got := -1
	for _, m := range msgs {
		if m.EventType != "seat.pool_updated" {
			continue
		}
		var body struct {
			Data struct {
				PendingRemovals int `json:"pending_removals"`
			} `json:"data"`
		}
		if err := json.Unmarshal(m.Body, &body); err != nil {
			c.t.Fatal(err)
		}
		got = body.Data.PendingRemovals
	}
	return got
}
