package webhooks

import (
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// HeaderPaddleSignature carries "ts=<unix seconds>;h1=<hex HMAC-SHA256>"
// (https://developer.paddle.com/webhooks/signature-verification).
const HeaderPaddleSignature = "Paddle-Signature"

// DefaultPaddleTolerance is the replay window used when a source sets none;
// Paddle leaves it to the receiver and its examples use five minutes.
const DefaultPaddleTolerance = 5 * time.Minute

// minPaddleSecretLen refuses empty and toy secrets at startup. Paddle's own
// (pdl_ntfset_…) are far longer.
const minPaddleSecretLen = 16

// Paddle verifies Paddle Billing notifications. It is safe for concurrent use.
type Paddle struct {
	keys      [][]byte
	tolerance time.Duration
}

var _ Kind = (*Paddle)(nil)

// NewPaddle takes the endpoint secret keys as Paddle shows them; the HMAC
// key is the secret string's bytes. Several are accepted at once so a
// secret can be rotated without a window of 401s. A tolerance of zero means
// [DefaultPaddleTolerance].
func NewPaddle(secrets []string, tolerance time.Duration) (*Paddle, error) {
	keys, tolerance, err := secretKeys("paddle", secrets, tolerance, DefaultPaddleTolerance, rawKey(minPaddleSecretLen))
	if err != nil {
		return nil, err
	}
	return &Paddle{keys: keys, tolerance: tolerance}, nil
}

// paddleSignature is a parsed Paddle-Signature header.
type paddleSignature struct {
	rawTS string   // as sent, since that is what was signed
	h1    []string // one per active secret while Paddle rotates one
}

// parsePaddleSignature splits "ts=…;h1=…[;h1=…]". Keys other than ts and h1
// are skipped, so Paddle can add a scheme beside h1 without breaking us;
// anything that is not key=value, or a second ts, is a garbled header.
func parsePaddleSignature(header string) (paddleSignature, error) {
	var sig paddleSignature
	sawTS := false
	for i, entry := range strings.Split(header, ";") {
		key, value, ok := strings.Cut(entry, "=")
		if !ok || key == "" {
			return sig, fmt.Errorf("%s entry %d %q is not key=value: %w", HeaderPaddleSignature, i, clip(entry), ErrSignature)
		}
		switch key {
		case "ts":
			if sawTS {
				return sig, fmt.Errorf("%s has more than one ts entry: %w", HeaderPaddleSignature, ErrSignature)
			}
			sawTS, sig.rawTS = true, value
		case "h1":
			sig.h1 = append(sig.h1, value)
		}
	}
	if !sawTS {
		return sig, fmt.Errorf("%s has no ts entry: %w", HeaderPaddleSignature, ErrSignature)
	}
	if len(sig.h1) == 0 {
		return sig, fmt.Errorf("%s has no h1 entry: %w", HeaderPaddleSignature, ErrSignature)
	}
	return sig, nil
}

// Verify checks the signature against every configured secret, then the
// timestamp against now. The signature comes first, as in [Standard.Verify],
// so a forged request is always reported as a bad signature.
func (p *Paddle) Verify(h http.Header, body []byte, now time.Time) error {
	values := h.Values(HeaderPaddleSignature)
	switch len(values) {
	case 0:
		return fmt.Errorf("missing %s header: %w", HeaderPaddleSignature, ErrSignature)
	case 1:
	default:
		// Paddle sends one; with several, which ts was signed is ambiguous.
		return fmt.Errorf("%d %s headers, want one: %w", len(values), HeaderPaddleSignature, ErrSignature)
	}
	sig, err := parsePaddleSignature(values[0])
	if err != nil {
		return err
	}
	ts, ok := parseUnixSeconds(sig.rawTS)
	if !ok {
		return fmt.Errorf("%s ts %q is not unix seconds: %w", HeaderPaddleSignature, clip(sig.rawTS), ErrTimestamp)
	}
	if !p.match(sig, body) {
		return fmt.Errorf("no h1 entry of %s matches a configured secret: %w", HeaderPaddleSignature, ErrSignature)
	}
	if age := now.Sub(ts); age > p.tolerance {
		return fmt.Errorf("%s ts is %s old, tolerance %s: %w", HeaderPaddleSignature, age, p.tolerance, ErrTimestamp)
	}
	if ahead := ts.Sub(now); ahead > p.tolerance {
		return fmt.Errorf("%s ts is %s in the future, tolerance %s: %w", HeaderPaddleSignature, ahead, p.tolerance, ErrTimestamp)
	}
	return nil
}

// match tries every h1 entry against every key. It compares the hex text
// Paddle sends (always lower case), so no decoder leniency can let an
// altered value through.
func (p *Paddle) match(sig paddleSignature, body []byte) bool {
	matched := false
	for _, key := range p.keys {
		want := paddleMAC(key, sig.rawTS, body)
		for _, got := range sig.h1 {
			// No early return: the time taken says nothing about which
			// entry or secret came close.
			if hmac.Equal([]byte(got), want) {
				matched = true
			}
		}
	}
	return matched
}

// paddleMAC is hex(HMAC-SHA256(key, ts ":" body)).
func paddleMAC(key []byte, rawTS string, body []byte) []byte {
	return []byte(hex.EncodeToString(hmacSHA256(key, []byte(rawTS), []byte{':'}, body)))
}

// Events returns the notification's single event, keyed by Paddle's
// event_id (evt_…), which stays the same across redeliveries.
func (p *Paddle) Events(_ http.Header, body []byte) ([]Event, error) {
	pe, err := parsePaddleEnvelope(body)
	if err != nil {
		return nil, err
	}
	_, err = pe.decode()
	return oneEvent(pe.ID, pe.Type, pe.OccurredAt, body, err)
}

// checkPaddleEventID holds the body's event id to the rules the
// webhook-id header meets elsewhere: it becomes a task id and a key.
func checkPaddleEventID(id string) error {
	if err := checkID("event_id", id); err != nil {
		return err
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return fmt.Errorf("event_id %q has a byte outside visible ASCII", clip(id))
		}
	}
	return nil
}
