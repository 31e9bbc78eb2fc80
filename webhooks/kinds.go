package webhooks

import (
	"fmt"
	"net/http"
	"time"
)

// Providers are the systems whose objects a customer can be linked to.
var Providers = []string{"stripe", "paddle", "polar", "workos", "okta"}

// ProviderRef names a customer by a provider's id for it (a Stripe cus_…,
// a WorkOS org_…), for events that do not know seatsync's external id.
// When set it takes the place of a command's CustomerExternalID; an unlinked
// provider id makes a customer whose external id is that provider id.
type ProviderRef struct {
	Provider string
	ID       string
}

// IsZero reports whether the command names its customer by external id.
func (r ProviderRef) IsZero() bool { return r.Provider == "" }

// UserGroupChanged adds a user to, or removes them from, one identity
// group. Only providers emit it: they report memberships one at a time,
// while the canonical user.upserted carries the whole list.
type UserGroupChanged struct {
	CustomerExternalID string
	Customer           ProviderRef
	UserExternalID     string
	Group              string
	Member             bool
}

// Challenger is a Kind that answers a provider's one-time verification
// request (Okta's GET with X-Okta-Verification-Challenge) with the JSON
// value to send back.
type Challenger interface {
	Challenge(h http.Header) (any, error)
}

// NewKind builds the verifier of a source of the given kind. A tolerance of
// zero means the kind's own default.
func NewKind(kind string, secrets []string, tolerance time.Duration) (Kind, error) {
	switch kind {
	case "standard":
		return NewStandard(secrets, tolerance)
	case "stripe":
		return NewStripe(secrets, tolerance)
	case "paddle":
		return NewPaddle(secrets, tolerance)
	case "polar":
		return NewPolar(secrets, tolerance)
	case "workos":
		return NewWorkOS(secrets, tolerance)
	case "okta":
		return NewOkta(secrets)
	}
	return nil, fmt.Errorf("unknown source kind %q", kind)
}

// Decode turns one stored event of a kind into its command. source is the
// name of the source it came through: an Okta organisation is known to
// seatsync only by the source its hook posts to. Errors wrap ErrMalformed,
// or ErrUnknownType for a type the kind does not map.
func Decode(kind, source string, payload []byte) (Envelope, error) {
	env, err := decodeKind(kind, source, payload)
	if err == nil {
		if err = checkStorable(env.Command); err != nil {
			return Envelope{}, malformedf("%s event: %v", env.Type, err)
		}
	}
	return env, err
}

func decodeKind(kind, source string, payload []byte) (Envelope, error) {
	switch kind {
	case "standard":
		return DecodeStandard(payload)
	case "stripe":
		return decodeStripe(payload)
	case "paddle":
		return decodePaddle(payload)
	case "polar":
		return decodePolar(payload)
	case "workos":
		return decodeWorkOS(payload)
	case "okta":
		return decodeOkta(source, payload)
	}
	return Envelope{}, fmt.Errorf("unknown source kind %q: %w", kind, ErrMalformed)
}
