package webhooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// How Stripe subscription schedules become OrderScheduleChanged (seats over
// time, SPEC §1):
//
//	subscription_schedule.created|updated   the order is object.subscription (id or
//	                                        expanded); Customer = {"stripe", object.customer}
//	  status active, a phase after current_phase    Changes: per item of that next phase its
//	                                        quantity (absent: 1) at the phase's start_date;
//	                                        per item of the current phase whose price the
//	                                        next phase does not name, 0 (the item goes)
//	  no current_phase or no next phase     no Changes: the order's schedules are cleared
//	subscription_schedule.released|canceled no Changes (released: the order is
//	(or status released, canceled,          object.released_subscription, since Stripe
//	completed)                              clears subscription on release)
//	a schedule with no subscription yet     ignored (ErrUnknownType): not_started
//	                                        schedules have no order to schedule
//
// Phase items name a price, an id unless expanded. An expanded price names
// its product (ProductID); otherwise only PriceID is set and the worker
// resolves it with the prices recorded from subscription events, then sums
// the changes per product. Whether a change is a reduction is decided
// against the line's quantity when it is stored (storage.SetSchedules): a
// quantity not below the line's is no schedule.

// stripePhaseItem is one item of a schedule phase.
type stripePhaseItem struct {
	Price    json.RawMessage `json:"price"`
	Quantity json.RawMessage `json:"quantity"`
}

type stripePhase struct {
	StartDate json.RawMessage   `json:"start_date"`
	Items     []stripePhaseItem `json:"items"`
}

