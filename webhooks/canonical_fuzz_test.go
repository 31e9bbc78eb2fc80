package webhooks

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// FuzzDecodeStandard checks that DecodeStandard never panics, classifies every
// refusal, keeps an accepted envelope's type and instant exactly, decodes
// re-encoded commands to the same value, and agrees with Standard.Events.
func FuzzDecodeStandard(f *testing.F) {
	for _, seed := range []string{
		event("customer.upserted", `{"external_id":"c1","name":"Acme","email":"a@b.c"}`),
		event("user.upserted", `{"customer_external_id":"c1","external_id":"u1","status":"deactivated","groups":["eng"]}`),
		event("user.upserted", `{"customer_external_id":"c1","external_id":"u1","groups":[]}`),
		event("user.upserted", `{"customer_external_id":"c1","external_id":"u1","groups":null}`),
		event("user.deactivated", `{"customer_external_id":"c1","external_id":"u1"}`),
		event("order.upserted", `{"external_id":"o1","customer_external_id":"c1","lines":[{"product_id":"p1","quantity":3}]}`),
		event("order.upserted", `{"external_id":"o1","customer_external_id":"c1","lines":[{"product_id":"p1","quantity":-1},{"product_id":"p1"}]}`),
		event("order.canceled", `{"external_id":"o1"}`),
		event("seat.assign_requested", `{"order_external_id":"o1","product_id":"p1","user_external_id":"u1"}`),
		event("seat.unassign_requested", `{"order_external_id":"o1","product_id":"p1","user_external_id":"u1"}`),
		event("invoice.paid", `[1,{"a":null}]`),
		`{"TYPE":"order.canceled","Timestamp":"2026-03-04T05:06:07.999999999-23:59","data":{"EXTERNAL_ID":"o1"}}`,
		`{"type":"order.canceled","timestamp":"2026-03-04T05:06:07Z","data":{"external_id":"o1"}}{}`,
		`{"type":"","timestamp":"","data":null}`,
		`null`, `[]`, `"x"`, ``, `{`,
	} {
		f.Add([]byte(seed))
	}
	s, err := NewStandard([]string{specSecret}, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := DecodeStandard(body)
		unknown := errors.Is(err, ErrUnknownType)
		if err != nil && unknown == errors.Is(err, ErrMalformed) {
			t.Fatalf("DecodeStandard() error = %v, want exactly one of ErrMalformed, ErrUnknownType", err)
		}

		h := http.Header{}
		h.Set(HeaderWebhookID, "msg_fuzz")
		events, evErr := s.Events(h, body)
		if (evErr != nil) != (err != nil && !unknown) || (evErr == nil && events[0].Ignored != unknown) {
			t.Fatalf("Events() = %+v, %v; DecodeStandard() error = %v", events, evErr, err)
		}
		if err != nil && !unknown {
			return
		}

		var raw struct{ Type, Timestamp string }
		if err := json.Unmarshal(body, &raw); err != nil {
			t.Fatalf("accepted body does not unmarshal: %v", err)
		}
		ts, err := time.Parse(time.RFC3339Nano, raw.Timestamp)
		if err != nil || env.Type != raw.Type || !env.Timestamp.Equal(ts) || env.Timestamp.Location() != time.UTC {
			t.Fatalf("DecodeStandard() = %q at %v; body says %q at %q", env.Type, env.Timestamp, raw.Type, raw.Timestamp)
		}
		if unknown {
			return
		}

		again, err := DecodeStandard(encodeEvent(t, env.Type, env.Timestamp, env.Command))
		if err != nil || again.Type != env.Type || !again.Timestamp.Equal(env.Timestamp) || !reflect.DeepEqual(again.Command, env.Command) {
			t.Fatalf("re-encoded %+v decodes to %+v, %v", env, again, err)
		}
	})
}
