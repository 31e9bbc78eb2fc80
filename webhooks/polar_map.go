package webhooks

import (
	"encoding/json"
	"fmt"
	"time"
)

// How Polar deliveries become seatsync commands.
//
//	type                               command        status / identity
//	subscription.created|updated|      OrderUpserted  ExternalID = data.id; Customer =
//	canceled|revoked                                  ProviderRef{"polar", data.customer_id};
//	                                                  CustomerExternalID = data.customer.external_id
//	                                                  when set; one line: data.product_id with
//	                                                  quantity data.seats, or 1 when seats is
//	                                                  absent or null (not a seat-based price)
//	  subscription.revoked                            canceled: access ends now
//	  data.status canceled                            canceled: the subscription has ended
//	  data.status unpaid                              canceled: payment retries are exhausted and
//	                                                  Polar has revoked the subscription
//	  data.status incomplete_expired                  canceled: the first payment never came
//	  subscription.canceled, status active            active: cancel at period end; revoked follows
//	  data.status active, trialing                    active
//	  data.status past_due                            active: recoverable, Polar still retries
//	  data.status incomplete                          active: first payment in progress
//	  any other data.status                           active, so that a status Polar adds later
//	                                                  cannot revoke every seat by itself
//	  data.current_period_end                         CurrentPeriodEnd
//	  data.cancel_at_period_end true                  CancelAt = data.current_period_end (else
//	                                                  data.ends_at); false: no CancelAt
//
// The event id is the webhook-id header and the event time the body's
// timestamp. Unknown fields are ignored throughout: Polar adds them.

// polarTerminal are the statuses in which a Polar subscription has ended.
var polarTerminal = map[string]bool{"canceled": true, "unpaid": true, "incomplete_expired": true}

// decodePolar turns a stored Polar delivery body into its command.
func decodePolar(payload []byte) (Envelope, error) {
	var w struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(payload, &w); err != nil {
		return Envelope{}, fmt.Errorf("polar event: %w: %w", jsonErr(payload, &w, err, ""), ErrMalformed)
	}
	if err := checkID("type", w.Type); err != nil {
		return Envelope{}, fmt.Errorf("polar event: %w: %w", jsonErr(payload, &w, err, ""), ErrMalformed)
	}
	if w.Timestamp == "" {
		return Envelope{}, fmt.Errorf("polar envelope: timestamp is required: %w", ErrMalformed)
	}
	ts, err := time.Parse(time.RFC3339Nano, w.Timestamp)
	if err != nil {
		return Envelope{}, fmt.Errorf("polar envelope: timestamp %q is not RFC 3339: %w", clip(w.Timestamp), ErrMalformed)
	}
	env := Envelope{Type: w.Type, Timestamp: ts.UTC()}
	switch w.Type {
	case "subscription.created", "subscription.updated", "subscription.canceled", "subscription.revoked":
	default:
		return env, fmt.Errorf("polar: %w %q", ErrUnknownType, clip(w.Type))
	}
	cmd, err := polarSubscriptionCommand(w.Type, w.Data)
	if err != nil {
		return Envelope{}, fmt.Errorf("polar %s: %w: %w", w.Type, err, ErrMalformed)
	}
	env.Command = cmd
	return env, nil
}

func polarSubscriptionCommand(eventType string, data json.RawMessage) (any, error) {
	if len(data) == 0 || data[0] != '{' {
		return nil, fmt.Errorf("data must be a JSON object")
	}
	var s struct {
		ID         string `json:"id"`
		Status     string `json:"status"`
		CustomerID string `json:"customer_id"`
		ProductID  string `json:"product_id"`
		// Null for prices that are not seat-based.
		Seats    *int `json:"seats"`
		Customer *struct {
			ExternalID *string `json:"external_id"`
		} `json:"customer"`
		// Seats over time. RFC 3339 times, null when there is none.
		CurrentPeriodEnd  string `json:"current_period_end"`
		CancelAtPeriodEnd bool   `json:"cancel_at_period_end"`
		EndsAt            string `json:"ends_at"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, jsonErr(data, &s, err, "data.")
	}
	if err := firstErr(checkID("data.id", s.ID), checkID("data.status", s.Status),
		checkID("data.customer_id", s.CustomerID), checkID("data.product_id", s.ProductID)); err != nil {
		return nil, err
	}
	quantity := 1
	if s.Seats != nil {
		quantity = *s.Seats
	}
	switch {
	case quantity < 0:
		return nil, fmt.Errorf("data.seats: must be >= 0")
	case quantity > MaxQuantity:
		return nil, fmt.Errorf("data.seats: must be <= %d", MaxQuantity)
	}
	// external_id is seatsync's id only when the merchant set it; null and
	// "" both mean the customer is known by its Polar id alone.
	var externalID string
	if s.Customer != nil && s.Customer.ExternalID != nil && *s.Customer.ExternalID != "" {
		externalID = *s.Customer.ExternalID
		if err := checkID("data.customer.external_id", externalID); err != nil {
			return nil, err
		}
	}
	periodEnd, err := rfc3339Time("data.current_period_end", s.CurrentPeriodEnd)
	if err != nil {
		return nil, err
	}
	endsAt, err := rfc3339Time("data.ends_at", s.EndsAt)
	if err != nil {
		return nil, err
	}
	var cancelAt *time.Time
	if s.CancelAtPeriodEnd {
		if cancelAt = periodEnd; cancelAt == nil {
			cancelAt = endsAt
		}
	}
	status := "active"
	if eventType == "subscription.revoked" || polarTerminal[s.Status] {
		status = "canceled"
	}
	return OrderUpserted{ExternalID: s.ID, CustomerExternalID: externalID,
		Customer: ProviderRef{Provider: "polar", ID: s.CustomerID}, Status: status,
		Lines:    []OrderLine{{ProductID: s.ProductID, Quantity: quantity}},
		CancelAt: cancelAt, CurrentPeriodEnd: periodEnd}, nil
}
