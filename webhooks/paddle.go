package webhooks

import (
	"errors"
	"net/http"
	"time"
)

// Paddle is a stub, replaced by the real verifier.
type Paddle struct{}

func NewPaddle(secrets []string, tolerance time.Duration) (*Paddle, error) {
	return nil, errors.New("paddle: not implemented")
}

func (*Paddle) Verify(h http.Header, body []byte, now time.Time) error { return ErrSignature }

func (*Paddle) Events(h http.Header, body []byte) ([]Event, error) { return nil, ErrMalformed }

func decodePaddle(payload []byte) (Envelope, error) { return Envelope{}, ErrMalformed }
