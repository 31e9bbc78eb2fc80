package webhooks

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDecodeStripePeriod: the period end from the subscription (API
// versions before 2025-03-31.basil) or the earliest item; CancelAt from
// cancel_at_period_end or cancel_at.
func TestDecodeStripePeriod(t *testing.T) {
	t.Parallel()
	unix := func(sec int64) *time.Time { t := time.Unix(sec, 0).UTC(); return &t }
	item := func(end string) string {
		return `{"price":{"id":"price_A","product":"prod_A",` + stripeLicensed + `},"quantity":3,"current_period_end":` + end + `}`
	}
	sub := func(fields, items string) string {
		return `{"id":"sub_1","object":"subscription","status":"active","customer":"cus_1",` + fields +
			`"items":{"object":"list","has_more":false,"data":[` + items + `]}}`
	}
	tests := []struct {
		name, object        string
		cancelAt, periodEnd *time.Time
		wantErr             string
	}{
		{name: "legacy subscription period end", object: sub(`"current_period_end":1745488720,"cancel_at_period_end":true,"cancel_at":1745488720,`, item("null")),
			cancelAt: unix(1745488720), periodEnd: unix(1745488720)},
		{name: "legacy period end wins over the items'", object: sub(`"current_period_end":1745488720,`, item("1745000000")),
			periodEnd: unix(1745488720)},
		{name: "earliest item", object: sub(`"cancel_at_period_end":false,"cancel_at":null,`, item("1745488720")+","+item("1744000000")),
			periodEnd: unix(1744000000)},
		{name: "at period end is the period end, not cancel_at", object: sub(`"cancel_at_period_end":true,"cancel_at":1799999999,`, item("1745488720")),
			cancelAt: unix(1745488720), periodEnd: unix(1745488720)},
		{name: "cancel_at alone", object: sub(`"cancel_at_period_end":false,"cancel_at":1746000000,`, item("1745488720")),
			cancelAt: unix(1746000000), periodEnd: unix(1745488720)},
		{name: "at period end without a period: cancel_at", object: sub(`"cancel_at_period_end":true,"cancel_at":1746000000,`, item("null")),
			cancelAt: unix(1746000000)},
		{name: "none", object: sub(``, item("null"))},

		{name: "cancel_at a string", object: sub(`"cancel_at":"1746000000",`, item("null")), wantErr: "data.object.cancel_at \"1746000000\" is not unix seconds"},
		{name: "period end zero", object: sub(`"current_period_end":0,`, item("null")), wantErr: "current_period_end 0 is not a plausible unix time"},
		{name: "item period end fractional", object: sub(``, item("1.5")), wantErr: "items.data[0].current_period_end 1.5 is not unix seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := decodeStripe(stripeEventJSON("customer.subscription.updated", tt.object))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("decodeStripe() error = %v, want ErrMalformed with %q", err, tt.wantErr)
				}
				return
			}
			o, ok := env.Command.(OrderUpserted)
			if err != nil || !ok || !reflect.DeepEqual(o.CancelAt, tt.cancelAt) || !reflect.DeepEqual(o.CurrentPeriodEnd, tt.periodEnd) || !o.KeepSchedules {
				t.Fatalf("decodeStripe() = %+v, %v; want cancel_at %v, period end %v, KeepSchedules", env.Command, err, tt.cancelAt, tt.periodEnd)
			}
		})
	}
}

// stripeScheduleJSON is a subscription schedule with the given status,
// subscription, current phase and phases, as raw JSON.
func stripeScheduleJSON(status, subscription, current, phases string) string {
	return `{"id":"sub_sched_1","object":"subscription_schedule","customer":"cus_1","status":"` + status +
		`","subscription":` + subscription + `,"released_subscription":null,"current_phase":` + current + `,"phases":[` + phases + `]}`
}

