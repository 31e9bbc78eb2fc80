package webhooks

import (
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"
)

// FuzzStripeVerify checks, on arbitrary input: Verify never panics and
// classifies every refusal; what stripe-go signs, Verify accepts; and
// flipping any byte of the body, of the MAC, or of the header text makes
// Verify refuse (except a change of letter case, which hex ignores).
func FuzzStripeVerify(f *testing.F) {
	now := time.Unix(stripeUnix, 0)
	valid, _ := stripeSig(stripeSecret, now, []byte(`{"id":"evt_1"}`))
	f.Add([]byte(`{"id":"evt_1"}`), valid, uint(0), byte(1))
	f.Add([]byte{}, "", uint(3), byte(0x80))
	f.Add([]byte("x.y"), "t=1741600000,v1=zz,v0=ab,v1=", uint(42), byte(0xff))
	f.Add([]byte("\x00\xff"), "t=+1741600000,t=1,v1=00", uint(7), byte(' '))
	f.Add([]byte(`{"type":"customer.created"}`), strings.Repeat("v1=ab,", 50)+"t=9999999999999999999", uint(1<<40), byte(2))
	f.Add([]byte("a"), "t=1741600000,=,v1==", uint(5), byte('='))

	s, err := NewStripe([]string{stripeRotatedSecret, stripeSecret}, time.Minute)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, header string, pos uint, mask byte) {
		if err := s.Verify(stripeHeader(header), body, now); err != nil && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrTimestamp) {
			t.Fatalf("Verify(%q) = %v, wrapping neither sentinel", header, err)
		}

		p := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: stripeSecret, Timestamp: now})
		if err := s.Verify(stripeHeader(p.Header), body, now); err != nil {
			t.Fatalf("Verify(stripe-go header %q) = %v", p.Header, err)
		}
		if mask == 0 {
			mask = 1
		}

		if len(body) > 0 {
			tampered := append([]byte(nil), body...)
			tampered[pos%uint(len(tampered))] ^= mask
			if err := s.Verify(stripeHeader(p.Header), tampered, now); !errors.Is(err, ErrSignature) {
				t.Fatalf("Verify(body with byte %d ^ %#x) = %v, want ErrSignature", pos%uint(len(tampered)), mask, err)
			}
		}

		mac := append([]byte(nil), p.Signature...)
		mac[pos%uint(len(mac))] ^= mask
		forged := "t=" + strconv.FormatInt(now.Unix(), 10) + ",v1=" + hex.EncodeToString(mac)
		if err := s.Verify(stripeHeader(forged), body, now); !errors.Is(err, ErrSignature) {
			t.Fatalf("Verify(MAC byte %d ^ %#x) = %v, want ErrSignature", pos%uint(len(mac)), mask, err)
		}

		h := []byte(p.Header)
		h[pos%uint(len(h))] ^= mask
		if strings.EqualFold(string(h), p.Header) {
			return
		}
		if err := s.Verify(stripeHeader(string(h)), body, now); err == nil {
			t.Fatalf("Verify(header %q) accepted a tampered header", h)
		}
	})
}

// FuzzDecodeStripe checks that decodeStripe never panics, that every error
// is classified, that an accepted payload yields a command of a known type
// that satisfies the identity rules, and that Events refuses exactly what
// the decoder would (so bad input gets its 400 at the edge).
func FuzzDecodeStripe(f *testing.F) {
	for _, name := range []string{"customer.created", "customer.updated", "customer.subscription.created",
		"customer.subscription.updated", "customer.subscription.deleted"} {
		b, err := os.ReadFile(filepath.Join("testdata", "stripe", name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(stripeEventJSON("customer.subscription.updated", stripeSubJSON("past_due", `{"id":"cus_1"}`,
		`{"price":{"product":"p"}},{"price":{"product":{"id":"p"}},"quantity":2},{"price":{"product":"m","recurring":{"usage_type":"metered"}}}`)))
	f.Add(stripeEventJSON("invoice.paid", `null`))
	f.Add([]byte(`{"id":"evt_1","created":1,"type":"customer.created","data":{"object":{"id":"c","metadata":{"seatsync_customer":""}}}}`))
	f.Add([]byte(`{"id":"evt_1","created":1e3,"type":"x"}`))

	s := newTestStripe(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		env, err := decodeStripe(payload)
		events, evErr := s.Events(http.Header{}, payload)
		switch {
		case errors.Is(err, ErrUnknownType):
			if evErr != nil || len(events) != 1 || !events[0].Ignored || events[0].Type != env.Type {
				t.Fatalf("Events() = %+v, %v for an unmapped type %q", events, evErr, env.Type)
			}
			return
		case err != nil:
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("decodeStripe() = %v, wrapping neither sentinel", err)
			}
			if !errors.Is(evErr, ErrMalformed) {
				t.Fatalf("Events() = %v, but decodeStripe() refused: %v", evErr, err)
			}
			return
		}
		if evErr != nil || len(events) != 1 || events[0].Ignored || !events[0].OccurredAt.Equal(env.Timestamp) {
			t.Fatalf("Events() = %+v, %v for an accepted payload", events, evErr)
		}
		if env.Timestamp.Location() != time.UTC || checkID("type", env.Type) != nil {
			t.Fatalf("envelope %+v: want a UTC timestamp and a valid type", env)
		}
		switch c := env.Command.(type) {
		case CustomerUpserted:
			if checkID("stripe id", c.ProviderIDs["stripe"]) != nil || len(c.ProviderIDs) != 1 {
				t.Fatalf("customer %+v: want exactly a valid stripe id", c)
			}
		case OrderUpserted:
			if c.Customer.Provider != "stripe" || checkID("customer", c.Customer.ID) != nil || checkID("id", c.ExternalID) != nil ||
				(c.Status != "active" && c.Status != "canceled") || c.Lines == nil {
				t.Fatalf("order %+v breaks the identity rules", c)
			}
			if err := checkIDList("lines[%d]", c.Lines, func(l OrderLine) string { return l.ProductID }); err != nil {
				t.Fatalf("order lines: %v", err)
			}
			for _, l := range c.Lines {
				if l.Quantity < 0 || l.Quantity > MaxQuantity {
					t.Fatalf("order line %+v out of range", l)
				}
			}
		default:
			t.Fatalf("decodeStripe() command %T is not a known command", env.Command)
		}
	})
}
