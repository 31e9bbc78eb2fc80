package webhooks

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func paddleFixture(t testing.TB, eventType string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "paddle", eventType+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodePaddleFixtures(t *testing.T) {
	t.Parallel()
	const (
		sub      = "sub_01hv8x29kz0t586xy6zn1a62ny"
		customer = "ctm_01hv6y1jedq4p1n0yqn5ba3ky4"
		seats    = "pro_01htz88xpr0mm7b3ta2pjkr7w2"
		support  = "pro_01hv8r2xvdsg4kqhnv1e2kx3jj"
	)
	ref := ProviderRef{Provider: "paddle", ID: customer}
	// The period ends when the next bill is due; paused and canceled
	// subscriptions have no current period.
	periodEnd := time.Date(2024, 5, 12, 10, 18, 47, 293711000, time.UTC)
	order := func(status string, lines ...OrderLine) OrderUpserted {
		return OrderUpserted{ExternalID: sub, Customer: ref, Status: status, Lines: lines, CurrentPeriodEnd: &periodEnd}
	}
	noPeriod := func(o OrderUpserted) OrderUpserted { o.CurrentPeriodEnd = nil; return o }
	// scheduled_change cancel: CancelAt is its effective_at.
	canceling := func(o OrderUpserted) OrderUpserted { o.CancelAt = &periodEnd; return o }
	tests := []struct {
		name string // the fixture, which is named after its event type
		at   time.Time
		want any
	}{
		{name: "customer.created", at: time.Date(2024, 4, 11, 15, 57, 24, 813867000, time.UTC),
			want: CustomerUpserted{ExternalID: "acme", Name: "Sam Miller", Email: "sam@acme.test", ProviderIDs: map[string]string{"paddle": customer}}},
		{name: "customer.updated", at: time.Date(2024, 4, 12, 10, 5, 1, 102934000, time.UTC),
			want: CustomerUpserted{Email: "billing@acme.test", ProviderIDs: map[string]string{"paddle": customer}}},
		{name: "subscription.created", at: time.Date(2024, 4, 12, 10, 18, 49, 621022000, time.UTC),
			want: order("active", OrderLine{ProductID: seats, Quantity: 10})},
		{name: "subscription.updated", at: time.Date(2024, 4, 20, 8, 0, 0, 417511000, time.UTC),
			want: canceling(order("active", OrderLine{ProductID: seats, Quantity: 8}, OrderLine{ProductID: support, Quantity: 1}))},
		{name: "subscription.activated", at: time.Date(2024, 4, 26, 10, 18, 52, 3017000, time.UTC),
			want: order("active", OrderLine{ProductID: seats, Quantity: 3})},
		{name: "subscription.past_due", at: time.Date(2024, 5, 12, 10, 24, 13, 884202000, time.UTC),
			want: order("active", OrderLine{ProductID: seats, Quantity: 10})},
		// Paused, with a resume scheduled: no cancellation, no period.
		{name: "subscription.paused", at: time.Date(2024, 5, 12, 10, 30, 2, 550164000, time.UTC),
			want: noPeriod(order("active", OrderLine{ProductID: seats, Quantity: 10}))},
		{name: "subscription.resumed", at: time.Date(2024, 6, 12, 0, 0, 3, 774418000, time.UTC),
			want: order("active", OrderLine{ProductID: seats, Quantity: 10})},
		{name: "subscription.canceled", at: time.Date(2024, 5, 12, 10, 18, 51, 266315000, time.UTC),
			want: noPeriod(order("canceled", OrderLine{ProductID: seats, Quantity: 10}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodePaddle(paddleFixture(t, tt.name))
			want := Envelope{Type: tt.name, Timestamp: tt.at, Command: tt.want}
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("decodePaddle() = %+v, %v\nwant %+v", got, err, want)
			}
		})
	}
}

func TestDecodePaddleStatus(t *testing.T) {
	t.Parallel()
	body := string(paddleFixture(t, "subscription.updated"))
	tests := []struct{ name, eventType, status, want string }{
		{name: "updated to canceled", eventType: "subscription.updated", status: "canceled", want: "canceled"},
		{name: "canceled event is canceled whatever the status", eventType: "subscription.canceled", status: "active", want: "canceled"},
		{name: "trialing", eventType: "subscription.updated", status: "trialing", want: "active"},
		{name: "unknown status stays active", eventType: "subscription.updated", status: "frozen", want: "active"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := strings.Replace(body, `"event_type": "subscription.updated"`, `"event_type": "`+tt.eventType+`"`, 1)
			b = strings.Replace(b, `"status": "active",`+"\n    \"customer_id\"", `"status": "`+tt.status+`",`+"\n    \"customer_id\"", 1)
			env, err := decodePaddle([]byte(b))
			if err != nil || env.Command.(OrderUpserted).Status != tt.want {
				t.Fatalf("decodePaddle() = %+v, %v; want status %s", env, err, tt.want)
			}
		})
	}
}

