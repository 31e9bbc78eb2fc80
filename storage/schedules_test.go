package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

// TestOrderSchedules: an order's line settings and schedule round-trip
// through UpsertOrder; KeepSchedules leaves a schedule that SetSchedules
// wrote; SetSchedules orders by its own clock and drops what is no
// reduction.
func TestOrderSchedules(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	end := t0.Add(30 * 24 * time.Hour)
	eight, fifty := 8, 50
	cus := storage.CustomerRef{Provider: "stripe", ProviderID: "cus_1"}
	upsert := func(in storage.OrderInput, at time.Time) {
		t.Helper()
		inTx(t, db, func(tx *storage.Tx) error { _, err := tx.UpsertOrder(ctx, in, at); return err })
	}
	schedule := func(in storage.ScheduleInput, at time.Time) bool {
		t.Helper()
		var applied bool
		inTx(t, db, func(tx *storage.Tx) (err error) { applied, err = tx.SetSchedules(ctx, in, at); return err })
		return applied
	}
	lines := func() map[string]storage.OrderLine {
		t.Helper()
		o, err := db.OrderByExternalID(ctx, "sub_1")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]storage.OrderLine{}
		for _, l := range o.Lines {
			m[l.ProductID] = l
		}
		return m
	}

	err := db.InTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.SetSchedules(ctx, storage.ScheduleInput{OrderExternalID: "sub_1"}, t0)
		return err
	})
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("schedule of an unknown order: %v, want ErrNotFound", err)
	}

	upsert(storage.OrderInput{ExternalID: "sub_1", Customer: cus, Status: storage.OrderActive, CurrentPeriodEnd: &end,
		Lines: []storage.LineInput{
			{ProductID: "pro", Quantity: 10, LineSettings: storage.LineSettings{ScheduledQuantity: &eight, ScheduledAt: &end}},
			{ProductID: "team", Quantity: 5, LineSettings: storage.LineSettings{Elastic: true, MaxQuantity: &fifty, Release: "period_end"}},
		}}, t0)
	got := lines()
	if p := got["pro"]; p.ScheduledQuantity == nil || *p.ScheduledQuantity != 8 || !p.ScheduledAt.Equal(end) || p.Elastic || p.Release != "immediate" {
		t.Errorf("pro = %+v", p)
	}
	if e := got["team"]; !e.Elastic || e.MaxQuantity == nil || *e.MaxQuantity != 50 || e.Release != "period_end" || e.ScheduledAt != nil {
		t.Errorf("team = %+v", e)
	}

	// Stripe-like: the schedule comes on its own; subscription events keep it.
	if !schedule(storage.ScheduleInput{OrderExternalID: "sub_1", Lines: []storage.ScheduledLine{
		{ProductID: "team", Quantity: 3, At: end}, {ProductID: "pro", Quantity: 12, At: end}}}, t0.Add(2*time.Second)) {
		t.Fatal("schedule not applied")
	}
	upsert(storage.OrderInput{ExternalID: "sub_1", Customer: cus, Status: storage.OrderActive, KeepSchedules: true,
		Lines: []storage.LineInput{{ProductID: "pro", Quantity: 10}, {ProductID: "team", Quantity: 5}}}, t0.Add(3*time.Second))
	got = lines()
	if p := got["pro"]; p.ScheduledAt != nil { // 12 is no reduction of 10
		t.Errorf("pro = %+v, want no schedule", p)
	}
	if e := got["team"]; e.ScheduledQuantity == nil || *e.ScheduledQuantity != 3 || e.Elastic {
		t.Errorf("team = %+v, want 3 scheduled, no longer elastic", e)
	}
	if schedule(storage.ScheduleInput{OrderExternalID: "sub_1"}, t0.Add(time.Second)) {
		t.Error("an older schedule event was applied")
	}
	if !schedule(storage.ScheduleInput{OrderExternalID: "sub_1"}, t0.Add(4*time.Second)) || lines()["team"].ScheduledAt != nil {
		t.Error("an empty schedule did not clear the line's")
	}
}
