package engine

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
)

// periodEnd is when the scenarios' schedules take effect: well after every
// event time of engineCase.at.
var periodEnd = time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC)

// scheduled upserts sub_1 with quantity qty, a scheduled quantity (nil:
// none) at periodEnd and a cancel_at (nil: none), as of event time at.
func (c *engineCase) scheduled(qty int, scheduledQty *int, cancelAt *time.Time, at time.Time) bool {
	c.t.Helper()
	line := storage.LineInput{ProductID: "pro", Quantity: qty}
	if scheduledQty != nil {
		end := periodEnd
		line.ScheduledQuantity, line.ScheduledAt = scheduledQty, &end
	}
	var applied bool
	c.do("upsert order", func(ctx context.Context, tx *storage.Tx) (err error) {
		applied, err = c.engine.UpsertOrder(ctx, tx, storage.OrderInput{
			ExternalID: "sub_1", Customer: storage.CustomerRef{ExternalID: "acme"}, Status: storage.OrderActive,
			Lines: []storage.LineInput{line}, CancelAt: cancelAt,
		}, at)
		return err
	})
	return applied
}

// marked lists who holds the order's marked seats, in seat order ("-"
// for a free one), and checks seat objects' pending_removal.
func (c *engineCase) marked() string {
	c.t.Helper()
	seats, err := c.db.OrderSeats(context.Background(), "sub_1", storage.SeatFilter{})
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for _, s := range seats {
		if s.PendingRemoval {
			out = append(out, cmpOr(s.UserExternalID, "-"))
		}
	}
	return strings.Join(out, " ")
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// applyDue applies whatever is due at now through the sweep, with engine e.
func (c *engineCase) applyDue(e *Engine, now time.Time) int {
	c.t.Helper()
	n, err := e.ApplyDueSchedules(context.Background(), c.db, now, 100)
	if err != nil {
		c.t.Fatalf("apply due schedules: %v", err)
	}
	return n
}

// recordingQueue is a ScheduleQueue that remembers what it was given.
type recordingQueue struct {
	mu  sync.Mutex
	due []storage.Due
}

func (q *recordingQueue) EnqueueDue(_ context.Context, d storage.Due) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.due = append(q.due, d)
	return nil
}

func (q *recordingQueue) taken() []storage.Due {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.due
	q.due = nil
	return out
}

