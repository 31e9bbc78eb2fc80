package webhooks

import (
	"errors"
	"net/http"
	"time"
)

// Okta is a stub, replaced by the real verifier.
type Okta struct{}

func NewOkta(secrets []string) (*Okta, error) { return nil, errors.New("okta: not implemented") }

func (*Okta) Verify(h http.Header, body []byte, now time.Time) error { return ErrSignature }

func (*Okta) Events(h http.Header, body []byte) ([]Event, error) { return nil, ErrMalformed }

func (*Okta) Challenge(h http.Header) (any, error) { return nil, ErrSignature }

func decodeOkta(source string, payload []byte) (Envelope, error) { return Envelope{}, ErrMalformed }
