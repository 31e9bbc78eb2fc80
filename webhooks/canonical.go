package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// ErrUnknownType reports a well-formed envelope whose type seatsync does not
// know. It is not an ErrMalformed: such events are acknowledged and ignored.
var ErrUnknownType = errors.New("unknown event type")

// Canonical event types of the standard kind (SPEC §2).
const (
	TypeCustomerUpserted      = "customer.upserted"
	TypeUserUpserted          = "user.upserted"
	TypeUserDeactivated       = "user.deactivated"
	TypeOrderUpserted         = "order.upserted"
	TypeOrderCanceled         = "order.canceled"
	TypeSeatAssignRequested   = "seat.assign_requested"
	TypeSeatUnassignRequested = "seat.unassign_requested"
)

// MaxQuantity bounds one order line: the worker materialises a row per seat,
// so a typo'd quantity must stop at the edge, not in a transaction.
const MaxQuantity = 1_000_000

// Envelope is a decoded canonical event. Command holds one of the command
// types below, as a value.
type Envelope struct {
	Type      string
	Timestamp time.Time
	Command   any
}

// The JSON tags let the send CLI and tests encode commands in the wire format.
type (
	// CustomerUpserted.ProviderIDs links provider objects (provider name →
	// its id for this customer, e.g. "stripe" → "cus_…"), so later provider
	// events find this customer.
	CustomerUpserted struct {
		ExternalID  string            `json:"external_id"`
		Name        string            `json:"name,omitempty"`
		Email       string            `json:"email,omitempty"`
		ProviderIDs map[string]string `json:"provider_ids,omitempty"`
	}
	UserDeactivated struct {
		CustomerExternalID string      `json:"customer_external_id"`
		Customer           ProviderRef `json:"-"`
		ExternalID         string      `json:"external_id"`
	}
	// UserUpserted.Status is "active" (the default) or "deactivated".
	// GroupsSet is false when "groups" was omitted, which means unchanged.
	UserUpserted struct {
		CustomerExternalID string      `json:"customer_external_id"`
		Customer           ProviderRef `json:"-"`
		ExternalID         string      `json:"external_id"`
		Email              string      `json:"email,omitempty"`
		Name               string      `json:"name,omitempty"`
		Status             string      `json:"status,omitempty"`
		Groups             []string    `json:"-"`
		GroupsSet          bool        `json:"-"`
	}
	// OrderLine is one seat-based line. ScheduledQuantity and ScheduledAt
	// come together: a lower quantity that takes effect at that time
	// (period end); until then Quantity holds. An elastic line grows a
	// seat for a user when none is free, up to MaxQuantity when set;
	// Release says what happens to a seat freed on it: "immediate" (the
	// default) retires it, "period_end" marks it pending removal until the
	// order's CurrentPeriodEnd.
	OrderLine struct {
		ProductID         string     `json:"product_id"`
		Quantity          int        `json:"quantity"`
		ScheduledQuantity *int       `json:"scheduled_quantity,omitempty"`
		ScheduledAt       *time.Time `json:"scheduled_at,omitempty"`
		Elastic           bool       `json:"elastic,omitempty"`
		MaxQuantity       *int       `json:"max_quantity,omitempty"`
		Release           string     `json:"release,omitempty"`
	}
	// OrderUpserted.Status is "active" (the default) or "canceled"; Lines is
	// the order's complete set, so it is required even when empty. CancelAt
	// is a cancellation scheduled for that time (Stripe cancel_at, Paddle's
	// scheduled cancel); CurrentPeriodEnd is when the billing period ends.
	// Both are the provider's current state: omitted means none.
	OrderUpserted struct {
		ExternalID         string      `json:"external_id"`
		CustomerExternalID string      `json:"customer_external_id"`
		Customer           ProviderRef `json:"-"`
		Status             string      `json:"status,omitempty"`
		Lines              []OrderLine `json:"lines"`
		CancelAt           *time.Time  `json:"cancel_at,omitempty"`
		CurrentPeriodEnd   *time.Time  `json:"current_period_end,omitempty"`
		// KeepSchedules leaves the lines' schedules alone: set by a
		// provider mapping whose subscriptions do not carry them (Stripe:
		// see OrderScheduleChanged).
		KeepSchedules bool `json:"-"`
		// Prices are the provider prices the event's items name, each with
		// its product: what a later OrderScheduleChanged naming only a
		// price is resolved by (Stripe).
		Prices []ProviderPrice `json:"-"`
	}
	// ProviderPrice is one price of a provider and the product it belongs
	// to; Metered prices bill usage, never seats.
	ProviderPrice struct {
		ID        string
		ProductID string
		Metered   bool
	}
	OrderCanceled struct {
		ExternalID string `json:"external_id"`
	}
	// OrderScheduleChanged is the complete set of an order's scheduled
	// line changes, from a provider that sends them apart from the
	// subscription (Stripe's subscription_schedule.* events). It has no
	// canonical event type: canonical orders carry their schedule in
	// order.upserted. A change names its line by product, or by the
	// provider's price when the event does not say the product (the worker
	// finds the line that price belongs to); an empty Changes clears
	// every line's schedule.
	OrderScheduleChanged struct {
		OrderExternalID string           `json:"order_external_id"`
		Customer        ProviderRef      `json:"-"`
		Changes         []ScheduleChange `json:"changes"`
	}
	ScheduleChange struct {
		ProductID string    `json:"product_id,omitempty"`
		PriceID   string    `json:"price_id,omitempty"`
		Quantity  int       `json:"quantity"`
		At        time.Time `json:"at"`
	}
	SeatAssignRequested struct {
		OrderExternalID string `json:"order_external_id"`
		ProductID       string `json:"product_id"`
		UserExternalID  string `json:"user_external_id"`
	}
	SeatUnassignRequested struct {
		OrderExternalID string `json:"order_external_id"`
		ProductID       string `json:"product_id"`
		UserExternalID  string `json:"user_external_id"`
	}
)

