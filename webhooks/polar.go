package webhooks

import (
	"errors"
	"net/http"
	"time"
)

// Polar is a stub, replaced by the real verifier.
type Polar struct{}

func NewPolar(secrets []string, tolerance time.Duration) (*Polar, error) {
	return nil, errors.New("polar: not implemented")
}

func (*Polar) Verify(h http.Header, body []byte, now time.Time) error { return ErrSignature }

func (*Polar) Events(h http.Header, body []byte) ([]Event, error) { return nil, ErrMalformed }

func decodePolar(payload []byte) (Envelope, error) { return Envelope{}, ErrMalformed }
