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

// FuzzWorkOSVerify checks, on arbitrary input: Verify never panics and
// classifies every refusal; what the WorkOS-style signer signs, Verify
// accepts; flipping any byte of the body or of the header makes it refuse.
func FuzzWorkOSVerify(f *testing.F) {
	vector := "t=" + strconv.Itoa(workosVectorMillis) + ", v1=" + workosVectorSig
	f.Add([]byte(workosVectorBody), vector, uint(0), byte(1))
	f.Add([]byte{}, "t=1626125972272,v1=", uint(3), byte(0x80))
	f.Add([]byte("x.y"), "t=, v1=abc, v1, ,", uint(42), byte(0xff))
	f.Add([]byte("\x00\xff"), "v1="+workosVectorSig+", t=-1", uint(7), byte(' '))
	f.Add([]byte(`{"event":"dsync.user.created"}`), strings.Repeat("v1=x, ", 50)+"t=99999999999999999999", uint(1<<40), byte(2))

	w, err := NewWorkOS([]string{workosRotated, workosVectorSecret}, time.Minute)
	if err != nil {
		f.Fatal(err)
	}
	now := time.UnixMilli(workosVectorMillis)
	f.Fuzz(func(t *testing.T, body []byte, header string, pos uint, mask byte) {
		h := http.Header{}
		h.Set(HeaderWorkOSSignature, header)
		if err := w.Verify(h, body, now); err != nil && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrTimestamp) {
			t.Fatalf("Verify() = %v, wrapping neither sentinel", err)
		}

		sig := signWorkOS(workosVectorSecret, now, body)
		h.Set(HeaderWorkOSSignature, sig)
		if err := w.Verify(h, body, now); err != nil {
			t.Fatalf("Verify(signed) = %v", err)
		}
		if mask == 0 {
			mask = 1
		}
		if len(body) > 0 {
			tampered := append([]byte(nil), body...)
			tampered[pos%uint(len(tampered))] ^= mask
			if err := w.Verify(h, tampered, now); !errors.Is(err, ErrSignature) {
				t.Fatalf("Verify(body with byte %d ^ %#x) = %v, want ErrSignature", pos%uint(len(tampered)), mask, err)
			}
		}

		// Any change to the header must fail, except one that only adds or
		// removes whitespace around an entry, which means the same header.
		b := []byte(sig)
		i := pos % uint(len(b))
		b[i] ^= mask
		if isWorkOSSpace(sig[i]) && isWorkOSSpace(b[i]) {
			return
		}
		h.Set(HeaderWorkOSSignature, string(b))
		if err := w.Verify(h, body, now); err == nil {
			t.Fatalf("Verify(header %q) accepted a tampered header", b)
		}
	})
}

func isWorkOSSpace(c byte) bool { return strings.TrimSpace(string(c)) == "" }

// FuzzDecodeWorkOS checks that decoding arbitrary bodies never panics, that
// every error is classified, and that an accepted event yields exactly one
// command of a type the worker applies, naming a WorkOS customer.
func FuzzDecodeWorkOS(f *testing.F) {
	for _, name := range []string{"dsync.user.created", "dsync.user.updated", "dsync.user.deleted",
		"dsync.group.user_added", "dsync.group.user_removed"} {
		b := loadIDPFixture(f, "workos", name)
		f.Add(b)
	}
	f.Add([]byte(`{"event":"dsync.user.created","created_at":"2021-06-25T19:07:33Z","data":null}`))
	f.Add([]byte(`{"event":"dsync.group.user_added","created_at":"2021-06-25T19:07:33Z","data":{"user":{"id":"u","organization_id":"o"},"group":{"name":"g","organization_id":"p"}}}`))
	f.Add([]byte(`{"event":"x","created_at":"2021-06-25T19:07:33Z"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := decodeWorkOS(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownType) {
				t.Fatalf("decodeWorkOS() = %v, wrapping neither sentinel", err)
			}
			if env.Command != nil {
				t.Fatalf("command %#v returned with error %v", env.Command, err)
			}
			return
		}
		var customer ProviderRef
		switch c := env.Command.(type) {
		case UserUpserted:
			customer = c.Customer
			if c.ExternalID == "" || (c.Status != "active" && c.Status != "deactivated") || c.GroupsSet {
				t.Fatalf("bad command %#v", c)
			}
		case UserDeactivated:
			customer = c.Customer
		case UserGroupChanged:
			customer = c.Customer
			if c.UserExternalID == "" || c.Group == "" {
				t.Fatalf("bad command %#v", c)
			}
		default:
			t.Fatalf("command of unknown type %T", env.Command)
		}
		if customer.Provider != "workos" || checkID("customer", customer.ID) != nil {
			t.Fatalf("customer %#v", customer)
		}
		if env.Type == "" || env.Timestamp.IsZero() || env.Timestamp.Location() != time.UTC {
			t.Fatalf("envelope %s at %s", env.Type, env.Timestamp)
		}
	})
}

// loadIDPFixture reads testdata/<kind>/<event type>.json, for the tests and
// the fuzz seeds of both identity-provider kinds.
func loadIDPFixture(t testing.TB, kind, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", kind, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
