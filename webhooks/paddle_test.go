package webhooks

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	paddle "github.com/PaddleHQ/paddle-go-sdk/v4"
)

// A notification Paddle really signed, from paddle-go-sdk's verifier tests.
const (
	paddleVectorSecret = "pdl_ntfset_01hsdn8d43dt7mezr1ef2jtbaw_hKkRiCGyyRhbFwIUuqiTBgI7gnWoV0Gr"
	paddleVectorHeader = "ts=1710929255;h1=6c05ef8fa83c44d751be6d259ec955ce5638e2c54095bf128e408e2fce1589c8"
	paddleVectorBody   = `{"data":{"id":"pri_01hsdn96k2hxjzsq5yerecdj9j","name":null,"status":"active","quantity":{"maximum":999999,"minimum":1},"tax_mode":"account_setting","product_id":"pro_01hsdn8qp7yydry3x1yeg6a9rv","unit_price":{"amount":"1000","currency_code":"USD"},"custom_data":null,"description":"testing","import_meta":null,"trial_period":null,"billing_cycle":{"interval":"month","frequency":1},"unit_price_overrides":[]},"event_id":"evt_01hsdn97563968dy0szkmgjwh3","event_type":"price.created","occurred_at":"2024-03-20T10:07:35.590857Z","notification_id":"ntf_01hsdn977e920kbgzt6r6c9rqc"}`
	paddleVectorUnix   = 1710929255

	paddleRotatedSecret = "pdl_ntfset_01hv9zzzzzzzzzzzzzzzzzzzzz_rotatedSecretForTestsOnly0000"
	paddleUnknownSecret = "pdl_ntfset_01hv9yyyyyyyyyyyyyyyyyyyyy_notConfiguredAnywhere000000"
)

// paddleH1 is the tests' own signer, written from Paddle's documentation
// rather than shared with the code under test.
func paddleH1(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10) + ":"))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func paddleSigned(secret string, ts int64, body []byte) http.Header {
	h := http.Header{}
	h.Set(HeaderPaddleSignature, "ts="+strconv.FormatInt(ts, 10)+";h1="+paddleH1(secret, ts, body))
	return h
}

func newTestPaddle(t testing.TB, tolerance time.Duration) *Paddle {
	t.Helper()
	p, err := NewPaddle([]string{paddleVectorSecret, paddleRotatedSecret}, tolerance)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPaddleVerify(t *testing.T) {
	t.Parallel()
	sent := time.Unix(paddleVectorUnix, 0)
	body := []byte(paddleVectorBody)
	own := paddleH1(paddleVectorSecret, paddleVectorUnix, body)
	rotated := paddleH1(paddleRotatedSecret, paddleVectorUnix, body)
	tests := []struct {
		name   string
		header []string // Paddle-Signature lines; nil means the vector's
		body   string   // "" means the vector's
		now    time.Time
		want   error
	}{
		{name: "signed by Paddle", now: sent},
		{name: "our signer agrees with Paddle", header: []string{"ts=1710929255;h1=" + own}, now: sent},
		{name: "rotated second secret", header: []string{"ts=1710929255;h1=" + rotated}, now: sent},
		{name: "several h1, last matches", header: []string{"ts=1710929255;h1=" + strings.Repeat("0", 64) + ";h1=" + own}, now: sent},
		{name: "several h1 during rotation", header: []string{"ts=1710929255;h1=" + rotated + ";h1=" + paddleH1(paddleUnknownSecret, paddleVectorUnix, body)}, now: sent},
		{name: "unknown key skipped", header: []string{"ts=1710929255;h2=abc;h1=" + own}, now: sent},
		{name: "wrong secret", header: []string{"ts=1710929255;h1=" + paddleH1(paddleUnknownSecret, paddleVectorUnix, body)}, now: sent, want: ErrSignature},
		{name: "wrong secret and stale is a signature error", header: []string{"ts=1710929255;h1=" + paddleH1(paddleUnknownSecret, paddleVectorUnix, body)}, now: sent.Add(time.Hour), want: ErrSignature},
		{name: "tampered body", body: strings.Replace(paddleVectorBody, "1000", "1001", 1), now: sent, want: ErrSignature},
		{name: "tampered ts", header: []string{"ts=1710929256;h1=" + own}, now: sent, want: ErrSignature},
		{name: "ts with a leading zero is not what was signed", header: []string{"ts=01710929255;h1=" + own}, now: sent, want: ErrSignature},
		{name: "upper-case hex", header: []string{"ts=1710929255;h1=" + strings.ToUpper(own)}, now: sent, want: ErrSignature},
		{name: "old, just inside tolerance", now: sent.Add(5 * time.Minute)},
		{name: "old, just outside tolerance", now: sent.Add(5*time.Minute + time.Second), want: ErrTimestamp},
		{name: "new, just inside tolerance", now: sent.Add(-5 * time.Minute)},
		{name: "new, just outside tolerance", now: sent.Add(-5*time.Minute - time.Second), want: ErrTimestamp},
		{name: "missing header", header: []string{}, now: sent, want: ErrSignature},
		{name: "empty header", header: []string{""}, now: sent, want: ErrSignature},
		{name: "two header lines", header: []string{paddleVectorHeader, paddleVectorHeader}, now: sent, want: ErrSignature},
		{name: "entry without =", header: []string{"ts=1710929255;" + own}, now: sent, want: ErrSignature},
		{name: "empty key", header: []string{"ts=1710929255;=x;h1=" + own}, now: sent, want: ErrSignature},
		{name: "comma separated", header: []string{"ts=1710929255,h1=" + own}, now: sent, want: ErrSignature},
		{name: "no ts", header: []string{"h1=" + own}, now: sent, want: ErrSignature},
		{name: "two ts", header: []string{"ts=1710929255;ts=1710929255;h1=" + own}, now: sent, want: ErrSignature},
		{name: "no h1", header: []string{"ts=1710929255"}, now: sent, want: ErrSignature},
		{name: "empty h1", header: []string{"ts=1710929255;h1="}, now: sent, want: ErrSignature},
		{name: "garbled ts", header: []string{"ts=yesterday;h1=" + own}, now: sent, want: ErrTimestamp},
		{name: "signed ts", header: []string{"ts=+1710929255;h1=" + own}, now: sent, want: ErrTimestamp},
		{name: "milliseconds ts, signed as sent", header: []string{"ts=1710929255000;h1=" + paddleH1(paddleVectorSecret, 1710929255000, body)}, now: sent, want: ErrTimestamp},
		{name: "overflowing ts", header: []string{"ts=99999999999999999999;h1=" + own}, now: sent, want: ErrTimestamp},
	}
	p := newTestPaddle(t, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.header == nil {
				h.Set(HeaderPaddleSignature, paddleVectorHeader)
			}
			for _, v := range tt.header {
				h.Add(HeaderPaddleSignature, v)
			}
			b := body
			if tt.body != "" {
				b = []byte(tt.body)
			}
			err := p.Verify(h, b, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify() = %v, want %v", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), paddleVectorSecret) || strings.Contains(err.Error(), paddleRotatedSecret)) {
				t.Errorf("error %q reveals a secret", err)
			}
		})
	}
}

