package webhooks

import (
	"encoding/json"
	"fmt"
	"time"
)

// How Paddle Billing notifications become seatsync commands.
//
//	event_type                        command           status / identity
//	customer.created|updated          CustomerUpserted  ExternalID = data.custom_data.seatsync_customer
//	                                                    (else "": storage resolves the link or uses
//	                                                    the ctm_ id); ProviderIDs{"paddle": data.id}
//	subscription.created|updated|     OrderUpserted     ExternalID = data.id (sub_…); Customer =
//	activated|past_due|paused|resumed                   ProviderRef{"paddle", data.customer_id};
//	                                                    lines: data.items[].price.product_id with the
//	                                                    summed data.items[].quantity
//	  data.status "canceled"                            canceled
//	  subscription.canceled                             canceled
//	  data.status active, trialing                      active
//	  data.status past_due                              active: Paddle is still collecting; it
//	                                                    cancels (another event) when dunning fails
//	  data.status paused                                active: the seats are kept for the resume
//	  scheduled_change.action "cancel"                  active: subscription.canceled follows at
//	                                                    the end of the period; CancelAt =
//	                                                    scheduled_change.effective_at
//	  scheduled_change.action "pause", "resume"         no CancelAt: a paused subscription keeps
//	                                                    its seats (above), so a pause ahead
//	                                                    changes nothing either
//	  current_billing_period.ends_at                    CurrentPeriodEnd (null while paused or
//	                                                    canceled: none)
//	  any other data.status                             active, so that a status Paddle adds later
//	                                                    cannot revoke every seat by itself
//
// The event id is the envelope's event_id (evt_…) and the event time its
// occurred_at. Unknown fields are ignored throughout: Paddle adds them.

type paddleEnvelope struct {
	ID         string
	Type       string
	OccurredAt time.Time
	Data       json.RawMessage
}

// parsePaddleEnvelope reads the fields every notification has, mapped or
// not, so an ignored event is still recorded under a trustworthy id and time.
func parsePaddleEnvelope(body []byte) (paddleEnvelope, error) {
	var w struct {
		EventID    string          `json:"event_id"`
		EventType  string          `json:"event_type"`
		OccurredAt string          `json:"occurred_at"`
		Data       json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return paddleEnvelope{}, fmt.Errorf("paddle event: %w: %w", jsonErr(body, &w, err, ""), ErrMalformed)
	}
	if err := firstErr(checkPaddleEventID(w.EventID), checkID("event_type", w.EventType)); err != nil {
		return paddleEnvelope{}, fmt.Errorf("paddle event: %w: %w", jsonErr(body, &w, err, ""), ErrMalformed)
	}
	if w.OccurredAt == "" {
		return paddleEnvelope{}, fmt.Errorf("paddle envelope: occurred_at is required: %w", ErrMalformed)
	}
	at, err := time.Parse(time.RFC3339Nano, w.OccurredAt)
	if err != nil {
		return paddleEnvelope{}, fmt.Errorf("paddle envelope: occurred_at %q is not RFC 3339: %w", clip(w.OccurredAt), ErrMalformed)
	}
	return paddleEnvelope{ID: w.EventID, Type: w.EventType, OccurredAt: at.UTC(), Data: w.Data}, nil
}

// decodePaddle turns a stored Paddle notification into its command.
func decodePaddle(payload []byte) (Envelope, error) {
	pe, err := parsePaddleEnvelope(payload)
	if err != nil {
		return Envelope{}, err
	}
	return pe.decode()
}

var paddleMappers = map[string]func(eventType string, data json.RawMessage) (any, error){
	"customer.created":      paddleCustomerCommand,
	"customer.updated":      paddleCustomerCommand,
	"subscription.created":  paddleSubscriptionCommand,
	"subscription.updated":  paddleSubscriptionCommand,
	"subscription.canceled": paddleSubscriptionCommand,
	// Activated is trialing → active; past_due, paused and resumed change
	// the status only. Each still carries the whole subscription, so each
	// restates the order: whichever is newest wins downstream.
	"subscription.activated": paddleSubscriptionCommand,
	"subscription.past_due":  paddleSubscriptionCommand,
	"subscription.paused":    paddleSubscriptionCommand,
	"subscription.resumed":   paddleSubscriptionCommand,
}

func (pe paddleEnvelope) decode() (Envelope, error) {
	env := Envelope{Type: pe.Type, Timestamp: pe.OccurredAt}
	mapper, ok := paddleMappers[pe.Type]
	if !ok {
		return env, fmt.Errorf("paddle: %w %q", ErrUnknownType, clip(pe.Type))
	}
	cmd, err := mapper(pe.Type, pe.Data)
	if err != nil {
		return Envelope{}, fmt.Errorf("paddle %s: %w: %w", pe.Type, err, ErrMalformed)
	}
	env.Command = cmd
	return env, nil
}

// unmarshalPaddleData insists on an object: "data": null would otherwise
// decode to an all-empty struct and fail later with a misleading message.
func unmarshalPaddleData(data json.RawMessage, v any) error {
	if len(data) == 0 || data[0] != '{' {
		return fmt.Errorf("data must be a JSON object")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return jsonErr(data, v, err, "data.")
	}
	return nil
}

