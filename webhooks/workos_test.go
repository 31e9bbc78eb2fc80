package webhooks

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// WorkOS publishes no test vector with an expected signature, so this one
// was computed outside Go (Python's hmac module) with the secret the WorkOS
// SDKs' own tests use and the timestamp of the Ruby SDK's documentation.
const (
	workosVectorSecret = "secret"
	workosVectorMillis = 1626125972272
	workosVectorBody   = `{"id":"wh_123","event":"dsync.user.created"}`
	workosVectorSig    = "99fb305a34f5c9c6a7358dae1e61fd9fa14b8397283bfd729e61c0c5e5d3a0de"

	workosRotated = "wh_sec_rotated_9b1f0e2c"
	workosUnknown = "wh_sec_not_configured_77"
)

// signWorkOS builds a header the way workos-go's own tests do
// (mockWebhookHeader): "t=<ms>, v1=<hex HMAC of ms.body>", written here
// without our verifier's code.
func signWorkOS(secret string, ts time.Time, body []byte) string {
	return signWorkOSRaw(secret, strconv.FormatInt(ts.UnixMilli(), 10), body)
}

// signWorkOSRaw signs a timestamp exactly as given, malformed ones too.
func signWorkOSRaw(secret, rawTS string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(rawTS + "." + string(body)))
	return "t=" + rawTS + ", v1=" + hex.EncodeToString(m.Sum(nil))
}

func newTestWorkOS(t testing.TB) *WorkOS {
	t.Helper()
	w, err := NewWorkOS([]string{workosVectorSecret, workosRotated}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWorkOSVerify(t *testing.T) {
	t.Parallel()
	sent := time.UnixMilli(workosVectorMillis)
	body := []byte(workosVectorBody)
	vector := "t=" + strconv.Itoa(workosVectorMillis) + ", v1=" + workosVectorSig
	other := signWorkOS(workosUnknown, sent, body)
	tests := []struct {
		name   string
		header []string // nil: signed with workosVectorSecret
		body   string   // "": the signed body
		now    time.Time
		want   error
	}{
		{name: "published-style vector", header: []string{vector}, now: sent},
		{name: "test signer agrees with the vector", now: sent},
		{name: "rotated second secret", header: []string{signWorkOS(workosRotated, sent, body)}, now: sent},
		{name: "no space after the comma", header: []string{strings.ReplaceAll(vector, ", ", ",")}, now: sent},
		{name: "whitespace around entries", header: []string{" t=" + strconv.Itoa(workosVectorMillis) + " ,\tv1=" + workosVectorSig + " "}, now: sent},
		{name: "entries in another order", header: []string{"v1=" + workosVectorSig + ", t=" + strconv.Itoa(workosVectorMillis)}, now: sent},
		{name: "several v1 entries, the last matches", header: []string{other + ", v1=00ff, v1=" + workosVectorSig}, now: sent},
		{name: "unknown scheme beside v1 is skipped", header: []string{vector + ", v2=abc"}, now: sent},
		{name: "match in a second header line", header: []string{"t=" + strconv.Itoa(workosVectorMillis), "v1=" + workosVectorSig}, now: sent},
		{name: "wrong secret", header: []string{other}, now: sent, want: ErrSignature},
		{name: "wrong secret and stale is a signature error", header: []string{other}, now: sent.Add(time.Hour), want: ErrSignature},
		{name: "tampered body", body: strings.Replace(workosVectorBody, "wh_123", "wh_124", 1), now: sent, want: ErrSignature},
		{name: "empty body", body: " ", now: sent, want: ErrSignature},
		{name: "tampered timestamp", header: []string{"t=" + strconv.Itoa(workosVectorMillis+1) + ", v1=" + workosVectorSig}, now: sent, want: ErrSignature},
		{name: "seconds instead of milliseconds, signed as sent", header: []string{signWorkOSRaw(workosVectorSecret, strconv.FormatInt(sent.Unix(), 10), body)}, now: sent, want: ErrTimestamp},
		{name: "uppercase hex was not produced by WorkOS", header: []string{"t=" + strconv.Itoa(workosVectorMillis) + ", v1=" + strings.ToUpper(workosVectorSig)}, now: sent, want: ErrSignature},
		{name: "old, just inside tolerance", now: sent.Add(180 * time.Second)},
		{name: "old, just outside tolerance", now: sent.Add(180*time.Second + time.Millisecond), want: ErrTimestamp},
		{name: "new, just inside tolerance", now: sent.Add(-180 * time.Second)},
		{name: "new, just outside tolerance", now: sent.Add(-180*time.Second - time.Millisecond), want: ErrTimestamp},
		{name: "missing header", header: []string{}, now: sent, want: ErrSignature},
		{name: "empty header", header: []string{""}, now: sent, want: ErrSignature},
		{name: "garbage", header: []string{"some_junk"}, now: sent, want: ErrSignature},
		{name: "no t entry", header: []string{"v1=" + workosVectorSig}, now: sent, want: ErrSignature},
		{name: "no v1 entry", header: []string{"t=" + strconv.Itoa(workosVectorMillis) + ", v2=" + workosVectorSig}, now: sent, want: ErrSignature},
		{name: "two t entries", header: []string{vector + ", t=" + strconv.Itoa(workosVectorMillis)}, now: sent, want: ErrSignature},
		{name: "empty v1", header: []string{"t=" + strconv.Itoa(workosVectorMillis) + ", v1="}, now: sent, want: ErrSignature},
		{name: "trailing comma", header: []string{vector + ","}, now: sent, want: ErrSignature},
		{name: "garbled timestamp", header: []string{"t=yesterday, v1=" + workosVectorSig}, now: sent, want: ErrTimestamp},
		{name: "empty timestamp", header: []string{"t=, v1=" + workosVectorSig}, now: sent, want: ErrTimestamp},
		{name: "signed timestamp", header: []string{signWorkOSRaw(workosVectorSecret, "+1626125972272", body)}, now: sent, want: ErrTimestamp},
		{name: "overflowing timestamp", header: []string{signWorkOSRaw(workosVectorSecret, "99999999999999999999", body)}, now: sent, want: ErrTimestamp},
	}
	w := newTestWorkOS(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.header == nil {
				h.Set(HeaderWorkOSSignature, signWorkOS(workosVectorSecret, sent, body))
			}
			for _, v := range tt.header {
				h.Add(HeaderWorkOSSignature, v)
			}
			b := []byte(cmp.Or(tt.body, workosVectorBody))
			err := w.Verify(h, b, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify() = %v, want %v", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), workosRotated) || strings.Contains(err.Error(), workosUnknown)) {
				t.Errorf("error %q reveals a secret", err)
			}
		})
	}
}

