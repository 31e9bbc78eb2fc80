package webhooks

import (
	"net/http"
	"time"
)

// DefaultPolarTolerance is the Standard Webhooks replay window Polar signs
// under.
const DefaultPolarTolerance = DefaultStandardTolerance

// Polar verifies Polar deliveries, which are Standard Webhooks with Polar's
// own choice of key. It is safe for concurrent use.
type Polar struct {
	std *Standard
}

var _ Kind = (*Polar)(nil)

// NewPolar takes the endpoint secrets exactly as Polar shows them. Several
// are accepted at once for rotation. A tolerance of zero means
// [DefaultPolarTolerance].
//
// Polar has signed with two keys over time, and the secret's text does not
// say which one an endpoint gets (polarsource/polar, server/polar/webhook:
// sign_webhook and WEBHOOK_STANDARD_SIGNATURE_CUTOFF):
//   - secrets generated before 2026-09-08: the UTF-8 bytes of the whole
//     secret string, prefix included (what the SDKs' validateEvent does by
//     base64-encoding the secret before handing it to a Standard Webhooks
//     library);
//   - secrets generated since: plain Standard Webhooks, the base64 after
//     "whsec_" decoded.
//
// So each secret yields the first key always, and the second when it has
// the Standard Webhooks form. Both come from the same secret, so accepting
// either grants nothing to anyone who lacks it.
func NewPolar(secrets []string, tolerance time.Duration) (*Polar, error) {
	keys, tolerance, err := secretKeys("polar", secrets, tolerance, DefaultPolarTolerance, func(secret string) ([][]byte, error) {
		keys, err := rawKey(minKeyLen)(secret)
		if decoded, derr := decodeSecret(secret); err == nil && derr == nil {
			keys = append(keys, decoded)
		}
		return keys, err
	})
	if err != nil {
		return nil, err
	}
	return &Polar{std: newStandardKeys(keys, tolerance)}, nil
}

// Verify checks the webhook-id, webhook-timestamp and webhook-signature
// headers exactly as the standard kind does.
func (p *Polar) Verify(h http.Header, body []byte, now time.Time) error {
	return p.std.Verify(h, body, now)
}

// Events returns the delivery's single event, keyed by the webhook-id
// header (Polar's body carries no event id of its own).
func (p *Polar) Events(h http.Header, body []byte) ([]Event, error) {
	return headerIDEvent(h, body, decodePolar)
}
