package webhooks

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzPaddleVerify checks, on arbitrary input: Verify never panics and
// classifies every refusal; what the tests' signer signs, Verify accepts;
// and flipping any byte of the body or of the header makes it refuse.
func FuzzPaddleVerify(f *testing.F) {
	f.Add(paddleVectorHeader, []byte(paddleVectorBody), uint(0), byte(1))
	f.Add("", []byte{}, uint(3), byte(0x80))
	f.Add("ts=;h1=", []byte("x:y"), uint(9), byte(0xff))
	f.Add("ts=1;ts=2;h1=a;h1=b;=;;", []byte("\x00"), uint(42), byte(' '))
	f.Add("h1="+strings.Repeat("a", 64)+";ts=+1710929255", []byte(`{"event_id":"evt_1"}`), uint(1<<40), byte(2))
	f.Add(strings.Repeat("ts=1;", 40), []byte("ts=1;h1=2"), uint(5), byte(';'^'='))

	p := newTestPaddle(f, time.Minute)
	now := time.Unix(paddleVectorUnix, 0)
	f.Fuzz(func(t *testing.T, header string, body []byte, pos uint, mask byte) {
		h := http.Header{}
		h.Set(HeaderPaddleSignature, header)
		if err := p.Verify(h, body, now); err != nil && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrTimestamp) {
			t.Fatalf("Verify(%q) = %v, wrapping neither sentinel", header, err)
		}

		signed := paddleSigned(paddleRotatedSecret, now.Unix(), body)
		if err := p.Verify(signed, body, now); err != nil {
			t.Fatalf("Verify(signed) = %v", err)
		}
		if mask == 0 {
			mask = 1
		}
		if len(body) > 0 {
			tampered := append([]byte(nil), body...)
			tampered[pos%uint(len(tampered))] ^= mask
			if err := p.Verify(signed, tampered, now); !errors.Is(err, ErrSignature) {
				t.Fatalf("Verify(body with byte %d ^ %#x) = %v, want ErrSignature", pos%uint(len(tampered)), mask, err)
			}
		}
		b := []byte(signed.Get(HeaderPaddleSignature))
		b[pos%uint(len(b))] ^= mask
		signed.Set(HeaderPaddleSignature, string(b))
		if err := p.Verify(signed, body, now); err == nil {
			t.Fatalf("Verify(header %q) accepted a tampered header", b)
		}
	})
}

// FuzzDecodePaddle checks that the decoder never panics, that it fails only
// with ErrMalformed or ErrUnknownType, that what it accepts is a command of
// a known type within the limits, and that Events agrees with it.
func FuzzDecodePaddle(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "paddle", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(paddleVectorBody))
	f.Add([]byte(`{"event_id":"evt_1","event_type":"subscription.updated","occurred_at":"2024-01-01T00:00:00Z","data":{"id":"s","status":"x","customer_id":"c","items":[{"quantity":1000000,"price":{"product_id":"p"}},{"quantity":1,"price":{"product_id":"p"}}]}}`))
	f.Add([]byte(`{"event_id":"evt_1","event_type":"customer.updated","occurred_at":"2024-01-01T00:00:00Z","data":{"id":"c","custom_data":{"seatsync_customer":null}}}`))

	p := newTestPaddle(f, 0)
	f.Fuzz(func(t *testing.T, payload []byte) {
		env, err := decodePaddle(payload)
		events, evErr := p.Events(nil, payload)
		if err != nil {
			unknown := errors.Is(err, ErrUnknownType)
			if !unknown && !errors.Is(err, ErrMalformed) {
				t.Fatalf("decodePaddle() = %v, wrapping neither sentinel", err)
			}
			if unknown != (evErr == nil && len(events) == 1 && events[0].Ignored) {
				t.Fatalf("decodePaddle() = %v but Events() = %+v, %v", err, events, evErr)
			}
			return
		}
		if evErr != nil || len(events) != 1 || events[0].Ignored || events[0].Type != env.Type || !events[0].OccurredAt.Equal(env.Timestamp) {
			t.Fatalf("decodePaddle() accepted %q but Events() = %+v, %v", env.Type, events, evErr)
		}
		if env.Timestamp.Location() != time.UTC {
			t.Errorf("Timestamp %v is not UTC", env.Timestamp)
		}
		switch cmd := env.Command.(type) {
		case CustomerUpserted:
			if !strings.HasPrefix(env.Type, "customer.") || cmd.ProviderIDs["paddle"] == "" {
				t.Fatalf("%s decoded to %+v", env.Type, cmd)
			}
		case OrderUpserted:
			checkFuzzedOrder(t, env.Type, cmd, "paddle")
		default:
			t.Fatalf("%s decoded to %T", env.Type, cmd)
		}
	})
}

// checkFuzzedOrder holds an accepted provider order to the canonical rules.
func checkFuzzedOrder(t *testing.T, eventType string, o OrderUpserted, provider string) {
	t.Helper()
	if !strings.HasPrefix(eventType, "subscription.") || o.ExternalID == "" ||
		o.Customer.Provider != provider || o.Customer.ID == "" || (o.Status != "active" && o.Status != "canceled") || o.Lines == nil {
		t.Fatalf("%s decoded to %+v", eventType, o)
	}
	seen := map[string]bool{}
	for _, l := range o.Lines {
		if l.ProductID == "" || seen[l.ProductID] || l.Quantity < 0 || l.Quantity > MaxQuantity {
			t.Fatalf("%s decoded to lines %+v", eventType, o.Lines)
		}
		seen[l.ProductID] = true
	}
}
