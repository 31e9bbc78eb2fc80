// Package webhooks is seatsync's edge to other systems' webhooks.
//
// Inbound, each provider kind implements [Kind] (so far seatsync's own
// "standard" kind; stripe, paddle, polar, workos and okta follow). Verify authenticates a
// delivery from its headers and raw body alone, before anything parses the
// body, so an unauthenticated sender never reaches a JSON decoder. Events then
// turns the verified body into [Event] values keyed by the provider's own event
// id, which the receiver makes durable and enqueues; the id is what makes
// redelivery harmless downstream. Both methods are pure (no I/O, and the clock
// is an argument), so every rule is table-tested and fuzzed without a server.
//
// Failures are classified by three sentinels that the HTTP handler maps to
// status codes through one table: [ErrSignature] and [ErrTimestamp] answer
// 401, [ErrMalformed] 400. An unknown event type is not a failure: it comes back
// as an Ignored event, so the provider gets a 202 and stops retrying something
// seatsync will never apply.
//
// The "standard" kind carries seatsync's canonical commands; [DecodeStandard]
// validates them completely at the edge, so a sender learns about a bad event
// from the 400 instead of from a worker that retries it forever.
//
// Outbound, [Sender] posts seatsync's own seat events to subscribers,
// signed by [SignOutbound] with every active secret so any Standard Webhooks
// library verifies them, and refuses private addresses at connect time;
// [CheckEndpointURL] turns a bad endpoint URL away at registration.
package webhooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// Sentinels the HTTP handler maps to status codes. Errors returned by this
// package wrap exactly one of them, plus a message saying what was wrong; the
// messages never contain secrets.
var (
	ErrSignature = errors.New("invalid signature")
	ErrTimestamp = errors.New("timestamp out of tolerance")
	ErrMalformed = errors.New("malformed event")
)

// Event is one inbound event, extracted from a verified delivery.
type Event struct {
	// ID is the provider's event id; it is the idempotency key of the inbox.
	ID string
	// Type is the provider's event type, e.g. "user.upserted".
	Type string
	// OccurredAt is the provider's own event time, which decides staleness;
	// the time of delivery would let a late retry overwrite newer state.
	OccurredAt time.Time
	// Payload is what the worker decodes later.
	Payload json.RawMessage
	// Ignored marks an unknown type: acknowledged and counted, never stored
	// or applied.
	Ignored bool
}

// Kind is one provider's wire format. Implementations do no I/O and read no
// clock, so the handler decides what "now" is and tests can pin it.
type Kind interface {
	// Verify authenticates a delivery without parsing the body. Errors wrap
	// ErrSignature or ErrTimestamp.
	Verify(h http.Header, body []byte, now time.Time) error
	// Events extracts the events of a verified delivery. Errors wrap
	// ErrMalformed.
	Events(h http.Header, body []byte) ([]Event, error)
}

// The field checks below are shared by every kind's parser, so that an id is
// held to the same rules whichever provider it came from. Their limits keep
// one event from becoming an outsized row or log line downstream.
const (
	maxIDLen   = 255
	maxTextLen = 1024
	maxEmail   = 254 // RFC 5321's limit on a forward path
)

// clip bounds sender-controlled text quoted in an error, which is both logged
// and sent back in the 4xx answer.
func clip(s string) string {
	const limit = 32
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkID validates a required identifier. Surrounding whitespace is refused
// rather than trimmed: "a" and "a " would otherwise be two customers.
func checkID(field, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%s is required", field)
	case len(v) > maxIDLen:
		return fmt.Errorf("%s is %d bytes, limit %d", field, len(v), maxIDLen)
	case strings.TrimSpace(v) != v:
		return fmt.Errorf("%s %q has surrounding whitespace", field, clip(v))
	}
	return checkText(field, v)
}

// checkText validates an optional free-text field.
func checkText(field, v string) error {
	if len(v) > maxTextLen {
		return fmt.Errorf("%s is %d bytes, limit %d", field, len(v), maxTextLen)
	}
	if strings.ContainsFunc(v, unicode.IsControl) {
		return fmt.Errorf("%s contains control characters", field)
	}
	return checkStorableText(field, v)
}

// checkEmail is deliberately shallow: the identity provider owns the address,
// and seatsync only needs one it can match an invitation against.
func checkEmail(field, v string) error {
	if v == "" {
		return nil
	}
	at := strings.LastIndexByte(v, '@')
	switch {
	case len(v) > maxEmail:
		return fmt.Errorf("%s is %d bytes, limit %d", field, len(v), maxEmail)
	case at <= 0 || at == len(v)-1 || strings.ContainsFunc(v, unicode.IsSpace):
		return fmt.Errorf("%s %q is not an email address", field, clip(v))
	}
	return checkText(field, v)
}

// checkIDList checks that every element's id is valid and unique; a repeat
// would make "the complete set" ambiguous.
func checkIDList[T any](field string, list []T, id func(T) string) error {
	seen := make(map[string]int, len(list))
	for i, elem := range list {
		v, name := id(elem), fmt.Sprintf(field, i)
		if err := checkID(name, v); err != nil {
			return err
		}
		if j, dup := seen[v]; dup {
			return fmt.Errorf("%s %q repeats element %d", name, clip(v), j)
		}
		seen[v] = i
	}
	return nil
}

func checkEnum(field, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("%s %q is not one of %s", field, clip(v), strings.Join(allowed, ", "))
}
