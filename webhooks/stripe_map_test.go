package webhooks

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeStripeFixtures(t *testing.T) {
	t.Parallel()
	const cus, sub = "cus_RqA1b2C3d4E5f6", "sub_1QxSub0a1b2c3d4e5f6g7h"
	stripeCus := ProviderRef{Provider: "stripe", ID: cus}
	unix := func(sec int64) *time.Time { t := time.Unix(sec, 0).UTC(); return &t }
	seatsPrice := ProviderPrice{ID: "price_1QxSeatsMonthly", ProductID: "prod_RqSeats"}
	phase2 := time.Unix(1745488720, 0).UTC()
	tests := []struct {
		name string // the fixture, which is the event type
		unix int64
		want any
	}{
		{name: "customer.created", unix: 1741600000, want: CustomerUpserted{
			Name: "Acme Corp", Email: "billing@acme.example", ProviderIDs: map[string]string{"stripe": cus}}},
		{name: "customer.updated", unix: 1741600360, want: CustomerUpserted{ExternalID: "acme",
			Name: "Acme Corporation", Email: "finance@acme.example", ProviderIDs: map[string]string{"stripe": cus}}},
		// Two prices of one product are summed; the metered item is no seat.
		// The period end is the items' (API 2025-03-31.basil); every price is
		// recorded, the metered one flagged.
		{name: "customer.subscription.created", unix: 1741600720, want: OrderUpserted{ExternalID: sub,
			Customer: stripeCus, Status: "active", Lines: []OrderLine{{ProductID: "prod_RqSeats", Quantity: 8}},
			CurrentPeriodEnd: unix(1742810320), KeepSchedules: true, Prices: []ProviderPrice{seatsPrice,
				{ID: "price_1QxSeatsPromo", ProductID: "prod_RqSeats"}, {ID: "price_1QxApiCalls", ProductID: "prod_RqApiCalls", Metered: true}}}},
		// Expanded customer and product; cancel_at_period_end is still active,
		// canceling at the period end.
		{name: "customer.subscription.updated", unix: 1742810400, want: OrderUpserted{ExternalID: sub,
			Customer: stripeCus, Status: "active", Lines: []OrderLine{{ProductID: "prod_RqSeats", Quantity: 12}, {ProductID: "prod_RqAdmins", Quantity: 2}},
			CancelAt: unix(1745488720), CurrentPeriodEnd: unix(1745488720), KeepSchedules: true,
			Prices: []ProviderPrice{seatsPrice, {ID: "price_1QxAdminsMonthly", ProductID: "prod_RqAdmins"}}}},
		// No period end in the payload: cancel_at_period_end falls back to cancel_at.
		{name: "customer.subscription.deleted", unix: 1745488725, want: OrderUpserted{ExternalID: sub,
			Customer: stripeCus, Status: "canceled", Lines: []OrderLine{{ProductID: "prod_RqSeats", Quantity: 12}},
			CancelAt: unix(1745488720), KeepSchedules: true, Prices: []ProviderPrice{seatsPrice}}},
		// The next phase keeps 8 seats and drops the admins' price.
		{name: "subscription_schedule.created", unix: 1742900000, want: OrderScheduleChanged{OrderExternalID: sub, Customer: stripeCus,
			Changes: []ScheduleChange{{PriceID: "price_1QxSeatsMonthly", Quantity: 8, At: phase2}, {PriceID: "price_1QxAdminsMonthly", Quantity: 0, At: phase2}}}},
		// An expanded price names its product; a metered one is no seat.
		{name: "subscription_schedule.updated", unix: 1743000000, want: OrderScheduleChanged{OrderExternalID: sub, Customer: stripeCus,
			Changes: []ScheduleChange{{ProductID: "prod_RqSeats", PriceID: "price_1QxSeatsMonthly", Quantity: 10, At: phase2},
				{PriceID: "price_1QxAdminsMonthly", Quantity: 1, At: phase2}}}},
		// Released: the order is released_subscription; nothing is scheduled any more.
		{name: "subscription_schedule.released", unix: 1743100000, want: OrderScheduleChanged{OrderExternalID: sub, Customer: stripeCus, Changes: []ScheduleChange{}}},
		{name: "subscription_schedule.canceled", unix: 1743200000, want: OrderScheduleChanged{OrderExternalID: sub, Customer: stripeCus, Changes: []ScheduleChange{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeStripe(readStripeFixture(t, tt.name))
			want := Envelope{Type: tt.name, Timestamp: time.Unix(tt.unix, 0).UTC(), Command: tt.want}
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("decodeStripe() = %#v, %v\nwant %#v", got, err, want)
			}
		})
	}
}

