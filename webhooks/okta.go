package webhooks

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Okta event hooks are not signed: the operator sets a secret header value
// when registering the hook, and Okta sends it on every request.
const (
	HeaderOktaAuthorization = "Authorization"
	HeaderOktaChallenge     = "X-Okta-Verification-Challenge"
)

// Okta verifies Okta event hook deliveries. It is safe for concurrent use.
type Okta struct {
	// digests of the secrets: comparing fixed-length digests keeps the
	// compare constant-time whatever the lengths, so a wrong guess does not
	// learn a secret's length.
	digests [][sha256.Size]byte
}

var _ interface {
	Kind
	Challenger
} = (*Okta)(nil)

// NewOkta takes the Authorization header values configured on the event
// hook; several let the operator rotate one without a window of 401s. There
// is no tolerance: Okta sends no timestamp to check.
func NewOkta(secrets []string) (*Okta, error) {
	if len(secrets) == 0 {
		return nil, errors.New("okta: no secrets configured")
	}
	digests := make([][sha256.Size]byte, 0, len(secrets))
	for i, secret := range secrets {
		if err := checkIDPSecret(secret); err != nil {
			// The index, never the value: this error ends up in startup logs.
			return nil, fmt.Errorf("okta: secret %d: %w", i, err)
		}
		digests = append(digests, sha256.Sum256([]byte(secret)))
	}
	return &Okta{digests: digests}, nil
}

// Verify checks the Authorization header against every configured secret.
// now is unused: without a signed timestamp there is no replay window to
// enforce, which is why each event's uuid is the idempotency key.
func (o *Okta) Verify(h http.Header, _ []byte, _ time.Time) error {
	return o.authorize(h)
}

func (o *Okta) authorize(h http.Header) error {
	values := h.Values(HeaderOktaAuthorization)
	switch {
	case len(values) == 0 || values[0] == "":
		return fmt.Errorf("missing %s header: %w", HeaderOktaAuthorization, ErrSignature)
	case len(values) > 1:
		// Two values leave open which one Okta sent; accepting either would
		// let an added header pass beside a wrong one.
		return fmt.Errorf("%d %s headers, want one: %w", len(values), HeaderOktaAuthorization, ErrSignature)
	}
	got := sha256.Sum256([]byte(values[0]))
	match := 0
	for _, want := range o.digests {
		match |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	if match != 1 {
		return fmt.Errorf("%s does not match a configured secret: %w", HeaderOktaAuthorization, ErrSignature)
	}
	return nil
}

// oktaVerification is the body of the answer to the one-time verification.
type oktaVerification struct {
	Verification string `json:"verification"`
}

// Challenge answers Okta's one-time verification GET by echoing its
// challenge header. The secret is checked first, so the endpoint proves
// ownership only to the Okta org that holds the secret.
func (o *Okta) Challenge(h http.Header) (any, error) {
	if err := o.authorize(h); err != nil {
		return nil, err
	}
	v := h.Get(HeaderOktaChallenge)
	if v == "" {
		return nil, fmt.Errorf("missing %s header: %w", HeaderOktaChallenge, ErrMalformed)
	}
	if err := checkID(HeaderOktaChallenge, v); err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrMalformed)
	}
	return oktaVerification{Verification: v}, nil
}

// Events returns one event per element of data.events. Each Payload is that
// one event object, since the worker applies (and deduplicates) events, not
// deliveries.
func (o *Okta) Events(_ http.Header, body []byte) ([]Event, error) {
	var delivery struct {
		Data *struct {
			Events *[]json.RawMessage `json:"events"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &delivery); err != nil {
		return nil, fmt.Errorf("okta delivery: %w: %w", jsonErr(body, &delivery, err, ""), ErrMalformed)
	}
	if delivery.Data == nil || delivery.Data.Events == nil {
		return nil, fmt.Errorf("okta delivery: data.events is required: %w", ErrMalformed)
	}
	raws := *delivery.Data.Events
	events := make([]Event, 0, len(raws))
	for i, raw := range raws {
		ev, err := oktaEvent(raw)
		if err != nil {
			return nil, fmt.Errorf("okta delivery: data.events[%d]: %w", i, err)
		}
		events = append(events, ev)
	}
	return events, nil
}

// oktaProbeSource stands in for the source name when Events checks that an
// event decodes: the name only fills in the command's customer reference.
const oktaProbeSource = "okta"

func oktaEvent(raw json.RawMessage) (Event, error) {
	var head struct {
		UUID string `json:"uuid"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return Event{}, fmt.Errorf("%w: %w", jsonErr(raw, &head, err, ""), ErrMalformed)
	}
	if err := checkIDPEventID("uuid", head.UUID); err != nil {
		return Event{}, fmt.Errorf("%w: %w", err, ErrMalformed)
	}
	env, err := decodeOkta(oktaProbeSource, raw)
	ev, err := mappedEvent(head.UUID, env.Type, env.Timestamp, raw, err)
	if err != nil {
		return Event{}, fmt.Errorf("uuid %s: %w", head.UUID, err)
	}
	return ev, nil
}
