package webhooks

import (
	"errors"
	"net/http"
	"time"
)

// Stripe is a stub, replaced by the real verifier.
type Stripe struct{}

func NewStripe(secrets []string, tolerance time.Duration) (*Stripe, error) {
	return nil, errors.New("stripe: not implemented")
}

func (*Stripe) Verify(h http.Header, body []byte, now time.Time) error { return ErrSignature }

func (*Stripe) Events(h http.Header, body []byte) ([]Event, error) { return nil, ErrMalformed }

func decodeStripe(payload []byte) (Envelope, error) { return Envelope{}, ErrMalformed }