// stripeEventJSON wraps a data.object in an event envelope.
func stripeEventJSON(eventType, object string) []byte {
	return []byte(`{"id":"evt_t","object":"event","created":1741600000,"type":"` + eventType +
		`","livemode":false,"data":{"object":` + object + `}}`)
}

// stripeSubJSON is a subscription object with the given status, customer
// and items.data, as raw JSON.
func stripeSubJSON(status, customer, items string) string {
	return `{"id":"sub_1","object":"subscription","cancel_at_period_end":false,"status":"` + status +
		`","customer":` + customer + `,"items":{"object":"list","has_more":false,"data":[` + items + `]}}`
}

const stripeLicensed = `"recurring":{"interval":"month","usage_type":"licensed"}`

func TestDecodeStripeSubscription(t *testing.T) {
	t.Parallel()
	item := func(product, quantity string) string {
		return `{"id":"si_1","price":{"product":` + product + `,` + stripeLicensed + `},"quantity":` + quantity + `}`
	}
	seats := item(`"prod_A"`, "3")
	tests := []struct {
		name, eventType, status, customer, items string
		wantStatus                               string
		wantLines                                []OrderLine
		wantErr                                  string
	}{
		{name: "active", status: "active", items: seats, wantStatus: "active", wantLines: []OrderLine{{ProductID: "prod_A", Quantity: 3}}},
		{name: "licensed without quantity means 1", status: "active", wantStatus: "active", wantLines: []OrderLine{{ProductID: "prod_A", Quantity: 1}},
			items: `{"price":{"product":"prod_A",` + stripeLicensed + `}}`},
		{name: "price without recurring and null quantity means 1", status: "active", wantStatus: "active",
			items: `{"price":{"product":"prod_A"},"quantity":null}`, wantLines: []OrderLine{{ProductID: "prod_A", Quantity: 1}}},
		{name: "metered item skipped", status: "active", wantStatus: "active", wantLines: []OrderLine{},
			items: `{"price":{"product":"prod_M","recurring":{"usage_type":"metered"}}}`},
		{name: "no items", status: "active", wantStatus: "active", wantLines: []OrderLine{}},
		{name: "zero quantity kept", status: "active", items: item(`"prod_A"`, "0"), wantStatus: "active", wantLines: []OrderLine{{ProductID: "prod_A", Quantity: 0}}},
		{name: "expanded product and customer", status: "trialing", customer: `{"id":"cus_9","object":"customer","deleted":true}`,
			items: item(`{"id":"prod_A","object":"product","name":"Seats"}`, "2"), wantStatus: "active", wantLines: []OrderLine{{ProductID: "prod_A", Quantity: 2}}},
		{name: "past_due is active", status: "past_due", items: seats, wantStatus: "active", wantLines: []OrderLine{{ProductID: "prod_A", Quantity: 3}}},
		{name: "unpaid is active", status: "unpaid", items: seats, wantStatus: "active", wantLines: []OrderLine{{ProductID: "prod_A", Quantity: 3}}},
		{name: "canceled status", status: "canceled", items: seats, wantStatus: "canceled", wantLines: []OrderLine{{ProductID: "prod_A", Quantity: 3}}},
		{name: "incomplete_expired", status: "incomplete_expired", items: seats, wantStatus: "canceled", wantLines: []OrderLine{{ProductID: "prod_A", Quantity: 3}}},
		{name: "deleted event cancels", eventType: "customer.subscription.deleted", status: "active", items: seats,
			wantStatus: "canceled", wantLines: []OrderLine{{ProductID: "prod_A", Quantity: 3}}},
		{name: "sum reaches the limit", status: "active", items: item(`"prod_A"`, "999999") + "," + item(`"prod_A"`, "1"),
			wantStatus: "active", wantLines: []OrderLine{{ProductID: "prod_A", Quantity: MaxQuantity}}},

		{name: "negative quantity", status: "active", items: seats + "," + item(`"prod_B"`, "-1"), wantErr: "items.data[1].quantity -1 must be >= 0"},
		{name: "fractional quantity", status: "active", items: item(`"prod_A"`, "1.5"), wantErr: "items.data[0].quantity 1.5 is not an integer"},
		{name: "quantity as string", status: "active", items: item(`"prod_A"`, `"2"`), wantErr: "is not an integer"},
		{name: "quantity over limit", status: "active", items: item(`"prod_A"`, "1000001"), wantErr: "exceeds the limit"},
		{name: "sum over limit", status: "active", items: item(`"prod_A"`, "999999") + "," + item(`"prod_A"`, "2"), wantErr: "items.data[1]: product \"prod_A\" totals 1000001"},
		{name: "no price", status: "active", items: `{"quantity":1}`, wantErr: "items.data[0].price is required"},
		{name: "no product", status: "active", items: item("null", "1"), wantErr: "items.data[0].price.product is required"},
		{name: "product without id", status: "active", items: item(`{"object":"product"}`, "1"), wantErr: "price.product.id is required"},
		{name: "product id padded", status: "active", items: item(`" prod_A"`, "1"), wantErr: "surrounding whitespace"},
		{name: "customer missing", status: "active", customer: "null", wantErr: "data.object.customer is required"},
		{name: "customer a number", status: "active", customer: "42", wantErr: "customer must be an id or an object with an id"},
		{name: "customer object without id", status: "active", customer: `{"object":"customer"}`, wantErr: "customer.id is required"},
		{name: "undocumented status", status: "frozen", wantErr: `data.object.status "frozen" is not one of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eventType, customer := tt.eventType, tt.customer
			if eventType == "" {
				eventType = "customer.subscription.updated"
			}
			if customer == "" {
				customer = `"cus_1"`
			}
			got, err := decodeStripe(stripeEventJSON(eventType, stripeSubJSON(tt.status, customer, tt.items)))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("decodeStripe() error = %v, want ErrMalformed with %q", err, tt.wantErr)
				}
				return
			}
			wantCus := "cus_1"
			if strings.HasPrefix(customer, "{") {
				wantCus = "cus_9"
			}
			want := OrderUpserted{ExternalID: "sub_1", Customer: ProviderRef{"stripe", wantCus}, Status: tt.wantStatus, Lines: tt.wantLines,
				KeepSchedules: true, Prices: []ProviderPrice{}}
			if err != nil || !reflect.DeepEqual(got.Command, want) {
				t.Fatalf("decodeStripe() = %#v, %v\nwant %#v", got.Command, err, want)
			}
		})
	}
}

func TestDecodeStripeRejects(t *testing.T) {
	t.Parallel()
	sub := stripeSubJSON("active", `"cus_1"`, "")
	tests := []struct {
		name    string
		payload string
		wantErr string
	}{
		{name: "not json", payload: `{"id":`, wantErr: "stripe event"},
		{name: "not an object", payload: `[]`, wantErr: "stripe event"},
		{name: "no id", payload: `{"object":"event","created":1,"type":"customer.created","data":{"object":{}}}`, wantErr: "id is required"},
		{name: "id with space", payload: `{"id":"evt 1","created":1,"type":"x","data":{}}`, wantErr: "outside visible ASCII"},
		{name: "no type", payload: `{"id":"evt_1","created":1,"data":{}}`, wantErr: "type is required"},
		{name: "no created", payload: `{"id":"evt_1","type":"x","data":{}}`, wantErr: "created is required"},
		{name: "created zero", payload: `{"id":"evt_1","created":0,"type":"x"}`, wantErr: "created 0 is not a plausible"},
		{name: "created past year 9999", payload: `{"id":"evt_1","created":253402300800,"type":"x"}`, wantErr: "not a plausible"},
		{name: "created as string", payload: `{"id":"evt_1","created":"1741600000","type":"x"}`, wantErr: `created "1741600000" is not unix seconds`},
		{name: "created as float", payload: `{"id":"evt_1","created":1.7416e9,"type":"x"}`, wantErr: "created 1.7416e9 is not unix seconds"},
		{name: "thin event", payload: `{"id":"evt_1","object":"v2.core.event","created":"2025-03-10T09:46:40.000Z","type":"v1.billing.meter.error_report_triggered"}`, wantErr: "thin events"},
		{name: "data.object an array", payload: string(stripeEventJSON("customer.created", `[]`)), wantErr: "data.object must be a JSON object"},
		{name: "no data", payload: `{"id":"evt_1","created":1,"type":"customer.subscription.created"}`, wantErr: "data.object must be a JSON object"},
		{name: "customer shape in subscription event", payload: string(stripeEventJSON("customer.subscription.created", `{"id":"cus_1","object":"customer"}`)), wantErr: `want "subscription"`},
		{name: "subscription without id", payload: string(stripeEventJSON("customer.subscription.created", strings.Replace(sub, `"id":"sub_1",`, "", 1))), wantErr: "data.object.id is required"},
		{name: "items missing", payload: string(stripeEventJSON("customer.subscription.created", `{"id":"sub_1","status":"active","customer":"cus_1"}`)), wantErr: "items.data is required"},
		{name: "items truncated", payload: string(stripeEventJSON("customer.subscription.created", strings.Replace(sub, `"has_more":false`, `"has_more":true`, 1))), wantErr: "has_more is true"},
		{name: "customer without id", payload: string(stripeEventJSON("customer.updated", `{"object":"customer","name":"A"}`)), wantErr: "data.object.id is required"},
		{name: "customer email", payload: string(stripeEventJSON("customer.updated", `{"id":"cus_1","email":"not-an-address"}`)), wantErr: "data.object.email"},
		{name: "customer name control", payload: string(stripeEventJSON("customer.updated", `{"id":"cus_1","name":"A\u0000"}`)), wantErr: "data.object.name contains control"},
		{name: "seatsync id padded", payload: string(stripeEventJSON("customer.updated", `{"id":"cus_1","metadata":{"seatsync_customer":" acme"}}`)), wantErr: "metadata.seatsync_customer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeStripe([]byte(tt.payload))
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) || !reflect.DeepEqual(got, Envelope{}) {
				t.Fatalf("decodeStripe() = %+v, %v; want ErrMalformed with %q", got, err, tt.wantErr)
			}
		})
	}

	t.Run("unmapped type keeps type and time", func(t *testing.T) {
		t.Parallel()
		got, err := decodeStripe(stripeEventJSON("customer.deleted", `{"id":"cus_1","deleted":true}`))
		want := Envelope{Type: "customer.deleted", Timestamp: time.Unix(1741600000, 0).UTC()}
		if !errors.Is(err, ErrUnknownType) || errors.Is(err, ErrMalformed) || !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeStripe() = %+v, %v; want %+v, ErrUnknownType", got, err, want)
		}
	})
}

// TestDecodeStripeThroughRegistry proves kinds.go reaches this decoder.
func TestDecodeStripeThroughRegistry(t *testing.T) {
	t.Parallel()
	env, err := Decode("stripe", "billing", readStripeFixture(t, "customer.subscription.deleted"))
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := env.Command.(OrderUpserted); !ok || o.Status != "canceled" {
		t.Fatalf("Decode() = %+v", env)
	}
	if _, err := NewKind("stripe", []string{stripeSecret}, 0); err != nil {
		t.Fatal(err)
	}
}
