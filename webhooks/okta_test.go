package webhooks

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Okta publishes no signature scheme to check against: the hook's secret is
// sent as is, in the header the operator chose (Authorization here).
const (
	oktaSecret  = "Bearer okta-hook-secret-1f6c2a"
	oktaRotated = "okta-rotated-secret-2"
	oktaSource  = "acme-okta"
)

func newTestOkta(t testing.TB) *Okta {
	t.Helper()
	o, err := NewOkta([]string{oktaSecret, oktaRotated})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func oktaHeader(values ...string) http.Header {
	h := http.Header{}
	for _, v := range values {
		h.Add(HeaderOktaAuthorization, v)
	}
	return h
}

func TestOktaVerify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []string
		want   error
	}{
		{name: "valid", values: []string{oktaSecret}},
		{name: "rotated second secret", values: []string{oktaRotated}},
		{name: "wrong secret", values: []string{"okta-hook-secret-0"}, want: ErrSignature},
		{name: "prefix of a secret", values: []string{oktaSecret[:len(oktaSecret)-1]}, want: ErrSignature},
		{name: "secret with a suffix", values: []string{oktaSecret + "x"}, want: ErrSignature},
		{name: "other case", values: []string{strings.ToUpper(oktaRotated)}, want: ErrSignature},
		{name: "secret without its scheme", values: []string{strings.TrimPrefix(oktaSecret, "Bearer ")}, want: ErrSignature},
		{name: "missing header", want: ErrSignature},
		{name: "empty header", values: []string{""}, want: ErrSignature},
		{name: "two headers, one right", values: []string{"nope", oktaSecret}, want: ErrSignature},
		{name: "the same header twice", values: []string{oktaSecret, oktaSecret}, want: ErrSignature},
	}
	o := newTestOkta(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Any body and any clock: Okta signs neither.
			for _, now := range []time.Time{{}, time.Now(), time.Now().Add(1000 * time.Hour)} {
				err := o.Verify(oktaHeader(tt.values...), []byte(`{"data":{"events":[]}}`), now)
				if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
					t.Fatalf("Verify() = %v, want %v", err, tt.want)
				}
				if err != nil && (strings.Contains(err.Error(), "1f6c2a") || strings.Contains(err.Error(), oktaRotated)) {
					t.Errorf("error %q reveals a secret", err)
				}
			}
		})
	}
}

func TestOktaChallenge(t *testing.T) {
	t.Parallel()
	const challenge = "Hv2nXO7yw3kBtmz2CNnWRmOR3Qn9JcGufpLvE2x8"
	tests := []struct {
		name      string
		auth      []string
		challenge string
		want      error
	}{
		{name: "valid", auth: []string{oktaSecret}, challenge: challenge},
		{name: "rotated secret", auth: []string{oktaRotated}, challenge: challenge},
		{name: "wrong secret", auth: []string{"nope"}, challenge: challenge, want: ErrSignature},
		{name: "missing secret", challenge: challenge, want: ErrSignature},
		{name: "missing challenge", auth: []string{oktaSecret}, want: ErrMalformed},
		{name: "wrong secret and missing challenge", auth: []string{"nope"}, want: ErrSignature},
		{name: "challenge with a control byte", auth: []string{oktaSecret}, challenge: "a\x01b", want: ErrMalformed},
		{name: "challenge too long", auth: []string{oktaSecret}, challenge: strings.Repeat("c", 256), want: ErrMalformed},
	}
	o := newTestOkta(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := oktaHeader(tt.auth...)
			if tt.challenge != "" {
				h.Set(HeaderOktaChallenge, tt.challenge)
			}
			got, err := o.Challenge(h)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Challenge() = %v, %v; want %v", got, err, tt.want)
			}
			// What Okta reads back is the JSON object {"verification": value}.
			if b, jerr := json.Marshal(got); err == nil && (jerr != nil || string(b) != `{"verification":"`+tt.challenge+`"}`) {
				t.Errorf("Challenge() encodes as %s, %v", b, jerr)
			}
		})
	}
}

