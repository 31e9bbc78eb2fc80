package webhooks

import (
	"errors"
	"net/http"
	"time"
)

// WorkOS is a stub, replaced by the real verifier.
type WorkOS struct{}

func NewWorkOS(secrets []string, tolerance time.Duration) (*WorkOS, error) {
	return nil, errors.New("workos: not implemented")
}

func (*WorkOS) Verify(h http.Header, body []byte, now time.Time) error { return ErrSignature }

func (*WorkOS) Events(h http.Header, body []byte) ([]Event, error) { return nil, ErrMalformed }

func decodeWorkOS(payload []byte) (Envelope, error) { return Envelope{}, ErrMalformed }