// DecodeStandard decodes and fully validates a canonical event body. Errors
// wrap ErrMalformed, except for a well-formed envelope of an unknown type,
// which returns the envelope's Type and Timestamp with an error wrapping
// ErrUnknownType. Unknown fields are rejected: the format is ours, and a
// misspelled optional field would otherwise silently mean "unchanged".
func DecodeStandard(body []byte) (Envelope, error) {
	var w struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	if err := decodeStrict(body, &w); err != nil {
		_, message := DescribeJSONError(body, &w, err, "")
		return Envelope{}, malformedf("%s", message)
	}
	if err := checkID("type", w.Type); err != nil {
		return Envelope{}, malformedf("%v", err)
	}
	if w.Timestamp == "" {
		return Envelope{}, malformedf("timestamp is required: send the time of the change in RFC 3339, such as 2026-11-21T10:00:00Z")
	}
	ts, err := time.Parse(time.RFC3339Nano, w.Timestamp)
	if err != nil {
		return Envelope{}, malformedf("timestamp %q is not an RFC 3339 time such as 2026-11-21T10:00:00Z", clip(w.Timestamp))
	}
	env := Envelope{Type: w.Type, Timestamp: ts.UTC()}
	decode, ok := decoders[w.Type]
	if !ok {
		return env, fmt.Errorf("%w %q", ErrUnknownType, clip(w.Type))
	}
	if data := bytes.TrimSpace(w.Data); len(data) == 0 || data[0] != '{' {
		return Envelope{}, malformedf("%s event: data must be a JSON object", w.Type)
	}
	cmd, err := decode(w.Data)
	if err != nil {
		return Envelope{}, malformedf("%s event: %v", w.Type, err)
	}
	env.Command = cmd
	return env, nil
}

// malformedError is an ErrMalformed whose text is only the sentence saying
// what is wrong: it is answered to the sender and shown as the inbox
// reason, where a trailing ": malformed event" adds nothing.
type malformedError struct{ msg string }

func (e *malformedError) Error() string        { return e.msg }
func (e *malformedError) Is(target error) bool { return target == ErrMalformed }

func malformedf(format string, args ...any) error {
	return &malformedError{fmt.Sprintf(format, args...)}
}

