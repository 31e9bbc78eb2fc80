package worker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
)

// providerEvent is a provider fixture (webhooks/testdata) as the worker
// gets it, with its event id and time replaced when given: the same
// documented shapes, delivered in the order a test needs. Each edit is an
// old → new pair that must be in the fixture.
func providerEvent(t *testing.T, kind, fixture, id string, edits ...string) jobs.ApplyEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "webhooks", "testdata", kind, fixture+".json"))
	if err != nil {
		t.Fatal(err)
	}
	body := string(b)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(body, edits[i]) {
			t.Fatalf("%s/%s lacks %q", kind, fixture, edits[i])
		}
		body = strings.Replace(body, edits[i], edits[i+1], 1)
	}
	eventType := fixture
	return jobs.ApplyEvent{Source: "billing", Kind: kind, EventID: id, EventType: eventType, OccurredAt: time.Now(), Payload: []byte(body)}
}

// stripeCreated replaces a Stripe fixture's event time.
func stripeCreated(from, to int64) []string {
	return []string{`"created": ` + strconv.FormatInt(from, 10) + `,`, `"created": ` + strconv.FormatInt(to, 10) + `,`}
}

func mustApply(t *testing.T, h *EventHandler, ev jobs.ApplyEvent, want string) {
	t.Helper()
	outcome, reason, err := h.applyOnce(context.Background(), ev)
	if err != nil || outcome != want {
		t.Fatalf("%s %s: outcome %q (%s), %v; want %q", ev.EventType, ev.EventID, outcome, reason, err, want)
	}
}

func orderOf(t *testing.T, db *storage.DB, id string) (storage.Order, map[string]storage.OrderLine) {
	t.Helper()
	o, err := db.OrderByExternalID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]storage.OrderLine{}
	for _, l := range o.Lines {
		lines[l.ProductID] = l
	}
	return o, lines
}

func unixPtr(sec int64) *time.Time { t := time.Unix(sec, 0).UTC(); return &t }

func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// scheduled reports a line's schedule as "q@unix", or "none".
func scheduled(l storage.OrderLine) string {
	if l.ScheduledQuantity == nil || l.ScheduledAt == nil {
		return "none"
	}
	return strconv.Itoa(*l.ScheduledQuantity) + "@" + strconv.FormatInt(l.ScheduledAt.Unix(), 10)
}

const stripeSub = "sub_1QxSub0a1b2c3d4e5f6g7h"

// TestStripeCancelAtOutOfOrder: an older subscription event applied after a
// newer one is stale and leaves cancel_at and the period end as the newer
// said; a newer one without a cancellation clears it.
func TestStripeCancelAtOutOfOrder(t *testing.T) {
	t.Parallel()
	h, db := newHandler(t)
	// Newer first: cancel at the period end (1745488720).
	mustApply(t, h, providerEvent(t, "stripe", "customer.subscription.updated", "evt_upd"), storage.InboxApplied)
	// Then the older creation, which had no cancellation.
	mustApply(t, h, providerEvent(t, "stripe", "customer.subscription.created", "evt_new"), storage.InboxStale)
	o, lines := orderOf(t, db, stripeSub)
	if !sameInstant(o.CancelAt, unixPtr(1745488720)) || !sameInstant(o.CurrentPeriodEnd, unixPtr(1745488720)) || lines["prod_RqSeats"].Quantity != 12 {
		t.Fatalf("order cancel_at %v, period end %v, lines %+v; want the newer event's", o.CancelAt, o.CurrentPeriodEnd, lines)
	}
	// Reactivated (cancel_at_period_end false, cancel_at null), later still.
	mustApply(t, h, providerEvent(t, "stripe", "customer.subscription.updated", "evt_react",
		append(stripeCreated(1742810400, 1742810500), `"cancel_at": 1745488720,`, `"cancel_at": null,`,
			`"cancel_at_period_end": true`, `"cancel_at_period_end": false`)...), storage.InboxApplied)
	if o, _ := orderOf(t, db, stripeSub); o.CancelAt != nil || !sameInstant(o.CurrentPeriodEnd, unixPtr(1745488720)) {
		t.Fatalf("after reactivation cancel_at %v, period end %v; want none and the period end", o.CancelAt, o.CurrentPeriodEnd)
	}
}