func TestDecodeStripeSchedule(t *testing.T) {
	t.Parallel()
	const cur = `{"start_date":1000000000,"end_date":1100000000}`
	phase := func(start, end int64, items string) string {
		return `{"start_date":` + itoa(start) + `,"end_date":` + itoa(end) + `,"items":[` + items + `]}`
	}
	now := phase(1000000000, 1100000000, `{"price":"price_A","quantity":10},{"price":"price_B","quantity":2}`)
	at := time.Unix(1100000000, 0).UTC()
	tests := []struct {
		name, eventType, status, subscription, current, phases string
		want                                                   []ScheduleChange
		wantErr                                                string
		unknown                                                bool
	}{
		{name: "next phase lowers one price and keeps the other", status: "active", current: cur,
			phases: now + "," + phase(1100000000, 1200000000, `{"price":"price_A","quantity":8},{"price":"price_B","quantity":2}`),
			want:   []ScheduleChange{{PriceID: "price_A", Quantity: 8, At: at}, {PriceID: "price_B", Quantity: 2, At: at}}},
		{name: "the phase after the next is not read; phases out of order", status: "active", current: cur,
			phases: phase(1200000000, 1300000000, `{"price":"price_A","quantity":1}`) + "," + now + "," +
				phase(1100000000, 1200000000, `{"price":"price_A","quantity":6},{"price":"price_B","quantity":2}`),
			want: []ScheduleChange{{PriceID: "price_A", Quantity: 6, At: at}, {PriceID: "price_B", Quantity: 2, At: at}}},
		{name: "a price swapped within the product: the old one goes to 0", status: "active", current: cur,
			phases: now + "," + phase(1100000000, 1200000000, `{"price":{"id":"price_A2","product":"prod_A"},"quantity":7},{"price":"price_B"}`),
			want: []ScheduleChange{{ProductID: "prod_A", PriceID: "price_A2", Quantity: 7, At: at}, {PriceID: "price_B", Quantity: 1, At: at},
				{PriceID: "price_A", Quantity: 0, At: at}}},
		{name: "expanded product object and metered price", status: "active", current: cur,
			phases: now + "," + phase(1100000000, 1200000000, `{"price":{"id":"price_A","product":{"id":"prod_A","object":"product"}},"quantity":4},`+
				`{"price":"price_B","quantity":2},{"price":{"id":"price_M","product":"prod_M","recurring":{"usage_type":"metered"}}}`),
			want: []ScheduleChange{{ProductID: "prod_A", PriceID: "price_A", Quantity: 4, At: at}, {PriceID: "price_B", Quantity: 2, At: at}}},
		{name: "no next phase: end of the schedule", status: "active", current: cur, phases: now, want: []ScheduleChange{}},
		{name: "no current phase", status: "active", current: "null", phases: now, want: []ScheduleChange{}},
		{name: "completed", status: "completed", current: "null", phases: now, want: []ScheduleChange{}},
		{name: "released event whatever the status", eventType: "subscription_schedule.released", status: "active", current: cur,
			phases: now + "," + phase(1100000000, 1200000000, `{"price":"price_A","quantity":1}`), want: []ScheduleChange{}},
		{name: "canceled event", eventType: "subscription_schedule.canceled", status: "canceled", current: "null", phases: now, want: []ScheduleChange{}},
		{name: "expanded subscription", status: "active", subscription: `{"id":"sub_1","object":"subscription"}`, current: cur, phases: now, want: []ScheduleChange{}},

		{name: "not started, no subscription yet", status: "not_started", subscription: "null", current: "null", phases: now, unknown: true},
		{name: "undocumented status", status: "paused", current: cur, phases: now, wantErr: `data.object.status "paused" is not one of`},
		{name: "phase without start", status: "active", current: cur, phases: `{"items":[]}`, wantErr: "phases[0].start_date is required"},
		{name: "item without price", status: "active", current: cur, phases: now + "," + phase(1100000000, 1200000000, `{"quantity":1}`), wantErr: "phases[1].items[0].price is required"},
		{name: "price a number", status: "active", current: cur, phases: now + "," + phase(1100000000, 1200000000, `{"price":7}`), wantErr: "price must be an id or an object"},
		{name: "negative quantity", status: "active", current: cur, phases: now + "," + phase(1100000000, 1200000000, `{"price":"price_A","quantity":-1}`), wantErr: "quantity -1 must be >= 0"},
		{name: "expanded price without product", status: "active", current: cur, phases: now + "," + phase(1100000000, 1200000000, `{"price":{"id":"price_A"}}`), wantErr: "price.product is required"},
		{name: "current phase end a string", status: "active", current: `{"start_date":1000000000,"end_date":"soon"}`, phases: now, wantErr: "current_phase.end_date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eventType, subscription := tt.eventType, tt.subscription
			if eventType == "" {
				eventType = "subscription_schedule.updated"
			}
			if subscription == "" {
				subscription = `"sub_1"`
			}
			env, err := decodeStripe(stripeEventJSON(eventType, stripeScheduleJSON(tt.status, subscription, tt.current, tt.phases)))
			switch {
			case tt.unknown:
				if !errors.Is(err, ErrUnknownType) || errors.Is(err, ErrMalformed) || env.Type != eventType {
					t.Fatalf("decodeStripe() = %+v, %v; want ErrUnknownType", env, err)
				}
				return
			case tt.wantErr != "":
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("decodeStripe() error = %v, want ErrMalformed with %q", err, tt.wantErr)
				}
				return
			}
			want := OrderScheduleChanged{OrderExternalID: "sub_1", Customer: ProviderRef{"stripe", "cus_1"}, Changes: tt.want}
			if err != nil || !reflect.DeepEqual(env.Command, want) {
				t.Fatalf("decodeStripe() = %#v, %v\nwant %#v", env.Command, err, want)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestStripeScheduleReceived: a schedule event signed by stripe-go passes
// the verifier and is recorded (not ignored) under its id and time; one
// without a subscription yet is answered ignored.
func TestStripeScheduleReceived(t *testing.T) {
	t.Parallel()
	s := newTestStripe(t)
	for _, name := range []string{"subscription_schedule.created", "subscription_schedule.updated",
		"subscription_schedule.released", "subscription_schedule.canceled"} {
		body := readStripeFixture(t, name)
		env, err := decodeStripe(body)
		if err != nil {
			t.Fatal(err)
		}
		header, _ := stripeSig(stripeSecret, env.Timestamp, body)
		if err := s.Verify(stripeHeader(header), body, env.Timestamp.Add(time.Minute)); err != nil {
			t.Fatalf("%s: Verify() = %v", name, err)
		}
		events, err := s.Events(nil, body)
		if err != nil || len(events) != 1 || events[0].Ignored || events[0].Type != name || !events[0].OccurredAt.Equal(env.Timestamp) {
			t.Fatalf("%s: Events() = %+v, %v", name, events, err)
		}
	}
	pending := stripeEventJSON("subscription_schedule.created", stripeScheduleJSON("not_started", "null", "null", ""))
	events, err := s.Events(nil, pending)
	if err != nil || len(events) != 1 || !events[0].Ignored {
		t.Fatalf("Events(not started) = %+v, %v; want one ignored event", events, err)
	}
}