var decoders = map[string]func(json.RawMessage) (any, error){
	TypeCustomerUpserted:      decodeAs[CustomerUpserted],
	TypeUserUpserted:          decodeAs[UserUpserted],
	TypeUserDeactivated:       decodeAs[UserDeactivated],
	TypeOrderUpserted:         decodeAs[OrderUpserted],
	TypeOrderCanceled:         decodeAs[OrderCanceled],
	TypeSeatAssignRequested:   decodeAs[SeatAssignRequested],
	TypeSeatUnassignRequested: decodeAs[SeatUnassignRequested],
}

type canonicalCommand interface{ validate() error }

// decodeAs decodes and validates one command. Its errors name the field
// as the sender wrote it, under "data.".
func decodeAs[T canonicalCommand](raw json.RawMessage) (any, error) {
	var c T
	if err := decodeStrict(raw, &c); err != nil {
		_, message := DescribeJSONError(raw, &c, err, "data.")
		return nil, errors.New(message)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("data.%w", err)
	}
	return c, nil
}

// decodeStrict decodes exactly one JSON value with no unknown fields and
// nothing after it.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("the body holds more than one JSON value; send exactly one object")
	}
	return nil
}

func (c CustomerUpserted) validate() error {
	errs := []error{checkID("external_id", c.ExternalID),
		checkText("name", c.Name), checkEmail("email", c.Email)}
	for _, provider := range slices.Sorted(maps.Keys(c.ProviderIDs)) {
		if !slices.Contains(Providers, provider) {
			errs = append(errs, fmt.Errorf("provider_ids: %q is not a provider (one of %s)", clip(provider), strings.Join(Providers, ", ")))
		}
		errs = append(errs, checkID("provider_ids."+provider, c.ProviderIDs[provider]))
	}
	return firstErr(errs...)
}

func (c UserDeactivated) validate() error {
	return firstErr(checkID("customer_external_id", c.CustomerExternalID),
		checkID("external_id", c.ExternalID))
}

func (c OrderCanceled) validate() error { return checkID("external_id", c.ExternalID) }

func (c SeatAssignRequested) validate() error {
	return firstErr(checkID("order_external_id", c.OrderExternalID),
		checkID("product_id", c.ProductID), checkID("user_external_id", c.UserExternalID))
}

func (c SeatUnassignRequested) validate() error { return SeatAssignRequested(c).validate() }

func (u UserUpserted) validate() error {
	return firstErr(checkID("customer_external_id", u.CustomerExternalID),
		checkID("external_id", u.ExternalID), checkEmail("email", u.Email),
		checkText("name", u.Name), checkEnum("status", u.Status, "active", "deactivated"),
		checkIDList("groups[%d]", u.Groups, func(g string) string { return g }))
}

// UnmarshalJSON fills the defaults and records whether "groups" was present.
func (u *UserUpserted) UnmarshalJSON(b []byte) error {
	type plain UserUpserted // sheds the methods, so decoding doesn't recurse
	var w struct {
		plain
		Status *string         `json:"status"`
		Groups json.RawMessage `json:"groups"`
	}
	if err := decodeStrict(b, &w); err != nil {
		return err
	}
	*u = UserUpserted(w.plain)
	u.Status = "active"
	if w.Status != nil {
		u.Status = *w.Status
	}
	switch string(w.Groups) {
	case "":
		return nil
	case "null":
		// Refused rather than read as "omitted": a Go sender's nil slice
		// encodes as null when it means "no groups", and guessing either
		// way would silently seat or unseat people.
		return errors.New("groups is null: send [] for no groups, or omit it to leave them unchanged")
	}
	u.GroupsSet = true
	return json.Unmarshal(w.Groups, &u.Groups) // [] yields an empty, non-nil slice
}

// MarshalJSON writes "groups" only when GroupsSet, and [] for an empty set,
// so encoding keeps "no groups" and "unchanged" apart.
func (u UserUpserted) MarshalJSON() ([]byte, error) {
	type plain UserUpserted
	w := struct {
		plain
		Groups *[]string `json:"groups,omitempty"`
	}{plain: plain(u)}
	if u.GroupsSet {
		groups := append([]string{}, u.Groups...)
		w.Groups = &groups
	}
	return json.Marshal(w)
}