func TestPaddleConfiguredTolerance(t *testing.T) {
	t.Parallel()
	p := newTestPaddle(t, 10*time.Minute)
	h := http.Header{}
	h.Set(HeaderPaddleSignature, paddleVectorHeader)
	sent := time.Unix(paddleVectorUnix, 0)
	if err := p.Verify(h, []byte(paddleVectorBody), sent.Add(10*time.Minute)); err != nil {
		t.Errorf("Verify() at the edge of a 10m tolerance = %v", err)
	}
	if err := p.Verify(h, []byte(paddleVectorBody), sent.Add(10*time.Minute+time.Second)); !errors.Is(err, ErrTimestamp) {
		t.Errorf("Verify() past a 10m tolerance = %v, want ErrTimestamp", err)
	}
}

// TestPaddleAgreesWithSDK checks that what our verifier accepts, Paddle's
// own verifier accepts too, and that both refuse the same tampering.
func TestPaddleAgreesWithSDK(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, secret, body string }{
		{name: "notification", secret: paddleVectorSecret, body: `{"event_id":"evt_1","event_type":"customer.created"}`},
		{name: "rotated secret", secret: paddleRotatedSecret, body: paddleVectorBody},
		{name: "empty body", secret: paddleVectorSecret, body: ""},
		{name: "binary body", secret: paddleRotatedSecret, body: "\x00\xff:\n"},
	}
	p := newTestPaddle(t, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := time.Now() // the SDK reads the clock itself
			h := paddleSigned(tt.secret, now.Unix(), []byte(tt.body))
			sdk := paddle.NewWebhookVerifier(tt.secret, paddle.VerifierWithTimestampTolerance(DefaultPaddleTolerance))
			for _, body := range []string{tt.body, tt.body + "!"} {
				req := httptest.NewRequest(http.MethodPost, "/v1/webhooks/paddle", strings.NewReader(body))
				req.Header = h.Clone()
				sdkOK, sdkErr := sdk.Verify(req)
				ourErr := p.Verify(h, []byte(body), now)
				if sdkErr != nil || sdkOK != (ourErr == nil) {
					t.Errorf("body %q: SDK says %t (%v), we say %v", body, sdkOK, sdkErr, ourErr)
				}
				if want := body == tt.body; sdkOK != want {
					t.Errorf("body %q: SDK says %t, want %t", body, sdkOK, want)
				}
			}
		})
	}
}

