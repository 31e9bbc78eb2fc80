package webhooks

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// FuzzOktaVerify checks, on arbitrary header values: Verify and Challenge
// never panic and classify every refusal; a configured secret is accepted;
// any change to a secret's bytes, or a byte added to or dropped from it, is
// refused.
func FuzzOktaVerify(f *testing.F) {
	f.Add(oktaSecret, "challenge", uint(0), byte(1))
	f.Add("", "", uint(3), byte(0x80))
	f.Add("Bearer ", "\x00", uint(42), byte(0xff))
	f.Add(oktaRotated+oktaRotated, "a b", uint(7), byte(' '))

	o := newTestOkta(f)
	f.Fuzz(func(t *testing.T, auth, challenge string, pos uint, mask byte) {
		h := http.Header{}
		h.Set(HeaderOktaAuthorization, auth)
		h.Set(HeaderOktaChallenge, challenge)
		err := o.Verify(h, nil, time.Time{})
		if err != nil && !errors.Is(err, ErrSignature) {
			t.Fatalf("Verify() = %v, not ErrSignature", err)
		}
		if (err == nil) != (auth == oktaSecret || auth == oktaRotated) {
			t.Fatalf("Verify(%q) = %v", auth, err)
		}
		if _, err := o.Challenge(h); err != nil && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("Challenge() = %v, wrapping neither sentinel", err)
		}

		secret := []string{oktaSecret, oktaRotated}[pos%2]
		h.Set(HeaderOktaAuthorization, secret)
		if err := o.Verify(h, nil, time.Time{}); err != nil {
			t.Fatalf("Verify(secret) = %v", err)
		}
		if mask == 0 {
			mask = 1
		}
		b := []byte(secret)
		b[pos%uint(len(b))] ^= mask
		for _, tampered := range []string{string(b), secret[:len(secret)-1], secret + string(rune(mask))} {
			h.Set(HeaderOktaAuthorization, tampered)
			if err := o.Verify(h, nil, time.Time{}); !errors.Is(err, ErrSignature) {
				t.Fatalf("Verify(%q) = %v, want ErrSignature", tampered, err)
			}
		}
	})
}

// FuzzDecodeOkta checks that Events and decodeOkta never panic on arbitrary
// input, classify every error, agree with each other, and that an accepted
// event yields one command of a type the worker applies, naming the source.
func FuzzDecodeOkta(f *testing.F) {
	for _, name := range []string{"user.lifecycle.create", "user.lifecycle.deactivate", "group.user_membership.add"} {
		f.Add(loadIDPFixture(f, "okta", name))
	}
	f.Add([]byte(`{"data":{"events":[` + oktaLogEventJSON("u", "user.lifecycle.suspend", "FAILURE", `[`+oktaUserTarget+`]`) + `]}}`))
	f.Add([]byte(`{"data":{"events":[` + oktaLogEventJSON("u", "group.user_membership.remove", "SUCCESS", `[`+oktaGroupTarget+`,`+oktaUserTarget+`]`) + `,null]}}`))
	f.Add([]byte(`{"data":{"events":[]}}`))
	f.Add([]byte(`{"data":null}`))

	o := newTestOkta(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		// The body as one event object, straight to the worker's decoder.
		checkOktaDecode(t, body)

		events, err := o.Events(nil, body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || events != nil {
				t.Fatalf("Events() = %v, %v; want only an ErrMalformed", events, err)
			}
			return
		}
		for _, ev := range events {
			env, err := checkOktaDecode(t, ev.Payload)
			if ev.Ignored != errors.Is(err, ErrUnknownType) || (!ev.Ignored && err != nil) {
				t.Fatalf("event %s ignored=%t, but decodeOkta() = %v", ev.ID, ev.Ignored, err)
			}
			if env.Type != ev.Type || !env.Timestamp.Equal(ev.OccurredAt) || checkIDPEventID("uuid", ev.ID) != nil {
				t.Fatalf("event %+v disagrees with its envelope %+v", ev, env)
			}
		}
	})
}

func checkOktaDecode(t *testing.T, payload []byte) (Envelope, error) {
	t.Helper()
	env, err := decodeOkta(oktaSource, payload)
	if err != nil {
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownType) {
			t.Fatalf("decodeOkta() = %v, wrapping neither sentinel", err)
		}
		if env.Command != nil {
			t.Fatalf("command %#v returned with error %v", env.Command, err)
		}
		return env, err
	}
	var customer ProviderRef
	switch c := env.Command.(type) {
	case UserUpserted:
		customer = c.Customer
		if c.ExternalID == "" || c.Status != "active" || c.GroupsSet || checkEmail("email", c.Email) != nil {
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
	if customer != (ProviderRef{Provider: "okta", ID: oktaSource}) {
		t.Fatalf("customer %#v", customer)
	}
	if env.Timestamp.IsZero() || env.Timestamp.Location() != time.UTC {
		t.Fatalf("timestamp %s", env.Timestamp)
	}
	return env, nil
}

// oktaLogEventJSON is one event object with the given type, outcome and
// targets (a JSON array).
func oktaLogEventJSON(uuid, typ, outcome, targets string) string {
	return `{"uuid":"` + uuid + `","published":"2023-10-27T16:22:53.770Z","eventType":"` + typ +
		`","outcome":{"result":"` + outcome + `","reason":null},"target":` + targets + `}`
}

const (
	oktaUserTarget  = `{"id":"00u1","type":"User","alternateId":"luca@latwerk.example","displayName":"Luca"}`
	oktaGroupTarget = `{"id":"00g1","type":"UserGroup","alternateId":"unknown","displayName":"Engineering"}`
)
