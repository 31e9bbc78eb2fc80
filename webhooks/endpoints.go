package webhooks

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// OutboundEventTypes are the event types an endpoint can subscribe to
// (SPEC §3).
var OutboundEventTypes = []string{
	"seat.assigned", "seat.revoked", "seat.invited", "seat.claimed", "seat.pool_updated", "user.deactivated",
	"seat.pool_exhausted", "seat.pool_available",
}

// DefaultSecretGrace is how long a rotated-out secret keeps signing unless
// configured otherwise, so that a subscriber can deploy the new one
// without a window of failed checks.
const DefaultSecretGrace = 24 * time.Hour

// EndpointError is an endpoint setting that registration refuses; its
// message reads well on its own, for the API and the command line alike.
type EndpointError struct {
	Field   string   // "url" or "event_types"
	Value   string   // the refused event type
	Allowed []string // the event types there are, for an event_types error
	Err     error
}

func (e *EndpointError) Error() string { return e.Err.Error() }

func (e *EndpointError) Unwrap() error { return e.Err }

// CheckEndpoint validates what an endpoint is registered with (see
// CheckEndpointURL and CheckEventTypes) and returns the event type filter
// without repeats. Its errors are *EndpointError.
func CheckEndpoint(url string, eventTypes []string, allowPrivate bool) ([]string, error) {
	if err := CheckEndpointURL(url, allowPrivate); err != nil {
		return nil, &EndpointError{Field: "url", Err: err}
	}
	return CheckEventTypes(eventTypes)
}

// CheckEventTypes validates an event type filter and drops repeats; empty
// means every type. Its errors are *EndpointError.
func CheckEventTypes(types []string) ([]string, error) {
	out := make([]string, 0, len(types))
	for _, t := range types {
		if !slices.Contains(OutboundEventTypes, t) {
			return nil, &EndpointError{Field: "event_types", Value: t, Allowed: OutboundEventTypes,
				Err: fmt.Errorf("unknown event type %q; event types are %s", t, strings.Join(OutboundEventTypes, ", "))}
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}
