package webhooks

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Header names of the Standard Webhooks specification (https://www.standardwebhooks.com).
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

const (
	secretPrefix = "whsec_"
	// minKeyLen rejects empty and toy keys at startup; 128 bits is the least
	// any sane generator produces, and the spec's own examples use 24 bytes.
	minKeyLen = 16
	// DefaultStandardTolerance is the specification's replay window.
	DefaultStandardTolerance = 5 * time.Minute
	// maxEventIDLen keeps the id usable as a queue task id and a key column.
	maxEventIDLen = 255
)

// The header names as net/http stores them: looked up in this form, they
// are not canonicalised (and allocated) again on every delivery.
var (
	keyWebhookID        = http.CanonicalHeaderKey(HeaderWebhookID)
	keyWebhookTimestamp = http.CanonicalHeaderKey(HeaderWebhookTimestamp)
	keyWebhookSignature = http.CanonicalHeaderKey(HeaderWebhookSignature)
)

// Standard verifies Standard Webhooks deliveries. It is safe for concurrent use.
type Standard struct {
	signers   []*StandardSigner // one per key
	tolerance time.Duration
}

var _ Kind = (*Standard)(nil)

// NewStandard decodes "whsec_<base64>" secrets. Several secrets are accepted
// at once so a sender can rotate its secret without a window of 401s. A
// tolerance of zero means [DefaultStandardTolerance].
func NewStandard(secrets []string, tolerance time.Duration) (*Standard, error) {
	keys, tolerance, err := secretKeys("standard webhooks", secrets, tolerance, DefaultStandardTolerance, func(secret string) ([][]byte, error) {
		key, err := decodeSecret(secret)
		return [][]byte{key}, err
	})
	if err != nil {
		return nil, err
	}
	return newStandardKeys(keys, tolerance), nil
}

// newStandardKeys builds a verifier from keys that are already bytes, for
// kinds that speak Standard Webhooks but derive their keys another way
// (Polar). The caller has applied the tolerance default.
func newStandardKeys(keys [][]byte, tolerance time.Duration) *Standard {
	signers := make([]*StandardSigner, len(keys))
	for i, key := range keys {
		signers[i] = newStandardSigner(key)
	}
	return &Standard{signers: signers, tolerance: tolerance}
}

func decodeSecret(secret string) ([]byte, error) {
	// The prefix is required, unlike in the official library: a secret without
	// it is most likely one meant for another kind (Polar keys are raw
	// strings), and failing at startup beats answering every delivery 401.
	encoded, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, fmt.Errorf("missing %q prefix", secretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("not standard base64 after the prefix: %w", err)
	}
	if len(key) < minKeyLen {
		return nil, fmt.Errorf("key is %d bytes, want at least %d", len(key), minKeyLen)
	}
	return key, nil
}

// Verify checks the delivery's signature against every configured secret,
// then its timestamp against now. The signature comes first so that a forged
// request is always reported as a bad signature, and a timestamp complaint
// always means a genuine but late (or replayed) delivery.
func (s *Standard) Verify(h http.Header, body []byte, now time.Time) error {
	id := h.Get(keyWebhookID)
	if id == "" {
		return fmt.Errorf("missing %s header: %w", HeaderWebhookID, ErrSignature)
	}
	rawTS := h.Get(keyWebhookTimestamp)
	if rawTS == "" {
		return fmt.Errorf("missing %s header: %w", HeaderWebhookTimestamp, ErrTimestamp)
	}
	ts, ok := parseUnixSeconds(rawTS)
	if !ok {
		return fmt.Errorf("%s %q is not unix seconds: %w", HeaderWebhookTimestamp, clip(rawTS), ErrTimestamp)
	}
	sigHeaders := h.Values(keyWebhookSignature)
	if len(sigHeaders) == 0 {
		return fmt.Errorf("missing %s header: %w", HeaderWebhookSignature, ErrSignature)
	}
	if err := s.match(id, rawTS, body, sigHeaders); err != nil {
		return err
	}
	if age := now.Sub(ts); age > s.tolerance {
		return fmt.Errorf("%s is %s old, tolerance %s: %w", HeaderWebhookTimestamp, age, s.tolerance, ErrTimestamp)
	}
	if ahead := ts.Sub(now); ahead > s.tolerance {
		return fmt.Errorf("%s is %s in the future, tolerance %s: %w", HeaderWebhookTimestamp, ahead, s.tolerance, ErrTimestamp)
	}
	return nil
}

// match tries every v1 entry of every signature header against every key.
// Entries of other versions are skipped rather than rejected, so a sender
// can add a new scheme alongside v1 before we understand it.
func (s *Standard) match(id, rawTS string, body []byte, sigHeaders []string) error {
	want := make([][]byte, len(s.signers)) // "v1,<base64>", as the entries are written
	for i, signer := range s.signers {
		want[i] = signer.AppendSignature(nil, id, rawTS, body)
	}
	sawV1 := false
	for _, header := range sigHeaders {
		for _, entry := range strings.Fields(header) {
			if !strings.HasPrefix(entry, "v1,") {
				continue
			}
			sawV1 = true
			// Comparing the base64 text, not decoded bytes: a lenient decoder
			// ignores the padding bits, so altered text could still match.
			for _, w := range want {
				if hmac.Equal([]byte(entry), w) {
					return nil
				}
			}
		}
	}
	if !sawV1 {
		return fmt.Errorf("%s has no v1 entry: %w", HeaderWebhookSignature, ErrSignature)
	}
	return fmt.Errorf("no v1 entry of %s matches a configured secret: %w", HeaderWebhookSignature, ErrSignature)
}

// dot separates the signed parts; a literal would be allocated on every
// call, as it escapes through the hash.Hash interface.
var dot = []byte{'.'}

// writeStandardSigned writes the signed text to m: a signature is
// base64(HMAC-SHA256(key, id "." timestamp "." body)), with the timestamp
// as sent, so that what is checked is exactly what was signed.
func writeStandardSigned(m hash.Hash, id, rawTS string, body []byte) hash.Hash {
	io.WriteString(m, id)
	m.Write(dot)
	io.WriteString(m, rawTS)
	m.Write(dot)
	m.Write(body)
	return m
}

// parseUnixSeconds accepts only decimal digits: strconv alone would also take
// a sign, which no sender produces and which would make the signed text and
// the parsed time disagree in ways nobody tests.
func parseUnixSeconds(s string) (time.Time, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// Events returns the delivery's single event. An unknown type still needs a
// valid envelope, so that its id and time are trustworthy when it is recorded.
func (s *Standard) Events(h http.Header, body []byte) ([]Event, error) {
	return headerIDEvent(h, body, DecodeStandard)
}

// headerIDEvent is the single event of a Standard Webhooks delivery: its id
// is the webhook-id header, its type and time come from the body, which
// decode validates. An unknown type still needs a valid envelope, so that
// its id and time are trustworthy.
func headerIDEvent(h http.Header, body []byte, decode func([]byte) (Envelope, error)) ([]Event, error) {
	id := h.Get(keyWebhookID)
	if err := checkEventID(id); err != nil {
		return nil, err
	}
	env, err := decode(body)
	return oneEvent(id, env.Type, env.Timestamp, body, err)
}

// mappedEvent is the event a kind extracted, given what mapping its payload
// said: an unknown type is kept, as Ignored; any other mapping error
// refuses the delivery, so bad input gets its 400 at the edge.
func mappedEvent(id, typ string, at time.Time, payload []byte, mapErr error) (Event, error) {
	ignored := errors.Is(mapErr, ErrUnknownType)
	if mapErr != nil && !ignored {
		return Event{}, mapErr
	}
	return Event{
		ID: id, Type: typ, OccurredAt: at,
		// A copy, because the handler may reuse its read buffer while the
		// event waits in the inbox or the queue.
		Payload: bytes.Clone(payload),
		Ignored: ignored,
	}, nil
}

// oneEvent is mappedEvent for the kinds that post one event per delivery.
func oneEvent(id, typ string, at time.Time, payload []byte, mapErr error) ([]Event, error) {
	ev, err := mappedEvent(id, typ, at, payload, mapErr)
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}

func checkEventID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("missing %s header: %w", HeaderWebhookID, ErrMalformed)
	case len(id) > maxEventIDLen:
		return fmt.Errorf("%s is %d bytes, limit %d: %w", HeaderWebhookID, len(id), maxEventIDLen, ErrMalformed)
	}
	for i := 0; i < len(id); i++ {
		// Visible ASCII only: the id becomes a task id, a key and a log field,
		// where spaces and control or look-alike characters cause confusion.
		if id[i] <= ' ' || id[i] > '~' {
			return fmt.Errorf("%s %q has a byte outside visible ASCII: %w", HeaderWebhookID, clip(id), ErrMalformed)
		}
	}
	return nil
}

