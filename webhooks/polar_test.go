package webhooks

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

const (
	// A secret from before Polar's switch to plain Standard Webhooks: keyed
	// by its own UTF-8 bytes. Its tail is not standard base64.
	polarLegacySecret = "whsec_LegacyPolarSecret-with_url-safe-chars0123"
	// Polar's older "polar_whs_" form, also keyed by its UTF-8 bytes.
	polarOldFormSecret = "polar_whs_4wkEsR5v62U3Ldlv6QYu77RTvsKLHJawUVu272zXoy3"
	// A secret from after the switch: "whsec_" and 32 random bytes.
	polarStandardSecret = "whsec_q0BS9ozqTWpJbH3QaT6sQ9ZoUmfQh6mZ2rvQ0Jq0o5c="
	polarUnknownSecret  = "polar_whs_notConfiguredAnywhereForTheseTests000000"

	polarID   = "msg_2vKZ6hL4Gx3mAq1sY8d0tRbFjNc"
	polarUnix = 1739176201
)

// polarSigned signs with the official Standard Webhooks library. raw picks
// the key Polar's SDKs use (the secret's bytes, NewWebhookRaw) over the
// specification's (base64 after "whsec_", NewWebhook).
func polarSigned(t testing.TB, secret string, raw bool, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if raw {
		wh, err = standardwebhooks.NewWebhookRaw([]byte(secret))
	}
	if err != nil {
		t.Fatal(err)
	}
	sig, err := wh.Sign(id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(HeaderWebhookID, id)
	h.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderWebhookSignature, sig)
	return h
}

func newTestPolar(t testing.TB) *Polar {
	t.Helper()
	p, err := NewPolar([]string{polarLegacySecret, polarOldFormSecret, polarStandardSecret}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPolarVerify(t *testing.T) {
	t.Parallel()
	sent := time.Unix(polarUnix, 0)
	body := polarFixture(t, "subscription.created")
	tests := []struct {
		name   string
		secret string
		std    bool // sign with the specification's key instead of the raw one
		edit   func(h http.Header, body []byte) []byte
		now    time.Time
		want   error
	}{
		{name: "legacy secret, raw key", secret: polarLegacySecret, now: sent},
		{name: "rotated second secret, raw key", secret: polarOldFormSecret, now: sent},
		{name: "new secret, raw key", secret: polarStandardSecret, now: sent},
		{name: "new secret, Standard Webhooks key", secret: polarStandardSecret, std: true, now: sent},
		{name: "prefix stripped is not the key", secret: strings.TrimPrefix(polarLegacySecret, "whsec_"), now: sent, want: ErrSignature},
		{name: "wrong secret", secret: polarUnknownSecret, now: sent, want: ErrSignature},
		{name: "wrong secret and stale is a signature error", secret: polarUnknownSecret, now: sent.Add(time.Hour), want: ErrSignature},
		{name: "several signatures in one header", secret: polarOldFormSecret, now: sent, edit: func(h http.Header, b []byte) []byte {
			other := polarSigned(t, polarUnknownSecret, true, polarID, sent, b).Get(HeaderWebhookSignature)
			h.Set(HeaderWebhookSignature, other+" v1a,xyz "+h.Get(HeaderWebhookSignature))
			return b
		}},
		{name: "tampered body", secret: polarLegacySecret, now: sent, want: ErrSignature, edit: func(_ http.Header, b []byte) []byte {
			return []byte(strings.Replace(string(b), `"seats": 5`, `"seats": 50`, 1))
		}},
		{name: "tampered id", secret: polarLegacySecret, now: sent, want: ErrSignature, edit: func(h http.Header, b []byte) []byte {
			h.Set(HeaderWebhookID, polarID+"x")
			return b
		}},
		{name: "old, just inside tolerance", secret: polarLegacySecret, now: sent.Add(5 * time.Minute)},
		{name: "old, just outside tolerance", secret: polarLegacySecret, now: sent.Add(5*time.Minute + time.Second), want: ErrTimestamp},
		{name: "new, just inside tolerance", secret: polarLegacySecret, now: sent.Add(-5 * time.Minute)},
		{name: "new, just outside tolerance", secret: polarLegacySecret, now: sent.Add(-5*time.Minute - time.Second), want: ErrTimestamp},
		{name: "missing webhook-id", secret: polarLegacySecret, now: sent, want: ErrSignature, edit: header(HeaderWebhookID)},
		{name: "missing webhook-timestamp", secret: polarLegacySecret, now: sent, want: ErrTimestamp, edit: header(HeaderWebhookTimestamp)},
		{name: "garbled webhook-timestamp", secret: polarLegacySecret, now: sent, want: ErrTimestamp, edit: header(HeaderWebhookTimestamp, "soon")},
		{name: "missing webhook-signature", secret: polarLegacySecret, now: sent, want: ErrSignature, edit: header(HeaderWebhookSignature)},
		{name: "signature without version", secret: polarLegacySecret, now: sent, want: ErrSignature, edit: func(h http.Header, b []byte) []byte {
			h.Set(HeaderWebhookSignature, strings.TrimPrefix(h.Get(HeaderWebhookSignature), "v1,"))
			return b
		}},
	}
	p := newTestPolar(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := append([]byte(nil), body...)
			h := polarSigned(t, tt.secret, !tt.std, polarID, sent, b)
			if tt.edit != nil {
				b = tt.edit(h, b)
			}
			err := p.Verify(h, b, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify() = %v, want %v", err, tt.want)
			}
			for _, s := range []string{polarLegacySecret, polarOldFormSecret, polarStandardSecret} {
				if err != nil && strings.Contains(err.Error(), s[10:]) {
					t.Errorf("error %q reveals a secret", err)
				}
			}
		})
	}
}