func TestDecodePaddleInvalid(t *testing.T) {
	t.Parallel()
	sub := string(paddleFixture(t, "subscription.created"))
	cust := string(paddleFixture(t, "customer.created"))
	tests := []struct {
		name, body, old, new string
		want                 string // error substring
	}{
		{name: "negative quantity", body: sub, old: `"quantity": 10`, new: `"quantity": -1`, want: "data.items[0].quantity: must be >= 0"},
		{name: "huge quantity", body: sub, old: `"quantity": 10`, new: `"quantity": 1000001`, want: "data.items[0].quantity: must be <= 1000000"},
		{name: "fractional quantity", body: sub, old: `"quantity": 10`, new: `"quantity": 1.5`, want: "data.items[0].quantity must be an integer from 0 to 1000000, not a number"},
		{name: "missing quantity", body: sub, old: `"quantity": 10`, new: `"qty": 10`, want: "data.items[0].quantity is required"},
		{name: "missing price", body: sub, old: `"price": {`, new: `"old_price": {`, want: "data.items[0].price is required"},
		{name: "missing product", body: sub, old: `"product_id": "pro_01htz88xpr0mm7b3ta2pjkr7w2"`, new: `"product_id": ""`, want: "data.items[0].price.product_id is required"},
		{name: "missing items", body: sub, old: `"items": [`, new: `"old_items": [`, want: "data.items is required"},
		{name: "missing customer", body: sub, old: `"customer_id": "ctm_01hv6y1jedq4p1n0yqn5ba3ky4"`, new: `"customer_id": null`, want: "data.customer_id is required"},
		{name: "id with whitespace", body: sub, old: `"id": "sub_01hv8x29kz0t586xy6zn1a62ny"`, new: `"id": " sub_1"`, want: "data.id"},
		{name: "data not an object", body: sub, old: `"data": {`, new: `"data": [], "x": {`, want: "data must be a JSON object"},
		{name: "null data", body: `{"event_id":"evt_1","event_type":"customer.created","occurred_at":"2024-01-01T00:00:00Z","data":null}`, want: "data must be a JSON object"},
		{name: "seatsync_customer not a string", body: cust, old: `"seatsync_customer": "acme"`, new: `"seatsync_customer": 42`, want: "seatsync_customer must be a string"},
		{name: "seatsync_customer with whitespace", body: cust, old: `"seatsync_customer": "acme"`, new: `"seatsync_customer": "acme "`, want: "seatsync_customer"},
		{name: "bad email", body: cust, old: `"sam@acme.test"`, new: `"sam"`, want: "data.email"},
		{name: "control character in name", body: cust, old: `"Sam Miller"`, new: `"Sam\u0007"`, want: "data.name"},
		{name: "custom_data not an object", body: cust, old: `"custom_data": {`, new: `"custom_data": "x", "y": {`, want: "data.custom_data must be a JSON object, not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := tt.body
			if tt.old != "" {
				if !strings.Contains(body, tt.old) {
					t.Fatalf("fixture lacks %q", tt.old)
				}
				body = strings.Replace(body, tt.old, tt.new, 1)
			}
			env, err := decodePaddle([]byte(body))
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) || env.Command != nil {
				t.Fatalf("decodePaddle() = %+v, %v; want ErrMalformed saying %q", env, err, tt.want)
			}
		})
	}
	t.Run("unknown type", func(t *testing.T) {
		t.Parallel()
		env, err := decodePaddle([]byte(paddleVectorBody))
		if !errors.Is(err, ErrUnknownType) || errors.Is(err, ErrMalformed) || env.Type != "price.created" || env.Command != nil {
			t.Fatalf("decodePaddle(price.created) = %+v, %v; want ErrUnknownType with the type", env, err)
		}
	})
}