// SignStandard returns the "v1,<base64>" value of a webhook-signature header
// for a delivery sent at ts, which must also be sent as the webhook-timestamp
// header in unix seconds.
func SignStandard(secret, id string, ts time.Time, body []byte) (string, error) {
	s, err := NewStandardSigner(secret)
	if err != nil {
		return "", err
	}
	return string(s.AppendSignature(nil, id, strconv.FormatInt(ts.Unix(), 10), body)), nil
}

// StandardSigner is SignStandard for one secret and many deliveries: the
// secret is decoded once and the HMAC states are reused (a state made anew
// costs its key schedule and allocations every time), which matters to the
// verifier (one signer per configured key) and to a sender signing
// thousands of requests a second (the load generator). It is safe for
// concurrent use.
type StandardSigner struct {
	macs sync.Pool // of HMAC-SHA256 states keyed with the secret
}

// NewStandardSigner checks and decodes a whsec_ secret.
func NewStandardSigner(secret string) (*StandardSigner, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return nil, fmt.Errorf("sign standard webhook: secret: %w", err)
	}
	return newStandardSigner(key), nil
}

func newStandardSigner(key []byte) *StandardSigner {
	return &StandardSigner{macs: sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

// AppendSignature appends the "v1,<base64>" webhook-signature value of a
// delivery to dst; rawTS is its webhook-timestamp header as sent.
func (s *StandardSigner) AppendSignature(dst []byte, id, rawTS string, body []byte) []byte {
	m := s.macs.Get().(hash.Hash)
	defer s.macs.Put(m)
	m.Reset()
	var sum [sha256.Size]byte
	dst = slices.Grow(dst, len("v1,")+base64.StdEncoding.EncodedLen(sha256.Size)) // one allocation at most
	return base64.StdEncoding.AppendEncode(append(dst, "v1,"...), writeStandardSigned(m, id, rawTS, body).Sum(sum[:0]))
}
