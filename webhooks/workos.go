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
)

// HeaderWorkOSSignature carries "t=<unix milliseconds>, v1=<hex>".
const HeaderWorkOSSignature = "WorkOS-Signature"

// DefaultWorkOSTolerance is the replay window of WorkOS's own SDKs.
const DefaultWorkOSTolerance = 180 * time.Second

// WorkOS verifies WorkOS webhook deliveries. It is safe for concurrent use.
type WorkOS struct {
	keys      [][]byte
	tolerance time.Duration
}

var _ Kind = (*WorkOS)(nil)

// NewWorkOS takes the endpoint secrets as shown in the WorkOS dashboard; the
// HMAC key is the secret string's bytes, as in every WorkOS SDK. Several
// secrets let an endpoint rotate without a window of 401s. A tolerance of
// zero means [DefaultWorkOSTolerance].
func NewWorkOS(secrets []string, tolerance time.Duration) (*WorkOS, error) {
	keys, tolerance, err := secretKeys("workos", secrets, tolerance, DefaultWorkOSTolerance, func(secret string) ([][]byte, error) {
		if err := checkIDPSecret(secret); err != nil {
			return nil, err
		}
		return [][]byte{[]byte(secret)}, nil
	})
	if err != nil {
		return nil, err
	}
	return &WorkOS{keys: keys, tolerance: tolerance}, nil
}

// checkIDPSecret refuses secrets that cannot be what the provider issued:
// an empty one would let anyone sign, and surrounding whitespace is a
// copy-paste accident that would otherwise show up as 401s on every delivery.
func checkIDPSecret(secret string) error {
	switch {
	case secret == "":
		return errors.New("is empty")
	case strings.TrimSpace(secret) != secret:
		return errors.New("has surrounding whitespace")
	}
	return nil
}

// Verify checks the signature against every configured secret first, so a
// forged request is always a signature error and a timestamp complaint always
// means a genuine but late (or replayed) delivery.
func (w *WorkOS) Verify(h http.Header, body []byte, now time.Time) error {
	lines := h.Values(HeaderWorkOSSignature)
	if len(lines) == 0 {
		return fmt.Errorf("missing %s header: %w", HeaderWorkOSSignature, ErrSignature)
	}
	rawTS, sigs, err := parseWorkOSSignature(strings.Join(lines, ","))
	if err != nil {
		return err
	}
	ts, ok := parseWorkOSMillis(rawTS)
	if !ok {
		return fmt.Errorf("%s t=%q is not unix milliseconds: %w", HeaderWorkOSSignature, clip(rawTS), ErrTimestamp)
	}
	if !w.match(rawTS, body, sigs) {
		return fmt.Errorf("no v1 entry of %s matches a configured secret: %w", HeaderWorkOSSignature, ErrSignature)
	}
	if age := now.Sub(ts); age > w.tolerance {
		return fmt.Errorf("%s t is %s old, tolerance %s: %w", HeaderWorkOSSignature, age, w.tolerance, ErrTimestamp)
	}
	if ahead := ts.Sub(now); ahead > w.tolerance {
		return fmt.Errorf("%s t is %s in the future, tolerance %s: %w", HeaderWorkOSSignature, ahead, w.tolerance, ErrTimestamp)
	}
	return nil
}

// parseWorkOSSignature splits "t=…, v1=…[, v1=…]". WorkOS puts a space after
// the comma; whitespace around entries is ignored so either spelling works.
// Keys other than t and v1 are skipped, so WorkOS can add a scheme before we
// understand it; a second t is refused, since it would leave open which
// timestamp was signed.
func parseWorkOSSignature(header string) (rawTS string, sigs []string, err error) {
	sawT := false
	for _, entry := range strings.Split(header, ",") {
		entry = strings.TrimSpace(entry)
		key, value, ok := strings.Cut(entry, "=")
		if !ok {
			return "", nil, fmt.Errorf("%s entry %q is not key=value: %w", HeaderWorkOSSignature, clip(entry), ErrSignature)
		}
		switch key {
		case "t":
			if sawT {
				return "", nil, fmt.Errorf("%s has more than one t entry: %w", HeaderWorkOSSignature, ErrSignature)
			}
			sawT, rawTS = true, value
		case "v1":
			sigs = append(sigs, value)
		}
	}
	switch {
	case !sawT:
		return "", nil, fmt.Errorf("%s has no t entry: %w", HeaderWorkOSSignature, ErrSignature)
	case len(sigs) == 0:
		return "", nil, fmt.Errorf("%s has no v1 entry: %w", HeaderWorkOSSignature, ErrSignature)
	}
	return rawTS, sigs, nil
}

// match tries every v1 entry against every key, comparing the hex text in
// constant time: WorkOS sends lowercase hex, and anything else was not
// produced by its signer.
func (w *WorkOS) match(rawTS string, body []byte, sigs []string) bool {
	for _, key := range w.keys {
		want := workosSignature(key, rawTS, body)
		for _, sig := range sigs {
			if hmac.Equal([]byte(sig), want) {
				return true
			}
		}
	}
	return false
}

// workosSignature is hex(HMAC-SHA256(key, t "." body)), with t as sent, so
// what we check is exactly what was signed.
func workosSignature(key []byte, rawTS string, body []byte) []byte {
	sum := hmacSHA256(key, []byte(rawTS), []byte{'.'}, body)
	out := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(out, sum)
	return out
}

// parseWorkOSMillis accepts decimal digits only, for the reason given at
// parseUnixSeconds.
func parseWorkOSMillis(s string) (time.Time, bool) {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(n), true
}

// Events returns the delivery's single event. An unknown type still needs a
// valid id and time, so that what is recorded about it is trustworthy.
func (w *WorkOS) Events(_ http.Header, body []byte) ([]Event, error) {
	var head struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, fmt.Errorf("workos event: %w: %w", jsonErr(body, &head, err, ""), ErrMalformed)
	}
	if err := checkIDPEventID("id", head.ID); err != nil {
		return nil, fmt.Errorf("workos event: %w: %w", jsonErr(body, &head, err, ""), ErrMalformed)
	}
	env, err := decodeWorkOS(body)
	return oneEvent(head.ID, env.Type, env.Timestamp, body, err)
}

// The helpers below are shared by the identity-provider kinds (workos, okta).

// checkIDPEventID holds a provider's event id to the rules of the webhook-id
// header (see checkEventID): it becomes a task id, a key and a log field.
func checkIDPEventID(field, id string) error {
	if err := checkID(field, id); err != nil {
		return err
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return fmt.Errorf("%s %q has a byte outside visible ASCII", field, clip(id))
		}
	}
	return nil
}

// parseIDPTime reads a required RFC 3339 event time, in UTC.
func parseIDPTime(field, v string) (time.Time, error) {
	t, err := rfc3339Time(field, v)
	switch {
	case err != nil:
		return time.Time{}, err
	case t == nil:
		return time.Time{}, fmt.Errorf("%s is required", field)
	}
	return *t, nil
}