func TestNewPolar(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		secrets   []string
		tolerance time.Duration
		wantKeys  int
		wantErr   string // substring; "" means success
	}{
		{name: "legacy secret has one key", secrets: []string{polarLegacySecret}, wantKeys: 1},
		{name: "old form has one key", secrets: []string{polarOldFormSecret}, tolerance: time.Minute, wantKeys: 1},
		{name: "standard form has two keys", secrets: []string{polarStandardSecret}, wantKeys: 2},
		{name: "rotation", secrets: []string{polarLegacySecret, polarStandardSecret}, wantKeys: 3},
		{name: "no secrets", wantErr: "no secrets"},
		{name: "empty secret", secrets: []string{polarLegacySecret, ""}, wantErr: "secret 1: is 0 bytes"},
		{name: "short secret", secrets: []string{"whsec_abc"}, wantErr: "secret 0: is 9 bytes, want at least 16"},
		{name: "whitespace", secrets: []string{" " + polarOldFormSecret}, wantErr: "secret 0: has surrounding whitespace"},
		{name: "negative tolerance", secrets: []string{polarLegacySecret}, tolerance: -time.Second, wantErr: "negative tolerance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := NewPolar(tt.secrets, tt.tolerance)
			if tt.wantErr == "" {
				want := tt.tolerance
				if want == 0 {
					want = DefaultPolarTolerance
				}
				if err != nil || p.std.tolerance != want || len(p.std.signers) != tt.wantKeys {
					t.Fatalf("NewPolar() = %+v, %v; want tolerance %s and %d keys", p, err, want, tt.wantKeys)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewPolar() error = %v, want it to contain %q", err, tt.wantErr)
			}
			for _, s := range tt.secrets {
				if len(s) > 2 && strings.Contains(err.Error(), strings.TrimSpace(s)) {
					t.Errorf("error %q reveals a secret", err)
				}
			}
		})
	}
}

func TestPolarEvents(t *testing.T) {
	t.Parallel()
	revoked := string(polarFixture(t, "subscription.revoked"))
	tests := []struct {
		name, id, body string
		want           Event // ID and Payload are checked against the input
		wantErr        error
	}{
		{name: "mapped", id: polarID, body: revoked, want: Event{Type: "subscription.revoked", OccurredAt: time.Date(2025, 3, 10, 8, 30, 12, 331000000, time.UTC)}},
		{name: "unknown type is ignored", id: "msg_2", body: `{"type":"order.paid","timestamp":"2025-03-10T09:30:12+01:00","data":{"id":"o"}}`,
			want: Event{Type: "order.paid", OccurredAt: time.Date(2025, 3, 10, 8, 30, 12, 0, time.UTC), Ignored: true}},
		{name: "missing id", body: revoked, wantErr: ErrMalformed},
		{name: "id with a space", id: "msg 1", body: revoked, wantErr: ErrMalformed},
		{name: "not JSON", id: "msg_3", body: `type=order.paid`, wantErr: ErrMalformed},
		{name: "unknown type without timestamp", id: "msg_4", body: `{"type":"order.paid","data":{}}`, wantErr: ErrMalformed},
		{name: "missing type", id: "msg_5", body: `{"timestamp":"2025-03-10T08:30:12Z","data":{}}`, wantErr: ErrMalformed},
		{name: "mapped type with bad data", id: "msg_6", body: strings.Replace(revoked, `"seats": 12`, `"seats": -1`, 1), wantErr: ErrMalformed},
	}
	p := newTestPolar(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.id != "" {
				h.Set(HeaderWebhookID, tt.id)
			}
			body := []byte(tt.body)
			events, err := p.Events(h, body)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || events != nil {
					t.Fatalf("Events() = %v, %v; want error %v", events, err, tt.wantErr)
				}
				return
			}
			if err != nil || len(events) != 1 {
				t.Fatalf("Events() = %v, %v; want one event", events, err)
			}
			got := events[0]
			if got.ID != tt.id || got.Type != tt.want.Type || !got.OccurredAt.Equal(tt.want.OccurredAt) ||
				got.OccurredAt.Location() != time.UTC || got.Ignored != tt.want.Ignored || string(got.Payload) != tt.body {
				t.Errorf("Events()[0] = %+v, want %+v with the request's id and body", got, tt.want)
			}
			body[0] = '#'
			if string(got.Payload) != tt.body {
				t.Error("Payload aliases the request body")
			}
		})
	}
}
