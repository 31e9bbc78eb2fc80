package webhooks

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzStandardVerify checks three properties on arbitrary input: Verify never
// panics on any headers; what SignStandard signs, Verify accepts; and flipping
// any byte of the body or of the signature header makes Verify refuse.
func FuzzStandardVerify(f *testing.F) {
	f.Add(specID, []byte(specBody), strconv.Itoa(specUnix), specSig, uint(0), byte(1))
	f.Add("msg_1", []byte{}, "0", "v1,", uint(3), byte(0x80))
	f.Add("a.b", []byte("x.y"), "1614265330000", "v1a,abc v1,AAAA v2 , v1,,", uint(42), byte(0xff))
	f.Add("\x00", []byte("\x00\xff"), "-1", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", uint(7), byte(' '))
	f.Add("évt", []byte(`{"type":"user.upserted"}`), "+1614265330", strings.Repeat("v1,x ", 50), uint(1<<40), byte(2))

	s, err := NewStandard([]string{rotatedSecret, specSecret}, time.Minute)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(specUnix, 0)
	f.Fuzz(func(t *testing.T, id string, body []byte, rawTS, sigHeader string, pos uint, mask byte) {
		// Arbitrary headers: any outcome but a panic is fine, and every
		// refusal must be classified for the handler's status table.
		h := http.Header{}
		h.Set(HeaderWebhookID, id)
		h.Set(HeaderWebhookTimestamp, rawTS)
		h.Set(HeaderWebhookSignature, sigHeader)
		if err := s.Verify(h, body, now); err != nil && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrTimestamp) {
			t.Fatalf("Verify() = %v, wrapping neither sentinel", err)
		}
		if id == "" {
			return // a delivery without an id cannot be valid
		}

		sig, err := SignStandard(specSecret, id, now, body)
		if err != nil {
			t.Fatal(err)
		}
		h.Set(HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
		h.Set(HeaderWebhookSignature, sig)
		if err := s.Verify(h, body, now); err != nil {
			t.Fatalf("Verify(SignStandard()) = %v", err)
		}
		if mask == 0 {
			mask = 1
		}

		if len(body) > 0 {
			tampered := append([]byte(nil), body...)
			tampered[pos%uint(len(tampered))] ^= mask
			if err := s.Verify(h, tampered, now); !errors.Is(err, ErrSignature) {
				t.Fatalf("Verify(body with byte %d ^ %#x) = %v, want ErrSignature", pos%uint(len(tampered)), mask, err)
			}
		}

		b := []byte(sig)
		b[pos%uint(len(b))] ^= mask
		h.Set(HeaderWebhookSignature, string(b))
		if err := s.Verify(h, body, now); !errors.Is(err, ErrSignature) {
			t.Fatalf("Verify(signature %q) = %v, want ErrSignature", b, err)
		}
	})
}
