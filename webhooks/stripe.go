package webhooks

import (
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// HeaderStripeSignature carries "t=<unix seconds>,v1=<hex>[,v1=<hex>…]".
const HeaderStripeSignature = "Stripe-Signature"

const (
	// DefaultStripeTolerance is the replay window of Stripe's own libraries.
	DefaultStripeTolerance = 300 * time.Second
	// Stripe endpoint secrets are "whsec_" and 32 or more characters (the
	// CLI's are 64 hex digits); under 16 can only be a typo or a placeholder.
	stripeSecretPrefix = "whsec_"
	minStripeSecretLen = 16
)

// Stripe verifies Stripe webhook deliveries. It is safe for concurrent use.
type Stripe struct {
	keys      [][]byte
	tolerance time.Duration
}

var _ Kind = (*Stripe)(nil)

// NewStripe takes endpoint signing secrets ("whsec_…"). Unlike Standard
// Webhooks secrets they are used as they are, prefix included, as the HMAC
// key: Stripe never base64-decodes them. Several are accepted so a secret can
// be rolled without a window of 401s. A tolerance of zero means
// [DefaultStripeTolerance].
func NewStripe(secrets []string, tolerance time.Duration) (*Stripe, error) {
	keys, tolerance, err := secretKeys("stripe", secrets, tolerance, DefaultStripeTolerance, stripeKey)
	if err != nil {
		return nil, err
	}
	return &Stripe{keys: keys, tolerance: tolerance}, nil
}

func stripeKey(secret string) ([][]byte, error) {
	rest, ok := strings.CutPrefix(secret, stripeSecretPrefix)
	switch {
	case !ok:
		// Most likely an API key (sk_…) or another kind's secret pasted
		// into the wrong place; failing at startup beats 401 forever.
		return nil, fmt.Errorf("missing %q prefix", stripeSecretPrefix)
	case len(rest) < minStripeSecretLen:
		return nil, fmt.Errorf("%d characters after the prefix, want at least %d", len(rest), minStripeSecretLen)
	case strings.ContainsFunc(secret, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		// A trailing newline from a secrets file would make every
		// signature mismatch, with nothing in the logs to say why.
		return nil, errors.New("contains whitespace or control characters")
	}
	return [][]byte{[]byte(secret)}, nil
}

// stripeSignature is a parsed Stripe-Signature header.
type stripeSignature struct {
	ts time.Time
	v1 [][]byte // decoded v1 entries
}

// parseStripeSignature follows stripe-go's parser where it matters for
// interoperability: entries are split on "," and "=" without trimming, an
// entry that is not exactly key=value spoils the whole header, unknown keys
// (v0, future schemes) are skipped, and so are v1 values that are not hex. It
// is stricter on what no Stripe sender produces and a forger might: a
// repeated t (which of them was signed?) and a signed or non-decimal t.
func parseStripeSignature(header string) (stripeSignature, error) {
	var sig stripeSignature
	if header == "" {
		return sig, fmt.Errorf("%s is empty: %w", HeaderStripeSignature, ErrSignature)
	}
	sawT, sawV1 := false, false
	for i, entry := range strings.Split(header, ",") {
		key, value, ok := strings.Cut(entry, "=")
		if !ok || strings.Contains(value, "=") {
			return sig, fmt.Errorf("%s entry %d is not key=value: %w", HeaderStripeSignature, i, ErrSignature)
		}
		switch key {
		case "t":
			if sawT {
				return sig, fmt.Errorf("%s has more than one t entry: %w", HeaderStripeSignature, ErrSignature)
			}
			sawT = true
			ts, ok := parseUnixSeconds(value)
			if !ok {
				return sig, fmt.Errorf("%s t %q is not unix seconds: %w", HeaderStripeSignature, clip(value), ErrTimestamp)
			}
			sig.ts = ts
		case "v1":
			sawV1 = true
			if b, err := hex.DecodeString(value); err == nil && len(b) > 0 {
				sig.v1 = append(sig.v1, b)
			}
		}
	}
	switch {
	case !sawT:
		return sig, fmt.Errorf("%s has no t entry: %w", HeaderStripeSignature, ErrTimestamp)
	case !sawV1:
		return sig, fmt.Errorf("%s has no v1 entry: %w", HeaderStripeSignature, ErrSignature)
	case len(sig.v1) == 0:
		return sig, fmt.Errorf("%s has no v1 entry in hex: %w", HeaderStripeSignature, ErrSignature)
	}
	return sig, nil
}

// Verify checks the delivery's signature against every configured secret,
// then its timestamp against now. The signature comes first so that a forged
// request is always reported as a bad signature, and a timestamp complaint
// always means a genuine but late (or replayed) delivery. Unlike stripe-go,
// a timestamp too far in the future is refused too: it would stretch the
// replay window by however far ahead the sender claims to be.
func (s *Stripe) Verify(h http.Header, body []byte, now time.Time) error {
	values := h.Values(HeaderStripeSignature)
	switch len(values) {
	case 0:
		return fmt.Errorf("missing %s header: %w", HeaderStripeSignature, ErrSignature)
	case 1:
	default:
		// Stripe sends one; with several, which t applies is anyone's guess.
		return fmt.Errorf("%s header sent %d times: %w", HeaderStripeSignature, len(values), ErrSignature)
	}
	sig, err := parseStripeSignature(values[0])
	if err != nil {
		return err
	}
	if !s.match(sig, body) {
		return fmt.Errorf("no v1 entry of %s matches a configured secret: %w", HeaderStripeSignature, ErrSignature)
	}
	if age := now.Sub(sig.ts); age > s.tolerance {
		return fmt.Errorf("%s t is %s old, tolerance %s: %w", HeaderStripeSignature, age, s.tolerance, ErrTimestamp)
	}
	if ahead := sig.ts.Sub(now); ahead > s.tolerance {
		return fmt.Errorf("%s t is %s in the future, tolerance %s: %w", HeaderStripeSignature, ahead, s.tolerance, ErrTimestamp)
	}
	return nil
}

// match tries every v1 entry against every key, comparing raw MAC bytes as
// stripe-go does (hex is one-to-one but for letter case, which Stripe's
// libraries accept either way).
func (s *Stripe) match(sig stripeSignature, body []byte) bool {
	// The timestamp is re-formatted rather than used as sent, as stripe-go
	// does, so a leading zero cannot make our signed text differ from theirs.
	signedTS := strconv.FormatInt(sig.ts.Unix(), 10)
	for _, key := range s.keys {
		want := stripeMAC(key, signedTS, body)
		for _, got := range sig.v1 {
			if hmac.Equal(got, want) {
				return true
			}
		}
	}
	return false
}

// stripeMAC is HMAC-SHA256(secret, t "." body).
func stripeMAC(key []byte, ts string, body []byte) []byte {
	return hmacSHA256(key, []byte(ts), []byte{'.'}, body)
}

// Events returns the delivery's single event: a Stripe endpoint posts one
// event per request. An unmapped type still needs a valid id, type and
// created, so that what gets recorded about it is trustworthy.
func (s *Stripe) Events(_ http.Header, body []byte) ([]Event, error) {
	ev, err := parseStripeEvent(body)
	if err != nil {
		return nil, err
	}
	_, err = mapStripe(ev)
	return oneEvent(ev.ID, ev.Type, ev.created, body, err)
}

// maxStripeCreated is 9999-12-31T23:59:59Z, the last second a Postgres
// timestamptz and time.Time's JSON encoding both handle.
const maxStripeCreated = 253402300799

// stripeEvent is the part of Stripe's event envelope seatsync reads.
type stripeEvent struct {
	ID      string          `json:"id"`
	Object  *string         `json:"object"`
	Type    string          `json:"type"`
	Created json.RawMessage `json:"created"` // parsed below, to say what is wrong
	Data    struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`

	created time.Time
}

// parseStripeEvent checks the envelope: the id keys the inbox, created
// decides staleness, and type picks the mapping, so all three are required
// whatever the type. Errors wrap ErrMalformed.
func parseStripeEvent(body []byte) (stripeEvent, error) {
	var ev stripeEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return ev, fmt.Errorf("stripe event: %w: %w", jsonErr(body, &ev, err, ""), ErrMalformed)
	}
	if ev.Object != nil && *ev.Object != "event" {
		// A "v2.core.event" is a thin event: no data, and created as a
		// string. Its destination must be a snapshot-event endpoint.
		return ev, fmt.Errorf("stripe event: object %q is not \"event\" (thin events are not supported): %w", clip(*ev.Object), ErrMalformed)
	}
	if err := firstErr(checkStripeEventID(ev.ID), checkID("type", ev.Type)); err != nil {
		return ev, fmt.Errorf("stripe event: %w: %w", jsonErr(body, &ev, err, ""), ErrMalformed)
	}
	created, err := stripeTime("created", ev.Created)
	switch {
	case err != nil:
		return ev, fmt.Errorf("stripe event %s: %w: %w", ev.ID, err, ErrMalformed)
	case created == nil:
		return ev, fmt.Errorf("stripe event %s: created is required: %w", ev.ID, ErrMalformed)
	}
	ev.created = *created
	return ev, nil
}

// checkStripeEventID allows visible ASCII only: the id becomes a task id, a
// key and a log field, where spaces and look-alike characters cause confusion.
func checkStripeEventID(id string) error {
	if err := checkID("id", id); err != nil {
		return err
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return fmt.Errorf("id %q has a byte outside visible ASCII", clip(id))
		}
	}
	return nil
}
