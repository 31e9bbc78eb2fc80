package webhooks

import (
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"
)

const (
	stripeSecret        = "whsec_Zm9yLXRlc3RzLW9ubHktc3RyaXBlLTAx"
	stripeRotatedSecret = "whsec_c2Vjb25kLXN0cmlwZS1zZWNyZXQtMDI"
	stripeUnknownSecret = "whsec_bm90LWNvbmZpZ3VyZWQtc3RyaXBlLTAz"
	stripeUnix          = 1741600000
)

// stripeSig signs with stripe-go, so our verifier is checked against the
// official implementation rather than against itself. It returns the whole
// header and the bare v1 hex.
func stripeSig(secret string, ts time.Time, body []byte) (header, v1 string) {
	p := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: ts})
	return p.Header, hex.EncodeToString(p.Signature)
}

func newTestStripe(t testing.TB) *Stripe {
	t.Helper()
	s, err := NewStripe([]string{stripeSecret, stripeRotatedSecret}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func stripeHeader(values ...string) http.Header {
	h := http.Header{}
	for _, v := range values {
		h.Add(HeaderStripeSignature, v)
	}
	return h
}

func TestNewStripe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		tol     time.Duration
		wantErr string
	}{
		{name: "default tolerance", secrets: []string{stripeSecret}},
		{name: "no secrets", wantErr: "no secrets"},
		{name: "api key", secrets: []string{stripeSecret, "sk_test_51QxNotAWebhookSecret000"}, wantErr: "secret 1: missing"},
		{name: "too short", secrets: []string{"whsec_short"}, wantErr: "secret 0: 5 characters"},
		{name: "trailing newline", secrets: []string{stripeSecret + "\n"}, wantErr: "secret 0: contains whitespace"},
		{name: "negative tolerance", secrets: []string{stripeSecret}, tol: -time.Second, wantErr: "negative tolerance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewStripe(tt.secrets, tt.tol)
			if tt.wantErr == "" {
				if err != nil || s.tolerance != DefaultStripeTolerance {
					t.Fatalf("NewStripe() = %+v, %v; want default tolerance", s, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewStripe() error = %v, want %q", err, tt.wantErr)
			}
			for _, secret := range tt.secrets {
				if strings.Contains(err.Error(), strings.TrimSpace(secret)) {
					t.Fatalf("error %q echoes a secret", err)
				}
			}
		})
	}
}

func TestStripeVerify(t *testing.T) {
	t.Parallel()
	sent := time.Unix(stripeUnix, 0)
	ts := strconv.Itoa(stripeUnix)
	body := []byte(`{"id":"evt_1","object":"event"}`)
	valid, good := stripeSig(stripeSecret, sent, body)
	rotated, _ := stripeSig(stripeRotatedSecret, sent, body)
	wrong, bad := stripeSig(stripeUnknownSecret, sent, body)
	tests := []struct {
		name   string
		values []string // Stripe-Signature header lines
		body   string   // when set, replaces body
		now    time.Time
		want   error
	}{
		{name: "valid", values: []string{valid}, now: sent},
		{name: "rotated second secret", values: []string{rotated}, now: sent},
		{name: "wrong secret", values: []string{wrong}, now: sent, want: ErrSignature},
		{name: "wrong secret and stale is a signature error", values: []string{wrong}, now: sent.Add(time.Hour), want: ErrSignature},
		{name: "tampered body", values: []string{valid}, body: string(body) + " ", now: sent, want: ErrSignature},
		{name: "truncated signature", values: []string{valid[:len(valid)-2]}, now: sent, want: ErrSignature},
		{name: "just inside tolerance", values: []string{valid}, now: sent.Add(300 * time.Second)},
		{name: "just outside tolerance", values: []string{valid}, now: sent.Add(301 * time.Second), want: ErrTimestamp},
		{name: "future just inside", values: []string{valid}, now: sent.Add(-300 * time.Second)},
		{name: "future just outside", values: []string{valid}, now: sent.Add(-301 * time.Second), want: ErrTimestamp},
		{name: "multiple signatures", values: []string{"t=" + ts + ",v1=" + bad + ",v0=" + good + ",v1=" + good}, now: sent},
		{name: "non-hex v1 skipped", values: []string{"t=" + ts + ",v1=zz,v1=" + good}, now: sent},
		{name: "entries in any order", values: []string{"v1=" + good + ",t=" + ts}, now: sent},
		{name: "upper-case hex", values: []string{"t=" + ts + ",v1=" + strings.ToUpper(good)}, now: sent},
		{name: "leading zero in t", values: []string{"t=0" + ts + ",v1=" + good}, now: sent},
		{name: "missing header", now: sent, want: ErrSignature},
		{name: "empty header", values: []string{""}, now: sent, want: ErrSignature},
		{name: "two header lines", values: []string{valid, valid}, now: sent, want: ErrSignature},
		{name: "no t", values: []string{"v1=" + good}, now: sent, want: ErrTimestamp},
		{name: "t not a number", values: []string{"t=soon,v1=" + good}, now: sent, want: ErrTimestamp},
		{name: "t with a sign", values: []string{"t=+" + ts + ",v1=" + good}, now: sent, want: ErrTimestamp},
		{name: "t repeated", values: []string{"t=" + ts + ",t=" + ts + ",v1=" + good}, now: sent, want: ErrSignature},
		{name: "entry without =", values: []string{valid + ",junk"}, now: sent, want: ErrSignature},
		{name: "entry with two =", values: []string{valid + ",x=a=b"}, now: sent, want: ErrSignature},
		{name: "trailing comma", values: []string{valid + ","}, now: sent, want: ErrSignature},
		{name: "space after comma hides v1", values: []string{"t=" + ts + ", v1=" + good}, now: sent, want: ErrSignature},
		{name: "only v0", values: []string{"t=" + ts + ",v0=" + good}, now: sent, want: ErrSignature},
		{name: "only non-hex v1", values: []string{"t=" + ts + ",v1=" + good[1:]}, now: sent, want: ErrSignature},
	}
	s := newTestStripe(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := body
			if tt.body != "" {
				b = []byte(tt.body)
			}
			err := s.Verify(stripeHeader(tt.values...), b, tt.now)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Verify() = %v, want %v", err, tt.want)
			}
			for _, secret := range []string{stripeSecret, stripeRotatedSecret} {
				if err != nil && strings.Contains(err.Error(), secret) {
					t.Fatalf("error %q echoes a secret", err)
				}
			}
		})
	}
}

