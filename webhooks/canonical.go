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
	OrderLine struct {
		ProductID string `json:"product_id"`
		Quantity  int    `json:"quantity"`
	}
	// OrderUpserted.Status is "active" (the default) or "canceled"; Lines is
	// the order's complete set, so it is required even when empty.
	OrderUpserted struct {
		ExternalID         string      `json:"external_id"`
		CustomerExternalID string      `json:"customer_external_id"`
		Customer           ProviderRef `json:"-"`
		Status             string      `json:"status,omitempty"`
		Lines              []OrderLine `json:"lines"`
	}
	OrderCanceled struct {
		ExternalID string `json:"external_id"`
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
		if l.Quantity < 0 || l.Quantity > MaxQuantity {
			return fmt.Errorf("lines[%d].quantity must be an integer from 0 to %d, not %d", i, MaxQuantity, l.Quantity)
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
	*l = OrderLine{ProductID: w.ProductID, Quantity: *w.Quantity}
	return nil
}