func decodeStripeSchedule(eventType string, raw json.RawMessage) (any, error) {
	var s struct {
		ID                   string          `json:"id"`
		Object               *string         `json:"object"`
		Customer             json.RawMessage `json:"customer"`
		Status               string          `json:"status"`
		Subscription         json.RawMessage `json:"subscription"`
		ReleasedSubscription json.RawMessage `json:"released_subscription"`
		CurrentPhase         *struct {
			StartDate json.RawMessage `json:"start_date"`
			EndDate   json.RawMessage `json:"end_date"`
		} `json:"current_phase"`
		Phases []stripePhase `json:"phases"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, jsonErr(raw, &s, err, "data.object.")
	}
	customer, err := stripeRef("data.object.customer", s.Customer)
	if err := firstErr(checkStripeObject(s.Object, "subscription_schedule"), checkID("data.object.id", s.ID), err,
		checkEnum("data.object.status", s.Status, "not_started", "active", "completed", "released", "canceled")); err != nil {
		return nil, err
	}
	sub, field := s.Subscription, "data.object.subscription"
	if isNull(sub) {
		sub, field = s.ReleasedSubscription, "data.object.released_subscription"
	}
	if isNull(sub) {
		return nil, fmt.Errorf("%w: subscription schedule %s has no subscription yet (status %s)", ErrUnknownType, clip(s.ID), s.Status)
	}
	order, err := stripeRef(field, sub)
	if err != nil {
		return nil, err
	}
	cmd := OrderScheduleChanged{OrderExternalID: order, Customer: ProviderRef{Provider: "stripe", ID: customer},
		Changes: []ScheduleChange{}}
	ended := eventType == "subscription_schedule.released" || eventType == "subscription_schedule.canceled" ||
		s.Status != "active"
	if ended || s.CurrentPhase == nil {
		return cmd, nil
	}
	start, err := stripeTime("data.object.current_phase.start_date", s.CurrentPhase.StartDate)
	if err != nil {
		return nil, err
	}
	end, err := stripeTime("data.object.current_phase.end_date", s.CurrentPhase.EndDate)
	if err != nil {
		return nil, err
	}
	// The current phase is the one that starts at current_phase.start_date;
	// the next, the earliest that starts at or after its end.
	current, next := -1, -1
	var nextAt time.Time
	for i, p := range s.Phases {
		at, err := stripeTime(fmt.Sprintf("data.object.phases[%d].start_date", i), p.StartDate)
		switch {
		case err != nil:
			return nil, err
		case at == nil:
			return nil, fmt.Errorf("data.object.phases[%d].start_date is required", i)
		case start != nil && at.Equal(*start):
			current = i
		case end != nil && !at.Before(*end) && (next < 0 || at.Before(nextAt)):
			next, nextAt = i, *at
		}
	}
	if next < 0 {
		return cmd, nil
	}
	named := map[string]bool{} // prices (and products) the next phase names
	for i, item := range s.Phases[next].Items {
		ch, skip, err := stripePhaseChange(fmt.Sprintf("data.object.phases[%d].items[%d]", next, i), item)
		if err != nil {
			return nil, err
		}
		named[ch.PriceID], named[ch.ProductID] = true, true
		if skip {
			continue
		}
		ch.At = nextAt
		cmd.Changes = append(cmd.Changes, ch)
	}
	if current >= 0 {
		for i, item := range s.Phases[current].Items {
			ch, skip, err := stripePhaseChange(fmt.Sprintf("data.object.phases[%d].items[%d]", current, i), item)
			if err != nil {
				return nil, err
			}
			if skip || (ch.PriceID != "" && named[ch.PriceID]) || (ch.PriceID == "" && named[ch.ProductID]) {
				continue
			}
			ch.Quantity, ch.At = 0, nextAt
			cmd.Changes = append(cmd.Changes, ch)
		}
	}
	return cmd, nil
}

// stripePhaseChange reads one phase item: its price (an id, or expanded
// with its product) and quantity. skip is true for an expanded metered
// price, which bills usage and is no seat.
func stripePhaseChange(field string, item stripePhaseItem) (ch ScheduleChange, skip bool, err error) {
	price := bytes.TrimSpace(item.Price)
	switch {
	case isNull(price):
		return ch, false, fmt.Errorf("%s.price is required", field)
	case price[0] == '"':
		ch.PriceID, err = stripeRef(field+".price", price)
	case price[0] == '{':
		var p struct {
			ID        string          `json:"id"`
			Product   json.RawMessage `json:"product"`
			Recurring *struct {
				UsageType string `json:"usage_type"`
			} `json:"recurring"`
		}
		if err := json.Unmarshal(price, &p); err != nil {
			return ch, false, jsonErr(price, &p, err, field+".price.")
		}
		if ch.PriceID = p.ID; p.ID != "" {
			if err := checkID(field+".price.id", p.ID); err != nil {
				return ch, false, err
			}
		}
		if ch.ProductID, err = stripeRef(field+".price.product", p.Product); err != nil {
			return ch, false, err
		}
		skip = p.Recurring != nil && p.Recurring.UsageType == "metered"
	default:
		err = fmt.Errorf("%s.price must be an id or an object with an id", field)
	}
	if err != nil {
		return ch, false, err
	}
	q, present, err := stripeQuantity(field+".quantity", item.Quantity)
	if err != nil {
		return ch, false, err
	}
	if !present {
		q = 1
	}
	ch.Quantity = q
	return ch, skip, nil
}

// stripePrices lists the items' prices with their products, once each, in
// order of first appearance. An item's price was checked by stripeLines.
func stripePrices(items []stripeItem) ([]ProviderPrice, error) {
	prices := []ProviderPrice{}
	seen := map[string]bool{}
	for i, item := range items {
		if item.Price.ID == "" || seen[item.Price.ID] {
			continue
		}
		if err := checkID(fmt.Sprintf("data.object.items.data[%d].price.id", i), item.Price.ID); err != nil {
			return nil, err
		}
		product, err := stripeRef(fmt.Sprintf("data.object.items.data[%d].price.product", i), item.Price.Product)
		if err != nil {
			return nil, err
		}
		seen[item.Price.ID] = true
		metered := item.Price.Recurring != nil && item.Price.Recurring.UsageType == "metered"
		prices = append(prices, ProviderPrice{ID: item.Price.ID, ProductID: product, Metered: metered})
	}
	return prices, nil
}

// stripePeriod reads the period end (the subscription's, else the earliest
// item's) and the cancellation ahead: the period end when
// cancel_at_period_end, else cancel_at.
func stripePeriod(subPeriodEnd, cancelAtRaw json.RawMessage, atPeriodEnd bool, items []stripeItem) (periodEnd, cancelAt *time.Time, err error) {
	if periodEnd, err = stripeTime("data.object.current_period_end", subPeriodEnd); err != nil {
		return nil, nil, err
	}
	if periodEnd == nil {
		for i, item := range items {
			end, err := stripeTime(fmt.Sprintf("data.object.items.data[%d].current_period_end", i), item.CurrentPeriodEnd)
			if err != nil {
				return nil, nil, err
			}
			if end != nil && (periodEnd == nil || end.Before(*periodEnd)) {
				periodEnd = end
			}
		}
	}
	if cancelAt, err = stripeTime("data.object.cancel_at", cancelAtRaw); err != nil {
		return nil, nil, err
	}
	if atPeriodEnd && periodEnd != nil {
		cancelAt = periodEnd
	}
	return periodEnd, cancelAt, nil
}

// stripeTime reads an optional unix-seconds timestamp; null is absent.
func stripeTime(field string, raw json.RawMessage) (*time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return nil, nil
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s %s is not unix seconds", field, clip(string(raw)))
	case n <= 0 || n > maxStripeCreated:
		return nil, fmt.Errorf("%s %d is not a plausible unix time", field, n)
	}
	t := time.Unix(n, 0).UTC()
	return &t, nil
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}