func TestNewOkta(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		wantErr string
	}{
		{name: "one secret", secrets: []string{oktaSecret}},
		{name: "rotation", secrets: []string{oktaSecret, oktaRotated}},
		{name: "no secrets", wantErr: "no secrets"},
		{name: "empty secret", secrets: []string{oktaRotated, ""}, wantErr: "secret 1: is empty"},
		{name: "secret with a trailing space", secrets: []string{oktaRotated + " "}, wantErr: "secret 0: has surrounding whitespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := NewOkta(tt.secrets)
			if tt.wantErr == "" {
				if err != nil || len(o.digests) != len(tt.secrets) {
					t.Fatalf("NewOkta() = %+v, %v", o, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), oktaRotated) {
				t.Fatalf("NewOkta() error = %v, want it to contain %q and no secret", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeOktaFixtures(t *testing.T) {
	t.Parallel()
	org := ProviderRef{Provider: "okta", ID: oktaSource}
	const user = "00ufh433fil4JtjEw4x7"
	upserted := UserUpserted{Customer: org, ExternalID: user, Email: "luca.dasilva@latwerk.com", Name: "Luca da Silva", Status: "active"}
	deactivated := UserDeactivated{Customer: org, ExternalID: user}
	tests := []struct {
		name string // the fixture, which is also the event type
		want any
	}{
		{name: "user.lifecycle.create", want: upserted},
		{name: "user.lifecycle.activate", want: upserted},
		{name: "user.lifecycle.deactivate", want: deactivated},
		{name: "user.lifecycle.suspend", want: deactivated},
		{name: "user.lifecycle.delete.initiated", want: deactivated},
		{name: "group.user_membership.add", want: UserGroupChanged{Customer: org, UserExternalID: user, Group: "Engineering", Member: true}},
		{name: "group.user_membership.remove", want: UserGroupChanged{Customer: org, UserExternalID: user, Group: "Engineering"}},
	}
	o := newTestOkta(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := loadIDPFixture(t, "okta", tt.name)
			events, err := o.Events(oktaHeader(oktaSecret), body)
			if err != nil || len(events) != 1 {
				t.Fatalf("Events() = %+v, %v; want one event", events, err)
			}
			ev := events[0]
			at := time.Date(2023, 10, 27, 16, 20+i, 53, 770e6, time.UTC)
			if ev.Ignored || ev.Type != tt.name || !ev.OccurredAt.Equal(at) || !strings.HasSuffix(ev.ID, "-74e5-11ee-8a5a-69d62fcd0f8b") {
				t.Errorf("event = %+v, want type %s at %s", ev, tt.name, at)
			}
			env, err := decodeOkta(oktaSource, ev.Payload)
			if err != nil || env.Type != tt.name || !env.Timestamp.Equal(at) || env.Timestamp.Location() != time.UTC || !reflect.DeepEqual(env.Command, tt.want) {
				t.Errorf("decodeOkta() = %s at %s: %#v, %v\nwant %s at %s UTC: %#v", env.Type, env.Timestamp, env.Command, err, tt.name, at, tt.want)
			}
		})
	}
}

func TestDecodeOkta(t *testing.T) {
	t.Parallel()
	org := ProviderRef{Provider: "okta", ID: oktaSource}
	ev := func(typ, targets string) string { return oktaLogEventJSON("e1", typ, "SUCCESS", targets) }
	tests := []struct {
		name, body string
		noSource   bool
		want       any   // on success
		wantErr    error // else
		wantMsg    string
	}{
		{name: "login that is not an email address", body: ev("user.lifecycle.activate", `[{"id":"00u1","type":"User","alternateId":"lucas","displayName":"Luca"}]`),
			want: UserUpserted{Customer: org, ExternalID: "00u1", Name: "Luca", Status: "active"}},
		{name: "targets in another order", body: ev("group.user_membership.remove", `[`+oktaGroupTarget+`,`+oktaUserTarget+`]`),
			want: UserGroupChanged{Customer: org, UserExternalID: "00u1", Group: "Engineering"}},
		{name: "no outcome at all", body: `{"uuid":"e1","published":"2023-10-27T16:22:53Z","eventType":"user.lifecycle.suspend","target":[` + oktaUserTarget + `]}`,
			want: UserDeactivated{Customer: org, ExternalID: "00u1"}},
		{name: "unknown type", body: ev("user.session.start", `[]`), wantErr: ErrUnknownType},
		{name: "failed outcome is not applied", body: oktaLogEventJSON("e1", "user.lifecycle.deactivate", "FAILURE", `[`+oktaUserTarget+`]`), wantErr: ErrUnknownType, wantMsg: "FAILURE"},
		{name: "no User target", body: ev("user.lifecycle.deactivate", `[`+oktaGroupTarget+`]`), wantErr: ErrMalformed, wantMsg: "no element of type User"},
		{name: "no targets", body: ev("user.lifecycle.create", `null`), wantErr: ErrMalformed, wantMsg: "no element of type User"},
		{name: "two User targets", body: ev("user.lifecycle.create", `[`+oktaUserTarget+`,`+oktaUserTarget+`]`), wantErr: ErrMalformed, wantMsg: "target[0] and target[1]"},
		{name: "User target without id", body: ev("user.lifecycle.create", `[{"type":"User"}]`), wantErr: ErrMalformed, wantMsg: "target[0].id is required"},
		{name: "membership without group", body: ev("group.user_membership.add", `[`+oktaUserTarget+`]`), wantErr: ErrMalformed, wantMsg: "no element of type UserGroup"},
		{name: "group without name", body: ev("group.user_membership.add", `[`+oktaUserTarget+`,{"id":"00g1","type":"UserGroup"}]`), wantErr: ErrMalformed, wantMsg: "target[1].displayName is required"},
		{name: "missing published", body: `{"eventType":"user.lifecycle.create"}`, wantErr: ErrMalformed, wantMsg: "published is required"},
		{name: "missing eventType", body: `{"published":"2023-10-27T16:22:53Z"}`, wantErr: ErrMalformed, wantMsg: "eventType is required"},
		{name: "published not RFC 3339", body: `{"eventType":"x","published":"Oct 27 2023"}`, wantErr: ErrMalformed, wantMsg: "not RFC 3339"},
		{name: "a whole delivery instead of one event", body: string(loadIDPFixture(t, "okta", "user.lifecycle.create")), wantErr: ErrMalformed, wantMsg: "published is required"},
		{name: "not an object", body: `[1]`, wantErr: ErrMalformed},
		{name: "null", body: `null`, wantErr: ErrMalformed},
		{name: "no source", noSource: true, body: ev("user.lifecycle.create", `[`+oktaUserTarget+`]`), wantErr: ErrMalformed, wantMsg: "source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			source := oktaSource
			if tt.noSource {
				source = ""
			}
			env, err := decodeOkta(source, []byte(tt.body))
			if tt.wantErr == nil {
				if err != nil || !reflect.DeepEqual(env.Command, tt.want) {
					t.Fatalf("decodeOkta() = %#v, %v; want %#v", env.Command, err, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) || env.Command != nil {
				t.Fatalf("decodeOkta() = %#v, %v; want %v containing %q", env.Command, err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func TestOktaEvents(t *testing.T) {
	t.Parallel()
	deactivate := oktaLogEventJSON("uuid-1", "user.lifecycle.deactivate", "SUCCESS", `[`+oktaUserTarget+`]`)
	session := oktaLogEventJSON("uuid-2", "user.session.start", "SUCCESS", `[]`)
	failed := oktaLogEventJSON("uuid-3", "user.lifecycle.deactivate", "FAILURE", `[`+oktaUserTarget+`]`)
	delivery := func(events ...string) string {
		return `{"eventType":"com.okta.event_hook","eventId":"b5a1","data":{"events":[` + strings.Join(events, ",") + `]}}`
	}
	tests := []struct {
		name, body string
		want       []string // ids, "+ignored" marking ignored ones
		wantErr    string   // substring of an ErrMalformed error
	}{
		{name: "several events", body: delivery(deactivate, session, failed), want: []string{"uuid-1", "uuid-2+ignored", "uuid-3+ignored"}},
		{name: "no events", body: delivery(), want: []string{}},
		{name: "missing data", body: `{"eventType":"com.okta.event_hook"}`, wantErr: "data.events is required"},
		{name: "null events", body: `{"data":{"events":null}}`, wantErr: "data.events is required"},
		{name: "events not an array", body: `{"data":{"events":{}}}`, wantErr: "okta delivery"},
		{name: "one bad event spoils the delivery", body: delivery(deactivate, oktaLogEventJSON("uuid-4", "user.lifecycle.create", "SUCCESS", `[]`)),
			wantErr: "data.events[1]: uuid uuid-4: okta user.lifecycle.create: target has no element of type User"},
		{name: "event without uuid", body: delivery(`{"eventType":"user.session.start","published":"2023-10-27T16:22:53Z"}`), wantErr: "data.events[0]: uuid is required"},
		{name: "uuid with a space", body: delivery(strings.Replace(session, "uuid-2", "uuid 2", 1)), wantErr: "outside visible ASCII"},
		{name: "ignored event still needs its time", body: delivery(`{"uuid":"u","eventType":"user.session.start"}`), wantErr: "published is required"},
		{name: "null event", body: delivery(`null`), wantErr: "uuid is required"},
		{name: "not JSON", body: `data=events`, wantErr: "okta delivery"},
	}
	o := newTestOkta(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(tt.body)
			events, err := o.Events(oktaHeader(oktaSecret), body)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) || events != nil {
					t.Fatalf("Events() = %v, %v; want ErrMalformed containing %q", events, err, tt.wantErr)
				}
				return
			}
			if err != nil || len(events) != len(tt.want) {
				t.Fatalf("Events() = %+v, %v; want %d events", events, err, len(tt.want))
			}
			for i, ev := range events {
				if got := ev.ID + map[bool]string{true: "+ignored"}[ev.Ignored]; got != tt.want[i] || ev.OccurredAt.IsZero() {
					t.Errorf("events[%d] = %+v, want %s", i, ev, tt.want[i])
				}
				var one struct{ UUID string }
				if json.Unmarshal(ev.Payload, &one) != nil || one.UUID != ev.ID || strings.Contains(string(ev.Payload), "com.okta.event_hook") {
					t.Errorf("events[%d].Payload = %s, want that one event object", i, ev.Payload)
				}
			}
			if len(events) > 0 {
				before := string(events[0].Payload)
				clear(body)
				if string(events[0].Payload) != before {
					t.Error("Payload aliases the request body")
				}
			}
		})
	}
}