func TestNewPaddle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		secrets   []string
		tolerance time.Duration
		wantErr   string // substring; "" means success
	}{
		{name: "one secret, default tolerance", secrets: []string{paddleVectorSecret}},
		{name: "rotation, own tolerance", secrets: []string{paddleVectorSecret, paddleRotatedSecret}, tolerance: time.Minute},
		{name: "no secrets", wantErr: "no secrets"},
		{name: "empty secret", secrets: []string{paddleVectorSecret, ""}, wantErr: "secret 1: is 0 bytes"},
		{name: "short secret", secrets: []string{"pdl_short"}, wantErr: "secret 0: is 9 bytes, want at least 16"},
		{name: "whitespace", secrets: []string{paddleVectorSecret + "\n"}, wantErr: "secret 0: has surrounding whitespace"},
		{name: "negative tolerance", secrets: []string{paddleVectorSecret}, tolerance: -time.Second, wantErr: "negative tolerance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := NewPaddle(tt.secrets, tt.tolerance)
			if tt.wantErr == "" {
				want := tt.tolerance
				if want == 0 {
					want = DefaultPaddleTolerance
				}
				if err != nil || p.tolerance != want || len(p.keys) != len(tt.secrets) {
					t.Fatalf("NewPaddle() = %+v, %v; want tolerance %s and %d keys", p, err, want, len(tt.secrets))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewPaddle() error = %v, want it to contain %q", err, tt.wantErr)
			}
			for _, s := range tt.secrets {
				if len(s) > 4 && strings.Contains(err.Error(), s) {
					t.Errorf("error %q reveals a secret", err)
				}
			}
		})
	}
}

func TestPaddleEvents(t *testing.T) {
	t.Parallel()
	created := string(paddleFixture(t, "subscription.created"))
	tests := []struct {
		name, body string
		want       Event // Payload is checked against body
		wantErr    error
	}{
		{name: "mapped", body: created, want: Event{ID: "evt_01hv8x2acma2gz5v0b1gpx2p7j", Type: "subscription.created",
			OccurredAt: time.Date(2024, 4, 12, 10, 18, 49, 621022000, time.UTC)}},
		{name: "unknown type is ignored", body: paddleVectorBody, want: Event{ID: "evt_01hsdn97563968dy0szkmgjwh3", Type: "price.created",
			OccurredAt: time.Date(2024, 3, 20, 10, 7, 35, 590857000, time.UTC), Ignored: true}},
		{name: "offset time is UTC", body: `{"event_id":"evt_2","event_type":"x.y","occurred_at":"2024-03-20T12:07:35+02:00","data":null}`,
			want: Event{ID: "evt_2", Type: "x.y", OccurredAt: time.Date(2024, 3, 20, 10, 7, 35, 0, time.UTC), Ignored: true}},
		{name: "not JSON", body: "event_id=evt_1", wantErr: ErrMalformed},
		{name: "missing event_id", body: strings.Replace(created, `"event_id"`, `"id"`, 1), wantErr: ErrMalformed},
		{name: "event_id with a space", body: strings.Replace(created, `"evt_01hv8x2acma2gz5v0b1gpx2p7j"`, `"evt 1"`, 1), wantErr: ErrMalformed},
		{name: "missing event_type", body: `{"event_id":"evt_3","occurred_at":"2024-03-20T10:07:35Z"}`, wantErr: ErrMalformed},
		{name: "unknown type without time", body: `{"event_id":"evt_4","event_type":"price.created"}`, wantErr: ErrMalformed},
		{name: "unknown type with unix time", body: `{"event_id":"evt_5","event_type":"price.created","occurred_at":"1710929255"}`, wantErr: ErrMalformed},
		{name: "mapped type with bad data", body: strings.Replace(created, `"quantity": 10`, `"quantity": -1`, 1), wantErr: ErrMalformed},
	}
	p := newTestPaddle(t, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(tt.body)
			events, err := p.Events(nil, body)
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
			if got.ID != tt.want.ID || got.Type != tt.want.Type || !got.OccurredAt.Equal(tt.want.OccurredAt) ||
				got.OccurredAt.Location() != time.UTC || got.Ignored != tt.want.Ignored || !bytes.Equal(got.Payload, []byte(tt.body)) {
				t.Errorf("Events()[0] = %+v, want %+v with the request's body", got, tt.want)
			}
			body[0] = '#'
			if string(got.Payload) != tt.body {
				t.Error("Payload aliases the request body")
			}
		})
	}
}
