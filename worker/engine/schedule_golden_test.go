package engine

import (
	"context"
	"testing"
	"time"
)

// TestSchedulePayloadsGolden freezes seat.pool_updated with a schedule and
// a cancel_at (seat.pool_updated.scheduled.json), and as the schedule
// applies (seat.pool_updated.schedule_applied.json).
func TestSchedulePayloadsGolden(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.engine.now = func() time.Time { return time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC) }
	c.order(3, "active")
	var seen int64
	c.events(&seen)
	two := 2
	cancelAt := periodEnd.Add(24 * time.Hour)
	c.scheduled(3, &two, &cancelAt, c.at())
	c.applyDue(c.engine, periodEnd)
	msgs, err := c.db.OutboxMessages(context.Background(), seen, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("%d events, want the schedule's and its application's seat.pool_updated", len(msgs))
	}
	for i, name := range []string{"seat.pool_updated.scheduled", "seat.pool_updated.schedule_applied"} {
		checkGolden(t, name, msgs[i].Body)
	}
}