func (o OrderUpserted) validate() error {
	for i, l := range o.Lines {
		if err := l.Check(o.CurrentPeriodEnd != nil); err != nil {
			return fmt.Errorf("lines[%d].%w", i, err)
		}
	}
	return firstErr(checkID("external_id", o.ExternalID),
		checkID("customer_external_id", o.CustomerExternalID),
		checkEnum("status", o.Status, "active", "canceled"),
		checkIDList("lines[%d].product_id", o.Lines, func(l OrderLine) string { return l.ProductID }))
}

// UnmarshalJSON fills the default status and insists on "lines": reading an
// omitted list as "no lines" would retire every seat of the order.
func (o *OrderUpserted) UnmarshalJSON(b []byte) error {
	type plain OrderUpserted
	var w struct {
		plain
		Status *string            `json:"status"`
		Lines  *[]json.RawMessage `json:"lines"`
	}
	if err := decodeStrict(b, &w); err != nil {
		return err
	}
	if w.Lines == nil {
		return errors.New("lines is required: send [] for an order without seats")
	}
	*o = OrderUpserted(w.plain)
	o.Status, o.Lines = "active", make([]OrderLine, len(*w.Lines))
	for i, raw := range *w.Lines {
		// One line at a time, so that a line's own error can say which.
		if err := json.Unmarshal(raw, &o.Lines[i]); errors.Is(err, errNoQuantity) {
			return fmt.Errorf("lines[%d].quantity is required; send 0 to drop the line's seats", i)
		} else if err != nil {
			return err
		}
	}
	if w.Status != nil {
		o.Status = *w.Status
	}
	return nil
}

// Line release settings: what happens to a seat freed on an elastic line.
const (
	ReleaseImmediate = "immediate"
	ReleasePeriodEnd = "period_end"
)

// Check checks one line's quantity, schedule and elastic settings, in the
// rules every way in shares (canonical events and the API); the message
// starts with the field's name within the line, for the caller to prefix
// with the line's path. periodEnd says whether the order names its period
// end, which a "period_end" release needs.
func (l OrderLine) Check(periodEnd bool) error {
	if l.Quantity < 0 || l.Quantity > MaxQuantity {
		return fmt.Errorf("quantity must be an integer from 0 to %d, not %d", MaxQuantity, l.Quantity)
	}
	switch {
	case (l.ScheduledQuantity == nil) != (l.ScheduledAt == nil):
		return errors.New("scheduled_quantity and scheduled_at come together: send both or neither")
	case l.ScheduledQuantity != nil && (*l.ScheduledQuantity < 0 || *l.ScheduledQuantity >= l.Quantity):
		return fmt.Errorf("scheduled_quantity must be an integer from 0 to quantity - 1 (%d), not %d", l.Quantity-1, *l.ScheduledQuantity)
	case l.MaxQuantity != nil && !l.Elastic:
		return errors.New("max_quantity is for elastic lines: send \"elastic\": true with it")
	case l.MaxQuantity != nil && (*l.MaxQuantity < l.Quantity || *l.MaxQuantity > MaxQuantity):
		return fmt.Errorf("max_quantity must be an integer from quantity (%d) to %d, not %d", l.Quantity, MaxQuantity, *l.MaxQuantity)
	case l.Release != "" && !l.Elastic:
		return errors.New("release is for elastic lines: send \"elastic\": true with it")
	case l.Release == ReleasePeriodEnd && !periodEnd:
		return errors.New("release \"period_end\" needs the order's current_period_end")
	case l.Release == "":
		return nil
	}
	return checkEnum("release", l.Release, ReleaseImmediate, ReleasePeriodEnd)
}

var errNoQuantity = errors.New("quantity is required")

// UnmarshalJSON insists on "quantity", since a forgotten one would read as 0
// and retire the line's seats.
func (l *OrderLine) UnmarshalJSON(b []byte) error {
	type plain OrderLine
	var w struct {
		plain
		Quantity *int `json:"quantity"`
	}
	if err := decodeStrict(b, &w); err != nil {
		return err
	}
	if w.Quantity == nil {
		return errNoQuantity
	}
	*l = OrderLine(w.plain)
	l.Quantity = *w.Quantity
	return nil
}
