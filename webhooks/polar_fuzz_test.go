package webhooks

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzPolarVerify checks, on arbitrary input: Verify never panics and
// classifies every refusal; what the official library signs with Polar's
// key, Verify accepts; and flipping any byte of the body or of the
// signature header makes it refuse.
func FuzzPolarVerify(f *testing.F) {
	f.Add(polarID, []byte(`{"type":"subscription.created"}`), strconv.Itoa(polarUnix), "v1,AAAA", uint(0), byte(1))
	f.Add("msg_1", []byte{}, "0", "v1,", uint(3), byte(0x80))
	f.Add("a.b", []byte("x.y"), "1739176201000", "v1a,abc v1,AAAA v2 , v1,,", uint(42), byte(0xff))
	f.Add("\x00", []byte("\x00\xff"), "-1", strings.Repeat("v1,x ", 50), uint(1<<40), byte(' '))

	p := newTestPolar(f)
	now := time.Unix(polarUnix, 0)
	f.Fuzz(func(t *testing.T, id string, body []byte, rawTS, sigHeader string, pos uint, mask byte) {
		h := http.Header{}
		h.Set(HeaderWebhookID, id)
		h.Set(HeaderWebhookTimestamp, rawTS)
		h.Set(HeaderWebhookSignature, sigHeader)
		if err := p.Verify(h, body, now); err != nil && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrTimestamp) {
			t.Fatalf("Verify() = %v, wrapping neither sentinel", err)
		}
		if id == "" {
			return // the official library would sign it, but no delivery lacks an id
		}

		signed := polarSigned(t, polarOldFormSecret, true, id, now, body)
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
		b := []byte(signed.Get(HeaderWebhookSignature))
		b[pos%uint(len(b))] ^= mask
		signed.Set(HeaderWebhookSignature, string(b))
		if err := p.Verify(signed, body, now); !errors.Is(err, ErrSignature) {
			t.Fatalf("Verify(signature %q) = %v, want ErrSignature", b, err)
		}
	})
}

// FuzzDecodePolar checks that the decoder never panics, that it fails only
// with ErrMalformed or ErrUnknownType, that what it accepts is an order
// within the limits, and that Events agrees with it.
func FuzzDecodePolar(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "polar", "*.json"))
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
	f.Add([]byte(`{"type":"subscription.revoked","timestamp":"2025-01-01T00:00:00Z","data":{"id":"s","status":"unpaid","customer_id":"c","product_id":"p","seats":null,"customer":{"external_id":""}}}`))
	f.Add([]byte(`{"type":"checkout.created","timestamp":"2025-01-01T00:00:00+05:30","data":[]}`))

	p := newTestPolar(f)
	h := http.Header{}
	h.Set(HeaderWebhookID, polarID)
	f.Fuzz(func(t *testing.T, payload []byte) {
		env, err := decodePolar(payload)
		events, evErr := p.Events(h, payload)
		if err != nil {
			unknown := errors.Is(err, ErrUnknownType)
			if !unknown && !errors.Is(err, ErrMalformed) {
				t.Fatalf("decodePolar() = %v, wrapping neither sentinel", err)
			}
			if unknown != (evErr == nil && len(events) == 1 && events[0].Ignored) {
				t.Fatalf("decodePolar() = %v but Events() = %+v, %v", err, events, evErr)
			}
			return
		}
		if evErr != nil || len(events) != 1 || events[0].Ignored || events[0].Type != env.Type || !events[0].OccurredAt.Equal(env.Timestamp) {
			t.Fatalf("decodePolar() accepted %q but Events() = %+v, %v", env.Type, events, evErr)
		}
		if env.Timestamp.Location() != time.UTC {
			t.Errorf("Timestamp %v is not UTC", env.Timestamp)
		}
		o, ok := env.Command.(OrderUpserted)
		if !ok || len(o.Lines) != 1 {
			t.Fatalf("%s decoded to %+v", env.Type, env.Command)
		}
		checkFuzzedOrder(t, env.Type, o, "polar")
	})
}
