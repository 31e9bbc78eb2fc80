package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// How Stripe events become canonical commands (SPEC §2):
//
//	Stripe event type                      command            identity
//	customer.created, customer.updated     CustomerUpserted   ExternalID = metadata.seatsync_customer (else "");
//	                                                          ProviderIDs{"stripe": object.id}
//	customer.subscription.created|updated  OrderUpserted      ExternalID = subscription id;
//	customer.subscription.deleted                             Customer = {"stripe", object.customer}
//	subscription_schedule.created|updated| OrderScheduleChanged  OrderExternalID = object.subscription
//	released|canceled                                         (or released_subscription); see stripe_schedule.go
//	anything else                          ignored (ErrUnknownType)
//
//	subscription status                                     order Status
//	any, in a customer.subscription.deleted event           canceled
//	canceled, incomplete_expired (terminal)                 canceled
//	active, trialing, past_due, unpaid, incomplete, paused  active
//	(cancel_at_period_end=true is still active: Stripe sends .deleted when it ends)
//
// Lines: one per product of items.data[].price.product (an id, or an expanded
// product with an id), quantities of one product summed. Stripe always sets
// quantity on a licensed item (1 unless told otherwise), so an absent one
// means 1; a metered item has none and is skipped, since usage is not seats.
//
// Seats over time: CurrentPeriodEnd is the subscription's current_period_end
// (API versions before 2025-03-31.basil) or else the earliest of its items'
// current_period_end (basil and later moved it to the items). CancelAt is
// that period end when cancel_at_period_end is true, else cancel_at (null:
// none). KeepSchedules is always set: subscription events carry no line
// schedules, those come in subscription_schedule.* events, and an update
// must not clear them. Prices lists every item's price with its product
// (metered ones flagged), for the worker to resolve the schedules' prices.

// decodeStripe turns a stored Stripe event into its command. An unmapped type
// returns the envelope's Type and Timestamp with an error wrapping
// ErrUnknownType; everything else wrong wraps ErrMalformed.
func decodeStripe(payload []byte) (Envelope, error) {
	ev, err := parseStripeEvent(payload)
	if err != nil {
		return Envelope{}, err
	}
	env := Envelope{Type: ev.Type, Timestamp: ev.created}
	cmd, err := mapStripe(ev)
	if err != nil {
		if errors.Is(err, ErrUnknownType) {
			return env, err
		}
		return Envelope{}, err
	}
	env.Command = cmd
	return env, nil
}

// mapStripe maps a parsed event to its command.
func mapStripe(ev stripeEvent) (any, error) {
	var decode func(json.RawMessage) (any, error)
	switch ev.Type {
	case "customer.created", "customer.updated":
		decode = decodeStripeCustomer
	case "customer.subscription.created", "customer.subscription.updated":
		decode = func(raw json.RawMessage) (any, error) { return decodeStripeSubscription(raw, false) }
	case "customer.subscription.deleted":
		decode = func(raw json.RawMessage) (any, error) { return decodeStripeSubscription(raw, true) }
	case "subscription_schedule.created", "subscription_schedule.updated",
		"subscription_schedule.released", "subscription_schedule.canceled":
		decode = func(raw json.RawMessage) (any, error) { return decodeStripeSchedule(ev.Type, raw) }
	default:
		return nil, fmt.Errorf("stripe: %w %q", ErrUnknownType, clip(ev.Type))
	}
	if obj := bytes.TrimSpace(ev.Data.Object); len(obj) == 0 || obj[0] != '{' {
		return nil, fmt.Errorf("stripe %s %s: data.object must be a JSON object: %w", ev.Type, ev.ID, ErrMalformed)
	}
	cmd, err := decode(ev.Data.Object)
	if errors.Is(err, ErrUnknownType) {
		return nil, fmt.Errorf("stripe %s %s: %w", ev.Type, ev.ID, err)
	}
	if err != nil {
		return nil, fmt.Errorf("stripe %s %s: %w: %w", ev.Type, ev.ID, err, ErrMalformed)
	}
	return cmd, nil
}

// checkStripeObject catches a payload of the wrong shape early; "object" is
// optional only so a hand-built test event need not carry it.
func checkStripeObject(got *string, want string) error {
	if got != nil && *got != want {
		return fmt.Errorf("data.object.object is %q, want %q", clip(*got), want)
	}
	return nil
}