// TestStripeVerifyAgreesWithStripeGo feeds the same headers to stripe-go's
// ValidatePayloadWithTolerance, which reads the real clock, so the times here
// are relative to now with margins far wider than the test's run time.
func TestStripeVerifyAgreesWithStripeGo(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"evt_2","object":"event","type":"customer.created"}`)
	now := time.Now()
	valid, good := stripeSig(stripeSecret, now, body)
	aged, _ := stripeSig(stripeSecret, now.Add(-290*time.Second), body)
	stale, _ := stripeSig(stripeSecret, now.Add(-310*time.Second), body)
	wrong, bad := stripeSig(stripeUnknownSecret, now, body)
	ts := strconv.FormatInt(now.Unix(), 10)
	tests := []struct {
		name, header string
		body         []byte
		accept       bool
	}{
		{name: "valid", header: valid, accept: true},
		{name: "290 s old", header: aged, accept: true},
		{name: "310 s old", header: stale},
		{name: "wrong secret", header: wrong},
		{name: "tampered body", header: valid, body: append([]byte("x"), body...)},
		{name: "several v1", header: "t=" + ts + ",v1=" + bad + ",v1=" + good + ",v0=" + bad, accept: true},
		{name: "upper-case hex", header: "t=" + ts + ",v1=" + strings.ToUpper(good), accept: true},
		{name: "non-hex v1 then good", header: "t=" + ts + ",v1=zz,v1=" + good, accept: true},
		{name: "trailing comma", header: valid + ","},
		{name: "space after comma", header: "t=" + ts + ", v1=" + good},
		{name: "missing t", header: "v1=" + good},
		{name: "empty", header: ""},
	}
	ours, err := NewStripe([]string{stripeSecret}, webhook.DefaultTolerance)
	if err != nil {
		t.Fatal(err)
	}
	// The cases run at once, not in parallel: parallel subtests wait for the
	// package's other tests, and on a loaded machine that wait ate the 10 s
	// margin of the 290 s case.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := body
			if tt.body != nil {
				b = tt.body
			}
			theirs := webhook.ValidatePayloadWithTolerance(b, tt.header, stripeSecret, webhook.DefaultTolerance)
			mine := ours.Verify(stripeHeader(tt.header), b, now)
			if (theirs == nil) != tt.accept || (mine == nil) != tt.accept {
				t.Fatalf("stripe-go: %v, ours: %v; want accept=%v", theirs, mine, tt.accept)
			}
		})
	}
}

func readStripeFixture(t testing.TB, eventType string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "stripe", eventType+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStripeEvents(t *testing.T) {
	t.Parallel()
	s := newTestStripe(t)
	body := readStripeFixture(t, "customer.subscription.updated")
	events, err := s.Events(nil, body)
	if err != nil {
		t.Fatal(err)
	}
	want := Event{ID: "evt_1QxSubUpdatedD1e5OpQ3sTuV", Type: "customer.subscription.updated",
		OccurredAt: time.Unix(1742810400, 0).UTC(), Payload: append([]byte(nil), body...)}
	body[0] = 'X' // the handler may reuse its buffer
	if len(events) != 1 || !reflect.DeepEqual(events[0], want) {
		t.Fatalf("Events() = %+v, want [%+v]", events, want)
	}

	unknown := `{"id":"evt_3","object":"event","created":1741600000,"type":"invoice.paid","data":{"object":[]}}`
	events, err = s.Events(nil, []byte(unknown))
	if err != nil || len(events) != 1 || !events[0].Ignored || events[0].ID != "evt_3" || events[0].Type != "invoice.paid" {
		t.Fatalf("Events(unmapped) = %+v, %v; want one ignored event", events, err)
	}
	for _, bad := range []string{
		`{"id":"evt_3","object":"event","type":"invoice.paid","data":{}}`,                                            // no created
		`{"id":"evt_3","object":"event","created":1741600000,"type":"customer.created","data":{"object":{"id":""}}}`, // bad mapped payload
	} {
		if _, err := s.Events(nil, []byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("Events(%s) = %v, want ErrMalformed", bad, err)
		}
	}
}