// TestStripeSchedules: subscription_schedule events set the lines'
// schedules, their phase prices resolved to the lines through the prices
// the subscription events recorded; a subscription update does not clear
// them; an older schedule event is stale; release clears them.
func TestStripeSchedules(t *testing.T) {
	t.Parallel()
	h, db := newHandler(t)
	const phase2 = 1745488720
	at := func(q int) string { return strconv.Itoa(q) + "@" + strconv.Itoa(phase2) }
	check := func(step, seats, admins string) {
		t.Helper()
		_, lines := orderOf(t, db, stripeSub)
		if got := scheduled(lines["prod_RqSeats"]); got != seats {
			t.Errorf("%s: seats scheduled %s, want %s", step, got, seats)
		}
		if got := scheduled(lines["prod_RqAdmins"]); got != admins {
			t.Errorf("%s: admins scheduled %s, want %s", step, got, admins)
		}
	}

	// A schedule of an order no event made yet is retried.
	early := providerEvent(t, "stripe", "subscription_schedule.created", "evt_sched_early")
	if _, _, err := h.applyOnce(context.Background(), early); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("schedule before its subscription: %v, want a retryable ErrNotFound", err)
	}

	// 12 seats and 2 admins; the next phase keeps 8 seats and drops the admins.
	mustApply(t, h, providerEvent(t, "stripe", "customer.subscription.updated", "evt_upd"), storage.InboxApplied)
	mustApply(t, h, early, storage.InboxApplied)
	check("schedule created", at(8), at(0))

	// A later subscription update (no schedule in it) keeps them.
	mustApply(t, h, providerEvent(t, "stripe", "customer.subscription.updated", "evt_upd2", stripeCreated(1742810400, 1742950000)...), storage.InboxApplied)
	check("subscription updated", at(8), at(0))

	// An older schedule event, delivered late, is stale.
	mustApply(t, h, providerEvent(t, "stripe", "subscription_schedule.updated", "evt_sched_old", stripeCreated(1743000000, 1742850000)...), storage.InboxStale)
	check("older schedule", at(8), at(0))

	// The update: 10 seats (expanded price), 1 admin, a metered item skipped.
	mustApply(t, h, providerEvent(t, "stripe", "subscription_schedule.updated", "evt_sched_upd"), storage.InboxApplied)
	check("schedule updated", at(10), at(1))

	// A next phase raising the seats is no reduction: that line has none.
	mustApply(t, h, providerEvent(t, "stripe", "subscription_schedule.updated", "evt_sched_up",
		append(stripeCreated(1743000000, 1743050000), `"quantity": 10`, `"quantity": 15`)...), storage.InboxApplied)
	check("seats raised", "none", at(1))

	mustApply(t, h, providerEvent(t, "stripe", "subscription_schedule.released", "evt_sched_rel"), storage.InboxApplied)
	check("released", "none", "none")
	// The canceled event after the release changes nothing more.
	mustApply(t, h, providerEvent(t, "stripe", "subscription_schedule.canceled", "evt_sched_can"), storage.InboxApplied)
	check("canceled", "none", "none")
	if v, err := db.InvariantViolations(context.Background()); err != nil || len(v) > 0 {
		t.Fatalf("invariants: %v, %v", v, err)
	}
}

// TestStripeScheduleUnknownPrice: a next phase naming a price no
// subscription event recorded cannot be read (its product, and so every
// product's sum, is unknown): the order is left without schedules.
func TestStripeScheduleUnknownPrice(t *testing.T) {
	t.Parallel()
	h, db := newHandler(t)
	mustApply(t, h, providerEvent(t, "stripe", "customer.subscription.updated", "evt_upd"), storage.InboxApplied)
	mustApply(t, h, providerEvent(t, "stripe", "subscription_schedule.created", "evt_sched"), storage.InboxApplied)
	mustApply(t, h, providerEvent(t, "stripe", "subscription_schedule.updated", "evt_sched_annual",
		`"price": "price_1QxAdminsMonthly",
              "quantity": 1,`, `"price": "price_1QxAdminsAnnual",
              "quantity": 1,`), storage.InboxApplied)
	_, lines := orderOf(t, db, stripeSub)
	if s, a := scheduled(lines["prod_RqSeats"]), scheduled(lines["prod_RqAdmins"]); s != "none" || a != "none" {
		t.Fatalf("schedules %s, %s; want none", s, a)
	}
}

// TestPaddleCancelAtOutOfOrder: Paddle's scheduled cancel is cancel_at; an
// older event without it, delivered late, is stale; a scheduled pause is
// no cancellation.
func TestPaddleCancelAtOutOfOrder(t *testing.T) {
	t.Parallel()
	h, db := newHandler(t)
	const sub = "sub_01hv8x29kz0t586xy6zn1a62ny"
	end := time.Date(2024, 5, 12, 10, 18, 47, 293711000, time.UTC)
	mustApply(t, h, providerEvent(t, "paddle", "subscription.updated", "evt_upd"), storage.InboxApplied)
	mustApply(t, h, providerEvent(t, "paddle", "subscription.created", "evt_new"), storage.InboxStale)
	if o, _ := orderOf(t, db, sub); !sameInstant(o.CancelAt, &end) || !sameInstant(o.CurrentPeriodEnd, &end) {
		t.Fatalf("cancel_at %v, period end %v; want both %v", o.CancelAt, o.CurrentPeriodEnd, end)
	}
	mustApply(t, h, providerEvent(t, "paddle", "subscription.updated", "evt_pause",
		`"occurred_at": "2024-04-20T08:00:00.417511Z"`, `"occurred_at": "2024-04-21T08:00:00Z"`,
		`"action": "cancel"`, `"action": "pause"`), storage.InboxApplied)
	if o, _ := orderOf(t, db, sub); o.CancelAt != nil || o.Status != storage.OrderActive {
		t.Fatalf("after a scheduled pause: cancel_at %v, status %s; want none, active", o.CancelAt, o.Status)
	}
}

// TestPolarCancelAtOutOfOrder: Polar's cancel_at_period_end is cancel_at
// at the period end; the older creation delivered late is stale.
func TestPolarCancelAtOutOfOrder(t *testing.T) {
	t.Parallel()
	h, db := newHandler(t)
	end := time.Date(2025, 3, 10, 8, 29, 58, 104000000, time.UTC)
	mustApply(t, h, providerEvent(t, "polar", "subscription.canceled", "evt_can"), storage.InboxApplied)
	mustApply(t, h, providerEvent(t, "polar", "subscription.created", "evt_new"), storage.InboxStale)
	if o, _ := orderOf(t, db, "b6a4b1d4-52b2-4c5c-9e5d-2b7a3f6b9c10"); !sameInstant(o.CancelAt, &end) || !sameInstant(o.CurrentPeriodEnd, &end) || o.Status != storage.OrderActive {
		t.Fatalf("cancel_at %v, period end %v, status %s; want %v, %v, active", o.CancelAt, o.CurrentPeriodEnd, o.Status, end, end)
	}
}