// A scheduled reduction marks the seats rule 6 picks, takes no seat away
// before its date, follows quantity and schedule changes, gives marked
// free seats out last, and at its date retires exactly the marked seats,
// once.
func TestScheduleMarksThenAppliesOnce(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	q := &recordingQueue{}
	c.engine.UseScheduleQueue(q)
	var seen int64
	c.order(6, "active")
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
		c.user(u, "")
	}
	for _, u := range []string{"u1", "u2", "u3", "u4"} {
		c.assign(u)
	}
	c.events(&seen)
	five, three := 5, 3
	c.scheduled(6, &five, nil, c.at())
	if got := c.marked(); got != "-" {
		t.Fatalf("marked = %q, want the newest free seat", got)
	}
	if got := q.taken(); len(got) != 1 || got[0].Kind != storage.DueLine || !got[0].At.Equal(periodEnd) {
		t.Errorf("enqueued %+v, want the line's task at the period end", got)
	}
	// The unmarked free seat goes first.
	c.assign("u5")
	if got := c.holders(); got != "u1 u2 u3 u4 u5 -" {
		t.Errorf("holders = %q, want u5 in the older, unmarked seat", got)
	}
	// A deeper reduction marks more: the free seat, then the most recently seated.
	c.scheduled(6, &three, nil, c.at())
	if got := c.marked(); got != "u4 u5 -" {
		t.Errorf("marked = %q, want u4 u5 and the free seat", got)
	}
	// The same schedule restated changes nothing and reports nothing.
	c.scheduled(6, &three, nil, c.at())
	want := []string{"seat.pool_updated 6", "seat.assigned u5", "seat.pool_updated 6"}
	if got := c.events(&seen); !slices.Equal(got, want) {
		t.Errorf("events = %q\nwant %q", got, want)
	}
	c.checkInvariants()

	// Nothing is due before the date.
	if n := c.applyDue(c.engine, periodEnd.Add(-time.Second)); n != 0 {
		t.Fatalf("applied %d schedules before their date", n)
	}
	if got := c.holders(); got != "u1 u2 u3 u4 u5 -" {
		t.Errorf("before the date: holders = %q", got)
	}
	if n := c.applyDue(c.engine, periodEnd); n != 1 {
		t.Fatalf("applied %d schedules at their date, want 1", n)
	}
	if got := c.holders(); got != "u1 u2 u3" {
		t.Errorf("after the date: holders = %q, want u1 u2 u3", got)
	}
	want = []string{"seat.pool_updated 3", "seat.revoked u5 quantity_decreased", "seat.revoked u4 quantity_decreased"}
	if got := c.events(&seen); !slices.Equal(got, want) {
		t.Errorf("events = %q\nwant %q", got, want)
	}
	// Applied once: nothing is due any more, however often asked.
	if n := c.applyDue(c.engine, periodEnd.Add(time.Hour)); n != 0 {
		t.Errorf("applied %d more", n)
	}
	err := c.inTx(func(ctx context.Context, tx *storage.Tx) error {
		done, err := c.engine.ApplyDue(ctx, tx, storage.Due{Kind: storage.DueLine, ID: c.lineID(), At: periodEnd}, periodEnd)
		if done {
			t.Error("the task applied the schedule a second time")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.marked(); got != "" {
		t.Errorf("marks left after the date: %q", got)
	}
	// Stamped with the schedule's date: an event older than it is stale,
	// a newer one wins.
	c.scheduled(6, nil, nil, periodEnd.Add(-time.Minute))
	if got := c.holders(); got != "u1 u2 u3" {
		t.Errorf("an event older than the applied schedule changed the lines: holders = %q", got)
	}
	if !c.scheduled(4, nil, nil, periodEnd.Add(time.Minute)) || c.holders() != "u1 u2 u3 -" {
		t.Errorf("a newer event: holders = %q", c.holders())
	}
	c.checkInvariants()
}

func (c *engineCase) lineID() string {
	c.t.Helper()
	o, err := c.db.OrderByExternalID(context.Background(), "sub_1")
	if err != nil || len(o.Lines) != 1 {
		c.t.Fatalf("order sub_1: %v", err)
	}
	return o.Lines[0].ID
}

// Two workers race for a due schedule, each with the due task and the
// sweep: it applies once, with one seat.pool_updated and one revocation
// per retired holder.
func TestScheduleAppliedOnceByTwoWorkers(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.order(4, "active")
	for _, u := range []string{"u1", "u2", "u3", "u4"} {
		c.user(u, "")
		c.assign(u)
	}
	two := 2
	c.scheduled(4, &two, nil, c.at())
	var seen int64
	c.events(&seen)
	due := storage.Due{Kind: storage.DueLine, ID: c.lineID(), At: periodEnd}
	engines := []*Engine{New(), New()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied := 0
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := engines[i%2]
			var n int
			var err error
			if i < 2 { // the task
				err = c.db.InTx(context.Background(), func(tx *storage.Tx) error {
					done, err := e.ApplyDue(context.Background(), tx, due, periodEnd)
					if done {
						n = 1
					}
					return err
				})
			} else { // the sweep
				n, err = e.ApplyDueSchedules(context.Background(), c.db, periodEnd, 10)
			}
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			applied += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if applied != 1 {
		t.Errorf("applied %d times, want once", applied)
	}
	want := []string{"seat.pool_updated 2", "seat.revoked u4 quantity_decreased", "seat.revoked u3 quantity_decreased"}
	if got := c.events(&seen); !slices.Equal(got, want) {
		t.Errorf("events = %q\nwant %q", got, want)
	}
	c.checkInvariants()
}

// A worker that stops after the commit loses the task (or Redis loses it):
// after the restart the sweep applies the schedule, once.
func TestScheduleAppliedBySweepAfterRestart(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	lost := &recordingQueue{}
	c.engine.UseScheduleQueue(lost)
	c.order(3, "active")
	c.user("u1", "")
	c.assign("u1")
	one := 1
	cancelAt := periodEnd.Add(24 * time.Hour)
	c.scheduled(3, &one, &cancelAt, c.at())
	if got := lost.taken(); len(got) != 2 {
		t.Fatalf("enqueued %d tasks, want the line's and the order's", len(got))
	}
	// Until cancel_at, every seat counts as pending removal (no row marked
	// for the cancel: only the schedule's two).
	seats, err := c.db.OrderSeats(context.Background(), "sub_1", storage.SeatFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range seats {
		if !s.CancelPending {
			t.Errorf("seat %s of an order with cancel_at is not pending removal", s.ID)
		}
	}
	if got := c.marked(); got != "- -" {
		t.Errorf("marked = %q, want the two free seats", got)
	}
	restarted := New() // no queue: the tasks are gone
	if n := c.applyDue(restarted, periodEnd); n != 1 {
		t.Fatalf("the sweep applied %d, want the line's schedule", n)
	}
	if got := c.holders(); got != "u1" {
		t.Errorf("holders = %q", got)
	}
	var seen int64
	c.events(&seen)
	if n := c.applyDue(restarted, cancelAt); n != 1 {
		t.Fatalf("the sweep applied %d, want the order's cancel_at", n)
	}
	if got := c.events(&seen); !slices.Equal(got, []string{"seat.revoked u1 order_canceled"}) {
		t.Errorf("events = %q", got)
	}
	o, err := c.db.OrderByExternalID(context.Background(), "sub_1")
	if err != nil || o.Status != storage.OrderCanceled {
		t.Errorf("order = %s %v, want canceled", o.Status, err)
	}
	if n := c.applyDue(restarted, cancelAt.Add(time.Hour)); n != 0 {
		t.Errorf("applied %d more", n)
	}
	c.checkInvariants()
}

// A provider event before the date wins by the usual staleness: a new
// quantity and schedule replace the old; the old schedule's task then finds
// nothing to do.
func TestScheduleOvertakenByProviderEvent(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.order(5, "active")
	for _, u := range []string{"u1", "u2", "u3"} {
		c.user(u, "")
		c.assign(u)
	}
	two, four := 2, 4
	c.scheduled(5, &two, nil, c.at())
	if got := c.marked(); got != "u3 - -" {
		t.Fatalf("marked = %q", got)
	}
	old := storage.Due{Kind: storage.DueLine, ID: c.lineID(), At: periodEnd}
	// The provider lowers the quantity now and schedules a smaller cut.
	c.scheduled(4, &four, nil, c.at())
	if got := c.holders(); got != "u1 u2 u3 -" {
		t.Errorf("holders = %q, want a marked free seat retired", got)
	}
	if got := c.marked(); got != "" {
		t.Errorf("marked = %q, want none: 4 of 4 stay", got)
	}
	c.checkInvariants()
	// The provider's newer state: no schedule at all. The old task does nothing.
	c.scheduled(4, nil, nil, c.at())
	err := c.inTx(func(ctx context.Context, tx *storage.Tx) error {
		done, err := c.engine.ApplyDue(ctx, tx, old, periodEnd)
		if done {
			t.Error("a replaced schedule was applied")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.holders(); got != "u1 u2 u3 -" {
		t.Errorf("holders = %q", got)
	}
	c.checkInvariants()
}

// A later event without the schedule cancels it: the marks go, through
// the index, seat.pool_updated says so, and the date passes without change.
func TestScheduleCancelledClearsMarks(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.order(4, "active")
	for _, u := range []string{"u1", "u2"} {
		c.user(u, "")
		c.assign(u)
	}
	one := 1
	c.scheduled(4, &one, nil, c.at())
	if got := c.marked(); got != "u2 - -" {
		t.Fatalf("marked = %q", got)
	}
	var seen int64
	c.events(&seen)
	c.scheduled(4, nil, nil, c.at())
	if got := c.marked(); got != "" {
		t.Errorf("marked = %q after the schedule was cancelled", got)
	}
	msgs, err := c.db.OutboxMessages(context.Background(), seen, 10)
	if err != nil || len(msgs) != 1 || msgs[0].EventType != "seat.pool_updated" {
		t.Fatalf("events after the cancel: %d %v, want one seat.pool_updated", len(msgs), err)
	}
	var body struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(msgs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if _, ok := body.Data["scheduled_quantity"]; ok || body.Data["pending_removals"] != 0.0 {
		t.Errorf("seat.pool_updated after the cancel = %v, want no schedule and no pending removals", body.Data)
	}
	if n := c.applyDue(c.engine, periodEnd); n != 0 {
		t.Errorf("applied %d cancelled schedules", n)
	}
	if got := c.holders(); got != "u1 u2 - -" {
		t.Errorf("holders = %q", got)
	}
	c.checkInvariants()
}

// An admin moves the marks to other seats of the line, within the count.
func TestMovePendingRemovals(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.order(3, "active")
	for _, u := range []string{"u1", "u2", "u3"} {
		c.user(u, "")
		c.assign(u)
	}
	move := func(ids ...string) error {
		return c.inTx(func(ctx context.Context, tx *storage.Tx) error {
			_, err := c.engine.MovePendingRemovals(ctx, tx, "sub_1", "pro", ids)
			return err
		})
	}
	seats := c.seatIDs() // u1 u2 u3
	if err := move(seats[0]); !errors.Is(err, ErrNoSchedule) {
		t.Errorf("move without a schedule: %v", err)
	}
	one := 1
	c.scheduled(3, &one, nil, c.at())
	if got := c.marked(); got != "u2 u3" {
		t.Fatalf("marked = %q", got)
	}
	for _, tc := range []struct {
		ids  []string
		want error
	}{
		{[]string{seats[0]}, ErrMarkCount},
		{[]string{seats[0], "00000000-0000-0000-0000-000000000000"}, ErrSeatNotOnLine},
		{[]string{seats[0], seats[0]}, ErrDuplicateSeat},
	} {
		if err := move(tc.ids...); !errors.Is(err, tc.want) {
			t.Errorf("move %v: %v, want %v", tc.ids, err, tc.want)
		}
	}
	if err := move(seats[0], seats[2]); err != nil {
		t.Fatal(err)
	}
	if got := c.marked(); got != "u1 u3" {
		t.Errorf("marked = %q, want u1 u3", got)
	}
	c.checkInvariants()
	c.applyDue(c.engine, periodEnd)
	if got := c.holders(); got != "u2" {
		t.Errorf("holders = %q, want u2 kept", got)
	}
	c.checkInvariants()
}

// A reduction applied at its date queues the automatically seated users it
// displaced, and reports the product exhausted as any smaller order does.
func TestScheduleAppliedReportsDemand(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	var seen int64
	c.do("map every active user", func(ctx context.Context, tx *storage.Tx) error {
		return c.engine.SetAutoAssign(ctx, tx, "acme", "pro", "")
	})
	one := 1
	c.scheduled(3, &one, nil, c.at())
	for _, u := range []string{"u1", "u2", "u3"} {
		c.user(u, "")
	}
	c.events(&seen)
	if n := c.applyDue(c.engine, periodEnd); n != 1 {
		t.Fatalf("applied %d due changes, want 1", n)
	}
	got := c.events(&seen)
	if !slices.Contains(got, "seat.pool_exhausted waiting 1") {
		t.Errorf("events = %q, want a seat.pool_exhausted for the users displaced", got)
	}
	c.checkInvariants()
}
