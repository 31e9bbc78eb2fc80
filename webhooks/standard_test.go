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

// The Standard Webhooks specification's own test vector.
const (
	specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specBody   = `{"test": 2432232314}`
	specSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	specUnix   = 1614265330

	rotatedSecret = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24="
	unknownSecret = "whsec_bm90LWEtY29uZmlndXJlZC1zZWNyZXQ="
)

// officialHeader signs with the official library, so our verifier is checked
// against an implementation we did not write.
func officialHeader(t testing.TB, secret, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
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

func newTestStandard(t testing.TB) *Standard {
	t.Helper()
	s, err := NewStandard([]string{specSecret, rotatedSecret}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStandardVerify(t *testing.T) {
	t.Parallel()
	sent := time.Unix(specUnix, 0)
	body := []byte(specBody)
	tests := []struct {
		name   string
		secret string
		edit   func(h http.Header, body []byte) []byte
		now    time.Time
		want   error
	}{
		{name: "valid", now: sent},
		{name: "rotated secret", secret: rotatedSecret, now: sent},
		{name: "empty body", now: sent, edit: func(h http.Header, _ []byte) []byte {
			h.Set(HeaderWebhookSignature, officialHeader(t, specSecret, specID, sent, nil).Get(HeaderWebhookSignature))
			return nil
		}},
		{name: "several entries with v1a and garbage", now: sent, edit: func(h http.Header, b []byte) []byte {
			h.Set(HeaderWebhookSignature, "v1a,"+h.Get(HeaderWebhookSignature)[3:]+" garbage v2,abc  v1,bm9wZQ== v1, "+h.Get(HeaderWebhookSignature))
			return b
		}},
		{name: "match in a second header line", now: sent, edit: func(h http.Header, b []byte) []byte {
			return header(HeaderWebhookSignature, "v1,bm9wZQ==", h.Get(HeaderWebhookSignature))(h, b)
		}},
		{name: "wrong secret", secret: unknownSecret, now: sent, want: ErrSignature},
		{name: "wrong secret and stale is a signature error", secret: unknownSecret, now: sent.Add(time.Hour), want: ErrSignature},
		{name: "tampered body", now: sent, want: ErrSignature, edit: func(_ http.Header, b []byte) []byte {
			return []byte(strings.Replace(string(b), "2", "3", 1))
		}},
		{name: "tampered id", now: sent, want: ErrSignature, edit: func(h http.Header, b []byte) []byte {
			h.Set(HeaderWebhookID, specID+"x")
			return b
		}},
		{name: "tampered timestamp", now: sent, want: ErrSignature, edit: func(h http.Header, b []byte) []byte {
			h.Set(HeaderWebhookTimestamp, strconv.Itoa(specUnix+1))
			return b
		}},
		{name: "timestamp with leading zero is not what was signed", now: sent, want: ErrSignature, edit: func(h http.Header, b []byte) []byte {
			h.Set(HeaderWebhookTimestamp, "0"+h.Get(HeaderWebhookTimestamp))
			return b
		}},
		{name: "old, just inside tolerance", now: sent.Add(5 * time.Minute)},
		{name: "old, just outside tolerance", now: sent.Add(5*time.Minute + time.Second), want: ErrTimestamp},
		{name: "new, just inside tolerance", now: sent.Add(-5 * time.Minute)},
		{name: "new, just outside tolerance", now: sent.Add(-5*time.Minute - time.Second), want: ErrTimestamp},
		{name: "missing webhook-id", now: sent, want: ErrSignature, edit: header(HeaderWebhookID)},
		{name: "missing webhook-timestamp", now: sent, want: ErrTimestamp, edit: header(HeaderWebhookTimestamp)},
		{name: "missing webhook-signature", now: sent, want: ErrSignature, edit: header(HeaderWebhookSignature)},
		{name: "empty webhook-signature", now: sent, want: ErrSignature, edit: header(HeaderWebhookSignature, "")},
		{name: "garbled timestamp", now: sent, want: ErrTimestamp, edit: header(HeaderWebhookTimestamp, "yesterday")},
		{name: "signed timestamp", now: sent, want: ErrTimestamp, edit: header(HeaderWebhookTimestamp, "+1614265330")},
		{name: "negative timestamp", now: sent, want: ErrTimestamp, edit: header(HeaderWebhookTimestamp, "-1")},
		{name: "fractional timestamp", now: sent, want: ErrTimestamp, edit: header(HeaderWebhookTimestamp, "1614265330.5")},
		{name: "milliseconds timestamp, signed as sent", now: sent, want: ErrTimestamp, edit: func(h http.Header, b []byte) []byte {
			signer, _ := NewStandardSigner(specSecret)
			h.Set(HeaderWebhookTimestamp, "1614265330000")
			h.Set(HeaderWebhookSignature, string(signer.AppendSignature(nil, specID, "1614265330000", b)))
			return b
		}},
		{name: "milliseconds timestamp, signed as seconds", now: sent, want: ErrSignature, edit: header(HeaderWebhookTimestamp, "1614265330000")},
		{name: "overflowing timestamp", now: sent, want: ErrTimestamp, edit: header(HeaderWebhookTimestamp, "99999999999999999999")},
		{name: "signature without version", now: sent, want: ErrSignature, edit: header(HeaderWebhookSignature, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")},
		{name: "signature of another version only", now: sent, want: ErrSignature, edit: header(HeaderWebhookSignature, "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")},
		{name: "empty v1 signature", now: sent, want: ErrSignature, edit: header(HeaderWebhookSignature, "v1,")},
		{name: "signature with altered padding bits", now: sent, want: ErrSignature, edit: header(HeaderWebhookSignature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=")},
	}
	s := newTestStandard(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			secret := tt.secret
			if secret == "" {
				secret = specSecret
			}
			h := officialHeader(t, secret, specID, sent, body)
			b := append([]byte(nil), body...)
			if tt.edit != nil {
				b = tt.edit(h, b)
			}
			err := s.Verify(h, b, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify() = %v, want %v", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), specSecret[6:]) || strings.Contains(err.Error(), rotatedSecret[6:])) {
				t.Errorf("error %q reveals a secret", err)
			}
		})
	}
}

// header sets a header to value, or deletes it when no value is given.
func header(name string, value ...string) func(http.Header, []byte) []byte {
	return func(h http.Header, b []byte) []byte {
		h.Del(name)
		for _, v := range value {
			h.Add(name, v)
		}
		return b
	}
}

func TestSignStandardVerifiesWithOfficialLibrary(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, id, body string }{
		{name: "json", id: "evt_1", body: `{"type":"order.canceled"}`},
		{name: "empty body", id: "evt_2", body: ""},
		{name: "id with dots", id: "a.b.c", body: "x.y"},
		{name: "binary body", id: "evt_3", body: "\x00\xff\n"},
	}
	// The valid case of TestStandardVerify checks the vector's verification.
	if got, err := SignStandard(specSecret, specID, time.Unix(specUnix, 0), []byte(specBody)); got != specSig {
		t.Errorf("SignStandard(spec vector) = %q, %v; want %q", got, err, specSig)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := time.Now() // the official Verify reads the clock itself
			sig, err := SignStandard(rotatedSecret, tt.id, now, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			h.Set(HeaderWebhookID, tt.id)
			h.Set(HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
			h.Set(HeaderWebhookSignature, sig)
			wh, err := standardwebhooks.NewWebhook(rotatedSecret)
			if err != nil {
				t.Fatal(err)
			}
			if err := wh.Verify([]byte(tt.body), h); err != nil {
				t.Fatalf("official Verify(SignStandard()) = %v", err)
			}
			if err := wh.Verify([]byte(tt.body+"!"), h); err == nil {
				t.Fatal("official Verify accepted a tampered body")
			}
		})
	}
	if _, err := SignStandard("whsec_%%%", "id", time.Now(), nil); err == nil {
		t.Error("SignStandard accepted a garbled secret")
	}
}

func TestNewStandard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		secrets   []string
		tolerance time.Duration
		wantErr   string // substring; "" means success
	}{
		{name: "one secret, default tolerance", secrets: []string{specSecret}},
		{name: "rotation", secrets: []string{specSecret, rotatedSecret}, tolerance: time.Minute},
		{name: "no secrets", wantErr: "no secrets"},
		{name: "missing prefix", secrets: []string{specSecret, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, wantErr: `secret 1: missing "whsec_" prefix`},
		{name: "bad base64", secrets: []string{"whsec_MfKQ9r8GKYqrTwj!PD8ILPZIo2LaLaSw"}, wantErr: "secret 0: not standard base64"},
		{name: "url-safe base64", secrets: []string{rotatedSecret, "whsec_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-"}, wantErr: "secret 1: not standard base64"},
		{name: "empty key", secrets: []string{"whsec_"}, wantErr: "secret 0: key is 0 bytes"},
		{name: "short key", secrets: []string{"whsec_c2hvcnQ="}, wantErr: "secret 0: key is 5 bytes, want at least 16"},
		{name: "negative tolerance", secrets: []string{specSecret}, tolerance: -time.Second, wantErr: "negative tolerance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewStandard(tt.secrets, tt.tolerance)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				want := tt.tolerance
				if want == 0 {
					want = DefaultStandardTolerance
				}
				if s.tolerance != want || len(s.signers) != len(tt.secrets) {
					t.Errorf("got tolerance %s and %d keys, want %s and %d", s.tolerance, len(s.signers), want, len(tt.secrets))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewStandard() error = %v, want it to contain %q", err, tt.wantErr)
			}
			for _, secret := range tt.secrets {
				if len(secret) > len("whsec_") && strings.Contains(err.Error(), strings.TrimPrefix(secret, "whsec_")) {
					t.Errorf("error %q reveals a secret", err)
				}
			}
		})
	}
}

func TestStandardEvents(t *testing.T) {
	t.Parallel()
	const known = `{"type":"order.canceled","timestamp":"2026-01-02T03:04:05.5+01:00","data":{"external_id":"o1"}}`
	occurred := time.Date(2026, 1, 2, 2, 4, 5, 5e8, time.UTC)
	tests := []struct {
		name, id, body string
		want           Event // ID and Payload are checked against the input
		wantErr        error
	}{
		{name: "known type", id: "msg_1", body: known, want: Event{Type: "order.canceled", OccurredAt: occurred}},
		{name: "unknown type is ignored", id: "msg_2", body: `{"type":"invoice.paid","timestamp":"2026-01-02T02:04:05.5Z","data":[1]}`,
			want: Event{Type: "invoice.paid", OccurredAt: occurred, Ignored: true}},
		{name: "id of 255 bytes", id: strings.Repeat("a", 255), body: known, want: Event{Type: "order.canceled", OccurredAt: occurred}},
		{name: "missing id", body: known, wantErr: ErrMalformed},
		{name: "id of 256 bytes", id: strings.Repeat("a", 256), body: known, wantErr: ErrMalformed},
		{name: "id with a space", id: "msg 1", body: known, wantErr: ErrMalformed},
		{name: "id with a control byte", id: "msg\x7f", body: known, wantErr: ErrMalformed},
		{name: "id not ASCII", id: "msg_é", body: known, wantErr: ErrMalformed},
		{name: "not JSON", id: "msg_3", body: `type=order.canceled`, wantErr: ErrMalformed},
		{name: "known type with bad data", id: "msg_4", body: `{"type":"order.canceled","timestamp":"2026-01-02T02:04:05Z","data":{}}`, wantErr: ErrMalformed},
		{name: "unknown type without timestamp", id: "msg_5", body: `{"type":"invoice.paid","data":{}}`, wantErr: ErrMalformed},
		{name: "unknown type with bad timestamp", id: "msg_6", body: `{"type":"invoice.paid","timestamp":"1614265330","data":{}}`, wantErr: ErrMalformed},
	}
	s := newTestStandard(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.id != "" {
				h.Set(HeaderWebhookID, tt.id)
			}
			body := []byte(tt.body)
			events, err := s.Events(h, body)
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
				got.Ignored != tt.want.Ignored || string(got.Payload) != tt.body {
				t.Errorf("Events()[0] = %+v, want %+v with the request's id and body", got, tt.want)
			}
			body[0] = '#'
			if string(got.Payload) != tt.body {
				t.Error("Payload aliases the request body")
			}
		})
	}
}