func TestNewWorkOS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		secrets   []string
		tolerance time.Duration
		wantErr   string // substring; "" means success
	}{
		{name: "default tolerance", secrets: []string{workosVectorSecret}},
		{name: "rotation and custom tolerance", secrets: []string{workosVectorSecret, workosRotated}, tolerance: time.Minute},
		{name: "no secrets", wantErr: "no secrets"},
		{name: "empty secret", secrets: []string{workosRotated, ""}, wantErr: "secret 1: is empty"},
		{name: "secret with a newline", secrets: []string{workosRotated + "\n"}, wantErr: "secret 0: has surrounding whitespace"},
		{name: "negative tolerance", secrets: []string{workosRotated}, tolerance: -time.Second, wantErr: "negative tolerance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, err := NewWorkOS(tt.secrets, tt.tolerance)
			if tt.wantErr == "" {
				if want := cmp.Or(tt.tolerance, DefaultWorkOSTolerance); err != nil || w.tolerance != want || len(w.keys) != len(tt.secrets) {
					t.Fatalf("NewWorkOS() = %+v, %v; want tolerance %s", w, err, want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), workosRotated) {
				t.Fatalf("NewWorkOS() error = %v, want it to contain %q and no secret", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeWorkOSFixtures(t *testing.T) {
	t.Parallel()
	org := ProviderRef{Provider: "workos", ID: "org_01EZTR6WYX1A0DSE2CYMGXQ24Y"}
	const user = "directory_user_01E1JG7J09H96KYP8HM9B0G5SJ"
	tests := []struct {
		name string // the fixture, which is also the event type
		at   time.Time
		want any
	}{
		{name: "dsync.user.created", at: time.Date(2021, 6, 25, 19, 7, 33, 155e6, time.UTC),
			want: UserUpserted{Customer: org, ExternalID: user, Email: "marcelina@foo-corp.com", Name: "Marcelina Davis", Status: "active"}},
		{name: "dsync.user.updated", at: time.Date(2021, 7, 1, 6, 15, 0, 5e8, time.UTC),
			want: UserUpserted{Customer: org, ExternalID: user, Email: "marcelina@foo-corp.com", Name: "Marcelina Davis", Status: "deactivated"}},
		{name: "dsync.user.deleted", at: time.Date(2021, 7, 2, 10, 0, 0, 0, time.UTC),
			want: UserDeactivated{Customer: org, ExternalID: user}},
		{name: "dsync.group.user_added", at: time.Date(2021, 6, 25, 19, 8, 0, 1e6, time.UTC),
			want: UserGroupChanged{Customer: org, UserExternalID: user, Group: "Developers", Member: true}},
		{name: "dsync.group.user_removed", at: time.Date(2021, 6, 26, 7, 0, 0, 0, time.UTC),
			want: UserGroupChanged{Customer: org, UserExternalID: user, Group: "Developers", Member: false}},
	}
	w := newTestWorkOS(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := loadIDPFixture(t, "workos", tt.name)
			env, err := decodeWorkOS(body)
			if err != nil {
				t.Fatal(err)
			}
			if env.Type != tt.name || !env.Timestamp.Equal(tt.at) || env.Timestamp.Location() != time.UTC {
				t.Errorf("envelope = %s at %s, want %s at %s UTC", env.Type, env.Timestamp, tt.name, tt.at)
			}
			if !reflect.DeepEqual(env.Command, tt.want) {
				t.Errorf("command = %#v\nwant      %#v", env.Command, tt.want)
			}
			// The edge agrees with the worker on id, type and time.
			events, err := w.Events(http.Header{}, body)
			if err != nil || len(events) != 1 || events[0].Ignored || events[0].Type != tt.name ||
				!events[0].OccurredAt.Equal(tt.at) || !strings.HasPrefix(events[0].ID, "event_01FKJ843") {
				t.Errorf("Events() = %+v, %v", events, err)
			}
		})
	}
}

func TestDecodeWorkOS(t *testing.T) {
	t.Parallel()
	org := ProviderRef{Provider: "workos", ID: "org_1"}
	const user = `"id":"directory_user_1","organization_id":"org_1","state":"active"`
	event := func(typ, data string) string {
		return `{"id":"event_1","event":"` + typ + `","created_at":"2021-06-25T19:07:33.155Z","data":` + data + `}`
	}
	member := func(u, g string) string { return event("dsync.group.user_added", `{"user":{`+u+`},"group":{`+g+`}}`) }
	tests := []struct {
		name, body string
		want       any   // on success
		wantErr    error // else
		wantMsg    string
	}{
		{name: "single email field, full name", body: event("dsync.user.created", `{"id":"u","organization_id":"org_1","state":"active","email":"a@b.example","name":"Ada Lovelace","first_name":null}`),
			want: UserUpserted{Customer: org, ExternalID: "u", Email: "a@b.example", Name: "Ada Lovelace", Status: "active"}},
		{name: "no primary email, one name", body: event("dsync.user.updated", `{"id":"u","organization_id":"org_1","state":"suspended","emails":[{"value":"x@y.example"}],"last_name":"Hopper"}`),
			want: UserUpserted{Customer: org, ExternalID: "u", Name: "Hopper", Status: "deactivated"}},
		{name: "organization on the group only", body: member(`"id":"u"`, `"name":"Ops","organization_id":"org_1"`),
			want: UserGroupChanged{Customer: org, UserExternalID: "u", Group: "Ops", Member: true}},
		{name: "organization at the top only", body: event("dsync.group.user_removed", `{"organization_id":"org_1","user":{"id":"u"},"group":{"name":"Ops"}}`),
			want: UserGroupChanged{Customer: org, UserExternalID: "u", Group: "Ops"}},
		{name: "not JSON", body: `event=dsync.user.created`, wantErr: ErrMalformed},
		{name: "not an object", body: `[]`, wantErr: ErrMalformed},
		{name: "missing event", body: `{"created_at":"2021-06-25T19:07:33Z","data":{}}`, wantErr: ErrMalformed, wantMsg: "event is required"},
		{name: "missing created_at", body: `{"event":"dsync.user.created","data":{` + user + `}}`, wantErr: ErrMalformed, wantMsg: "created_at is required"},
		{name: "created_at in unix seconds", body: `{"event":"x","created_at":"1624648053"}`, wantErr: ErrMalformed, wantMsg: "not RFC 3339"},
		{name: "unknown type", body: event("dsync.group.created", `{"id":"g"}`), wantErr: ErrUnknownType},
		{name: "unknown type without data", body: `{"event":"connection.activated","created_at":"2021-06-25T19:07:33Z"}`, wantErr: ErrUnknownType},
		{name: "user without data", body: `{"event":"dsync.user.created","created_at":"2021-06-25T19:07:33Z"}`, wantErr: ErrMalformed, wantMsg: "data must be a JSON object"},
		{name: "user with null data", body: event("dsync.user.created", `null`), wantErr: ErrMalformed, wantMsg: "data must be a JSON object"},
		{name: "user without organization", body: event("dsync.user.created", `{"id":"directory_user_1","state":"active"}`), wantErr: ErrMalformed, wantMsg: "data.organization_id is required"},
		{name: "deleted user without organization", body: event("dsync.user.deleted", `{"id":"directory_user_1"}`), wantErr: ErrMalformed, wantMsg: "data.organization_id is required"},
		{name: "user without id", body: event("dsync.user.updated", `{"organization_id":"org_1","state":"active"}`), wantErr: ErrMalformed, wantMsg: "data.id is required"},
		{name: "user without state", body: event("dsync.user.updated", `{"id":"u","organization_id":"org_1"}`), wantErr: ErrMalformed, wantMsg: "data.state is required"},
		{name: "user with a bad primary email", body: event("dsync.user.created", `{`+user+`,"emails":[{"value":"nope","primary":true}]}`), wantErr: ErrMalformed, wantMsg: "data.emails[0].value"},
		{name: "user with a wrongly typed field", body: event("dsync.user.created", `{`+user+`,"first_name":7}`), wantErr: ErrMalformed},
		{name: "membership without organization", body: member(`"id":"u"`, `"name":"Developers"`), wantErr: ErrMalformed, wantMsg: "organization_id is required"},
		{name: "membership with disagreeing organizations", body: member(`"id":"u","organization_id":"org_1"`, `"name":"Developers","organization_id":"org_2"`), wantErr: ErrMalformed, wantMsg: "differs"},
		{name: "membership without group name", body: member(`"id":"u","organization_id":"org_1"`, `"id":"g"`), wantErr: ErrMalformed, wantMsg: "data.group.name is required"},
		{name: "membership without user id", body: member(`"organization_id":"org_1"`, `"name":"Developers"`), wantErr: ErrMalformed, wantMsg: "data.user.id is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := decodeWorkOS([]byte(tt.body))
			if tt.wantErr == nil {
				if err != nil || !reflect.DeepEqual(env.Command, tt.want) {
					t.Fatalf("decodeWorkOS() = %#v, %v; want %#v", env.Command, err, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) || env.Command != nil {
				t.Fatalf("decodeWorkOS() = %#v, %v; want %v containing %q", env.Command, err, tt.wantErr, tt.wantMsg)
			}
			if errors.Is(err, ErrUnknownType) == errors.Is(err, ErrMalformed) {
				t.Errorf("error %v wraps both or neither of ErrUnknownType and ErrMalformed", err)
			}
		})
	}
}

func TestWorkOSEvents(t *testing.T) {
	t.Parallel()
	valid := string(loadIDPFixture(t, "workos", "dsync.user.created"))
	tests := []struct {
		name, body  string
		wantIgnored bool
		wantErr     error
	}{
		{name: "mapped type", body: valid},
		{name: "unknown type is ignored", body: `{"id":"event_2","event":"connection.activated","created_at":"2021-06-25T19:07:33Z","data":{}}`, wantIgnored: true},
		{name: "missing id", body: strings.Replace(valid, `"id": "event_`, `"ref": "event_`, 1), wantErr: ErrMalformed},
		{name: "id with a space", body: strings.Replace(valid, `"id": "event_`, `"id": "event `, 1), wantErr: ErrMalformed},
		{name: "unknown type without time", body: `{"id":"event_2","event":"connection.activated"}`, wantErr: ErrMalformed},
		{name: "mapped type the worker would reject", body: strings.Replace(valid, `"organization_id"`, `"org"`, 1), wantErr: ErrMalformed},
		{name: "not JSON", body: `{`, wantErr: ErrMalformed},
	}
	w := newTestWorkOS(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(tt.body)
			events, err := w.Events(http.Header{}, body)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || events != nil {
					t.Fatalf("Events() = %v, %v; want %v", events, err, tt.wantErr)
				}
				return
			}
			if err != nil || len(events) != 1 || events[0].Ignored != tt.wantIgnored || string(events[0].Payload) != tt.body {
				t.Fatalf("Events() = %+v, %v", events, err)
			}
			body[0] = '#'
			if events[0].Payload[0] == '#' {
				t.Error("Payload aliases the request body")
			}
		})
	}
}