func decodeStripeCustomer(raw json.RawMessage) (any, error) {
	var c struct {
		ID       string  `json:"id"`
		Object   *string `json:"object"`
		Name     *string `json:"name"`  // null when never set
		Email    *string `json:"email"` // likewise
		Metadata struct {
			// Stripe drops a key set to "", so "" can only mean absent.
			SeatsyncCustomer string `json:"seatsync_customer"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, jsonErr(raw, &c, err, "data.object.")
	}
	cmd := CustomerUpserted{
		ExternalID:  c.Metadata.SeatsyncCustomer,
		Name:        deref(c.Name),
		Email:       deref(c.Email),
		ProviderIDs: map[string]string{"stripe": c.ID},
	}
	var extErr error
	if cmd.ExternalID != "" {
		extErr = checkID("data.object.metadata.seatsync_customer", cmd.ExternalID)
	}
	if err := firstErr(checkStripeObject(c.Object, "customer"), checkID("data.object.id", c.ID),
		extErr, checkText("data.object.name", cmd.Name), checkEmail("data.object.email", cmd.Email)); err != nil {
		return nil, err
	}
	return cmd, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// stripeStatuses are the documented subscription statuses; an undocumented
// one is refused rather than guessed at, since guessing wrong grants or
// retires seats.
var stripeStatuses = []string{"incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled", "unpaid", "paused"}

type stripeItem struct {
	Quantity         json.RawMessage `json:"quantity"`
	CurrentPeriodEnd json.RawMessage `json:"current_period_end"` // API 2025-03-31.basil and later
	Price            *struct {
		ID        string          `json:"id"`
		Product   json.RawMessage `json:"product"`
		Recurring *struct {
			UsageType string `json:"usage_type"`
		} `json:"recurring"`
	} `json:"price"`
}

func decodeStripeSubscription(raw json.RawMessage, deleted bool) (any, error) {
	var s struct {
		ID       string          `json:"id"`
		Object   *string         `json:"object"`
		Customer json.RawMessage `json:"customer"`
		Status   string          `json:"status"`
		// Seats over time: a cancellation ahead, and the period's end
		// (on the subscription before API 2025-03-31.basil).
		CancelAt          json.RawMessage `json:"cancel_at"`
		CancelAtPeriodEnd bool            `json:"cancel_at_period_end"`
		CurrentPeriodEnd  json.RawMessage `json:"current_period_end"`
		Items             *struct {
			Data    *[]stripeItem `json:"data"`
			HasMore bool          `json:"has_more"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, jsonErr(raw, &s, err, "data.object.")
	}
	customer, err := stripeRef("data.object.customer", s.Customer)
	if err := firstErr(checkStripeObject(s.Object, "subscription"), checkID("data.object.id", s.ID), err,
		checkEnum("data.object.status", s.Status, stripeStatuses...)); err != nil {
		return nil, err
	}
	// Lines are the order's complete set, so a missing or truncated list must
	// not read as "fewer seats". Stripe embeds at most 10 items in an event.
	switch {
	case s.Items == nil || s.Items.Data == nil:
		return nil, fmt.Errorf("data.object.items.data is required")
	case s.Items.HasMore:
		return nil, fmt.Errorf("data.object.items.has_more is true: the event lists only %d items, not the complete set", len(*s.Items.Data))
	}
	lines, err := stripeLines(*s.Items.Data)
	if err != nil {
		return nil, err
	}
	prices, err := stripePrices(*s.Items.Data)
	if err != nil {
		return nil, err
	}
	periodEnd, cancelAt, err := stripePeriod(s.CurrentPeriodEnd, s.CancelAt, s.CancelAtPeriodEnd, *s.Items.Data)
	if err != nil {
		return nil, err
	}
	status := "active"
	if deleted || s.Status == "canceled" || s.Status == "incomplete_expired" {
		status = "canceled"
	}
	return OrderUpserted{
		ExternalID:       s.ID,
		Customer:         ProviderRef{Provider: "stripe", ID: customer},
		Status:           status,
		Lines:            lines,
		CancelAt:         cancelAt,
		CurrentPeriodEnd: periodEnd,
		KeepSchedules:    true,
		Prices:           prices,
	}, nil
}

// stripeLines makes one line per product, in order of first appearance, so
// the same payload always yields the same command.
func stripeLines(items []stripeItem) ([]OrderLine, error) {
	lines := []OrderLine{} // never nil: an order without seats still has a (complete) set
	index := map[string]int{}
	for i, item := range items {
		field := fmt.Sprintf("data.object.items.data[%d]", i)
		if item.Price == nil {
			return nil, fmt.Errorf("%s.price is required", field)
		}
		product, err := stripeRef(field+".price.product", item.Price.Product)
		if err != nil {
			return nil, err
		}
		q, present, err := stripeQuantity(field+".quantity", item.Quantity)
		switch {
		case err != nil:
			return nil, err
		case !present && item.Price.Recurring != nil && item.Price.Recurring.UsageType == "metered":
			continue
		case !present:
			q = 1
		}
		j, seen := index[product]
		if !seen {
			j, index[product] = len(lines), len(lines)
			lines = append(lines, OrderLine{ProductID: product})
		}
		// Both terms are at most MaxQuantity, so the sum cannot overflow.
		if lines[j].Quantity += q; lines[j].Quantity > MaxQuantity {
			return nil, fmt.Errorf("%s: product %q totals %d seats, limit %d", field, clip(product), lines[j].Quantity, MaxQuantity)
		}
	}
	return lines, nil
}

// stripeQuantity reads an optional integer quantity; null counts as absent.
func stripeQuantity(field string, raw json.RawMessage) (q int, present bool, err error) {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	switch {
	case err != nil:
		return 0, false, fmt.Errorf("%s %s is not an integer", field, clip(string(raw)))
	case n < 0:
		return 0, false, fmt.Errorf("%s %d must be >= 0", field, n)
	case n > MaxQuantity:
		return 0, false, fmt.Errorf("%s %d exceeds the limit %d", field, n, MaxQuantity)
	}
	return int(n), true, nil
}

// stripeRef reads a reference Stripe sends as an id, or as the expanded
// object when the sender asked for expansion.
func stripeRef(field string, raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case isNull(raw):
		return "", fmt.Errorf("%s is required", field)
	case raw[0] == '"':
		var id string
		if err := json.Unmarshal(raw, &id); err != nil {
			return "", jsonErr(raw, &id, err, field+".")
		}
		return id, checkID(field, id)
	case raw[0] == '{':
		var obj struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return "", jsonErr(raw, &obj, err, field+".")
		}
		return obj.ID, checkID(field+".id", obj.ID)
	}
	return "", fmt.Errorf("%s must be an id or an object with an id", field)
}
