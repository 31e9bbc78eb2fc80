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

func polarFixture(t testing.TB, eventType string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "polar", eventType+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	polarSub      = "b6a4b1d4-52b2-4c5c-9e5d-2b7a3f6b9c10"
	polarCustomer = "992fae2a-2a17-4b7a-8d9d-e3d6c4a7f3a1"
	polarProduct  = "0e5f2d2a-5c4b-4d77-a49a-0c9f0e6f6b21"
)

func polarOrder(externalCustomer, status string, seats int) OrderUpserted {
	return OrderUpserted{ExternalID: polarSub, CustomerExternalID: externalCustomer,
		Customer: ProviderRef{Provider: "polar", ID: polarCustomer}, Status: status,
		Lines: []OrderLine{{ProductID: polarProduct, Quantity: seats}}}
}

// polarPeriod adds the fixtures' current_period_end, and CancelAt = that
// end when cancel_at_period_end.
func polarPeriod(o OrderUpserted, cancelAtPeriodEnd bool) OrderUpserted {
	end := time.Date(2025, 3, 10, 8, 29, 58, 104000000, time.UTC)
	o.CurrentPeriodEnd = &end
	if cancelAtPeriodEnd {
		o.CancelAt = &end
	}
	return o
}

func TestDecodePolarFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string // the fixture, which is named after its event type
		at   time.Time
		want OrderUpserted
	}{
		{name: "subscription.created", at: time.Date(2025, 2, 10, 8, 30, 1, 412903000, time.UTC), want: polarPeriod(polarOrder("acme", "active", 5), false)},
		{name: "subscription.updated", at: time.Date(2025, 2, 18, 16, 2, 44, 70000000, time.UTC), want: polarPeriod(polarOrder("", "active", 12), false)},
		// Canceled at period end, on a price without seats: still active, one
		// unit, CancelAt the period's end.
		{name: "subscription.canceled", at: time.Date(2025, 2, 20, 9, 15, 0, 500000000, time.UTC), want: polarPeriod(polarOrder("acme", "active", 1), true)},
		{name: "subscription.revoked", at: time.Date(2025, 3, 10, 8, 30, 12, 331000000, time.UTC), want: polarPeriod(polarOrder("acme", "canceled", 12), true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodePolar(polarFixture(t, tt.name))
			want := Envelope{Type: tt.name, Timestamp: tt.at, Command: tt.want}
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("decodePolar() = %+v, %v\nwant %+v", got, err, want)
			}
		})
	}
}

func TestDecodePolarStatus(t *testing.T) {
	t.Parallel()
	body := string(polarFixture(t, "subscription.updated"))
	tests := []struct{ eventType, status, want string }{
		{"subscription.updated", "canceled", "canceled"},
		{"subscription.updated", "unpaid", "canceled"},
		{"subscription.updated", "incomplete_expired", "canceled"},
		{"subscription.updated", "past_due", "active"},
		{"subscription.updated", "incomplete", "active"},
		{"subscription.updated", "trialing", "active"},
		{"subscription.canceled", "active", "active"},
		{"subscription.canceled", "canceled", "canceled"},
		{"subscription.revoked", "past_due", "canceled"},
		{"subscription.created", "something_new", "active"},
	}
	for _, tt := range tests {
		t.Run(tt.eventType+" "+tt.status, func(t *testing.T) {
			t.Parallel()
			b := strings.Replace(body, `"type": "subscription.updated"`, `"type": "`+tt.eventType+`"`, 1)
			b = strings.Replace(b, `"status": "active"`, `"status": "`+tt.status+`"`, 1)
			env, err := decodePolar([]byte(b))
			if err != nil || env.Command.(OrderUpserted).Status != tt.want {
				t.Fatalf("decodePolar() = %+v, %v; want status %s", env, err, tt.want)
			}
		})
	}
}

func TestDecodePolarInvalid(t *testing.T) {
	t.Parallel()
	body := string(polarFixture(t, "subscription.created"))
	tests := []struct {
		name, old, new string
		want           string // error substring
	}{
		{name: "negative seats", old: `"seats": 5`, new: `"seats": -1`, want: "data.seats: must be >= 0"},
		{name: "huge seats", old: `"seats": 5`, new: `"seats": 1000001`, want: "data.seats: must be <= 1000000"},
		{name: "seats as text", old: `"seats": 5`, new: `"seats": "5"`, want: "data.seats must be an integer, not a string"},
		{name: "missing product", old: `"product_id": "` + polarProduct + `",` + "\n    \"discount_id\"", new: `"discount_id"`, want: "data.product_id is required"},
		{name: "missing customer", old: `"customer_id": "` + polarCustomer + `"`, new: `"customer_id": ""`, want: "data.customer_id is required"},
		{name: "external id with whitespace", old: `"external_id": "acme"`, new: `"external_id": "acme\t"`, want: "data.customer.external_id"},
		{name: "data not an object", old: `"data": {`, new: `"data": null, "x": {`, want: "data must be a JSON object"},
		{name: "timestamp not RFC 3339", old: `"timestamp": "2025-02-10T08:30:01.412903Z"`, new: `"timestamp": "1739176201"`, want: "not RFC 3339"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(body, tt.old) {
				t.Fatalf("fixture lacks %q", tt.old)
			}
			env, err := decodePolar([]byte(strings.Replace(body, tt.old, tt.new, 1)))
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) || env.Command != nil {
				t.Fatalf("decodePolar() = %+v, %v; want ErrMalformed saying %q", env, err, tt.want)
			}
		})
	}
	t.Run("unknown type", func(t *testing.T) {
		t.Parallel()
		env, err := decodePolar([]byte(`{"type":"order.paid","timestamp":"2025-02-10T08:30:01Z","data":{}}`))
		if !errors.Is(err, ErrUnknownType) || errors.Is(err, ErrMalformed) || env.Type != "order.paid" || env.Command != nil {
			t.Fatalf("decodePolar(order.paid) = %+v, %v; want ErrUnknownType with the type", env, err)
		}
	})
	t.Run("null external id and seats", func(t *testing.T) {
		t.Parallel()
		b := strings.Replace(strings.Replace(body, `"external_id": "acme"`, `"external_id": null`, 1), `"seats": 5`, `"seats": null`, 1)
		env, err := decodePolar([]byte(b))
		if want := polarPeriod(polarOrder("", "active", 1), false); err != nil || !reflect.DeepEqual(env.Command, want) {
			t.Fatalf("decodePolar() = %+v, %v; want %+v", env.Command, err, want)
		}
	})
}