func paddleCustomerCommand(_ string, data json.RawMessage) (any, error) {
	var c struct {
		ID         string                     `json:"id"`
		Name       *string                    `json:"name"` // null until the customer gives one
		Email      string                     `json:"email"`
		CustomData map[string]json.RawMessage `json:"custom_data"`
	}
	if err := unmarshalPaddleData(data, &c); err != nil {
		return nil, err
	}
	var name string
	if c.Name != nil {
		name = *c.Name
	}
	externalID, err := paddleSeatsyncCustomer(c.CustomData)
	if err != nil {
		return nil, err
	}
	if err := firstErr(checkID("data.id", c.ID), checkText("data.name", name), checkEmail("data.email", c.Email)); err != nil {
		return nil, err
	}
	return CustomerUpserted{ExternalID: externalID, Name: name, Email: c.Email,
		ProviderIDs: map[string]string{"paddle": c.ID}}, nil
}

// paddleSeatsyncCustomer reads custom_data.seatsync_customer, which the
// merchant sets to link a Paddle customer to a seatsync customer. Absent,
// null and "" all mean "not linked here".
func paddleSeatsyncCustomer(customData map[string]json.RawMessage) (string, error) {
	const field = "data.custom_data.seatsync_customer"
	raw, ok := customData["seatsync_customer"]
	if !ok {
		return "", nil
	}
	var v *string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("%s must be a string", field)
	}
	if v == nil || *v == "" {
		return "", nil
	}
	return *v, checkID(field, *v)
}

type paddleItem struct {
	// A pointer, so that a missing quantity is an error rather than a 0
	// that would retire the line's seats.
	Quantity *int `json:"quantity"`
	Price    *struct {
		ProductID string `json:"product_id"`
	} `json:"price"`
}

func paddleSubscriptionCommand(eventType string, data json.RawMessage) (any, error) {
	var s struct {
		ID         string        `json:"id"`
		Status     string        `json:"status"`
		CustomerID string        `json:"customer_id"`
		Items      *[]paddleItem `json:"items"`
		// Seats over time.
		CurrentBillingPeriod *struct {
			EndsAt string `json:"ends_at"`
		} `json:"current_billing_period"`
		ScheduledChange *struct {
			Action      string `json:"action"`
			EffectiveAt string `json:"effective_at"`
		} `json:"scheduled_change"`
	}
	if err := unmarshalPaddleData(data, &s); err != nil {
		return nil, err
	}
	var periodEnd, cancelAt *time.Time
	if s.CurrentBillingPeriod != nil {
		end, err := rfc3339Time("data.current_billing_period.ends_at", s.CurrentBillingPeriod.EndsAt)
		if err != nil {
			return nil, err
		}
		periodEnd = end
	}
	if c := s.ScheduledChange; c != nil {
		if err := checkEnum("data.scheduled_change.action", c.Action, "cancel", "pause", "resume"); err != nil {
			return nil, err
		}
		at, err := rfc3339Time("data.scheduled_change.effective_at", c.EffectiveAt)
		switch {
		case err != nil:
			return nil, err
		case at == nil:
			return nil, fmt.Errorf("data.scheduled_change.effective_at is required")
		case c.Action == "cancel":
			cancelAt = at
		}
	}
	if err := firstErr(checkID("data.id", s.ID), checkID("data.status", s.Status), checkID("data.customer_id", s.CustomerID)); err != nil {
		return nil, err
	}
	if s.Items == nil {
		// Never read as "no items": that would retire every seat.
		return nil, fmt.Errorf("data.items is required")
	}
	lines, err := paddleLines(*s.Items)
	if err != nil {
		return nil, err
	}
	status := "active"
	if eventType == "subscription.canceled" || s.Status == "canceled" {
		status = "canceled"
	}
	return OrderUpserted{ExternalID: s.ID, Customer: ProviderRef{Provider: "paddle", ID: s.CustomerID},
		Status: status, Lines: lines, CancelAt: cancelAt, CurrentPeriodEnd: periodEnd}, nil
}

// rfc3339Time reads an optional RFC 3339 time (Paddle, Polar); "" (absent or null) is none.
func rfc3339Time(field, v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not RFC 3339", field, clip(v))
	}
	t = t.UTC()
	return &t, nil
}

// paddleLines makes one line per product, in order of first appearance,
// summing items that share a product (e.g. two prices of one seat product).
func paddleLines(items []paddleItem) ([]OrderLine, error) {
	lines := []OrderLine{} // [] not nil: an order with no lines is still a complete set
	index := map[string]int{}
	for i, item := range items {
		if item.Price == nil {
			return nil, fmt.Errorf("data.items[%d].price is required", i)
		}
		product := item.Price.ProductID
		if err := checkID(fmt.Sprintf("data.items[%d].price.product_id", i), product); err != nil {
			return nil, err
		}
		switch q := item.Quantity; {
		case q == nil:
			return nil, fmt.Errorf("data.items[%d].quantity is required", i)
		case *q < 0:
			return nil, fmt.Errorf("data.items[%d].quantity: must be >= 0", i)
		case *q > MaxQuantity:
			return nil, fmt.Errorf("data.items[%d].quantity: must be <= %d", i, MaxQuantity)
		}
		j, seen := index[product]
		if !seen {
			j = len(lines)
			index[product] = j
			lines = append(lines, OrderLine{ProductID: product})
		}
		// Both addends are at most MaxQuantity, so this cannot overflow.
		lines[j].Quantity += *item.Quantity
		if lines[j].Quantity > MaxQuantity {
			return nil, fmt.Errorf("data.items: product %q totals %d, limit %d", clip(product), lines[j].Quantity, MaxQuantity)
		}
	}
	return lines, nil
}
