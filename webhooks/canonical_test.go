package webhooks

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const testTime = "2026-03-04T05:06:07Z"

// event wraps data in an envelope of type typ sent at testTime.
func event(typ, data string) string {
	return `{"type":"` + typ + `","timestamp":"` + testTime + `","data":` + data + `}`
}

// encodeEvent is how a sender (the send CLI, a test) produces an event.
func encodeEvent(t testing.TB, typ string, ts time.Time, cmd any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"type": typ, "timestamp": ts.Format(time.RFC3339Nano), "data": cmd})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeStandardValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       any
	}{
		{"customer", event("customer.upserted", `{"external_id":"c1","name":"Acme","email":"billing@acme.test"}`),
			CustomerUpserted{ExternalID: "c1", Name: "Acme", Email: "billing@acme.test"}},
		{"customer with only an id", event("customer.upserted", `{"external_id":"c1"}`), CustomerUpserted{ExternalID: "c1"}},
		{"user, groups omitted means unchanged", event("user.upserted", `{"customer_external_id":"c1","external_id":"u1","email":"a@b.c","name":"Ann"}`),
			UserUpserted{CustomerExternalID: "c1", ExternalID: "u1", Email: "a@b.c", Name: "Ann", Status: "active"}},
		{"user, empty groups means none", event("user.upserted", `{"customer_external_id":"c1","external_id":"u1","groups":[]}`),
			UserUpserted{CustomerExternalID: "c1", ExternalID: "u1", Status: "active", Groups: []string{}, GroupsSet: true}},
		{"user, deactivated with groups", event("user.upserted", `{"customer_external_id":"c1","external_id":"u1","status":"deactivated","groups":["eng","ops"]}`),
			UserUpserted{CustomerExternalID: "c1", ExternalID: "u1", Status: "deactivated", Groups: []string{"eng", "ops"}, GroupsSet: true}},
		{"user, null status is the default", event("user.upserted", `{"customer_external_id":"c1","external_id":"u1","status":null}`),
			UserUpserted{CustomerExternalID: "c1", ExternalID: "u1", Status: "active"}},
		{"user deactivated", event("user.deactivated", `{"customer_external_id":"c1","external_id":"u1"}`),
			UserDeactivated{CustomerExternalID: "c1", ExternalID: "u1"}},
		{"order", event("order.upserted", `{"external_id":"o1","customer_external_id":"c1","lines":[{"product_id":"p1","quantity":5},{"product_id":"p2","quantity":0}]}`),
			OrderUpserted{ExternalID: "o1", CustomerExternalID: "c1", Status: "active", Lines: []OrderLine{{ProductID: "p1", Quantity: 5}, {ProductID: "p2", Quantity: 0}}}},
		{"order canceled by status, no lines", event("order.upserted", `{"external_id":"o1","customer_external_id":"c1","status":"canceled","lines":[]}`),
			OrderUpserted{ExternalID: "o1", CustomerExternalID: "c1", Status: "canceled", Lines: []OrderLine{}}},
		{"order at the quantity limit", event("order.upserted", `{"external_id":"o1","customer_external_id":"c1","lines":[{"quantity":1000000,"product_id":"p"}]}`),
			OrderUpserted{ExternalID: "o1", CustomerExternalID: "c1", Status: "active", Lines: []OrderLine{{ProductID: "p", Quantity: MaxQuantity}}}},
		{"order canceled", event("order.canceled", `{"external_id":"o1"}`), OrderCanceled{ExternalID: "o1"}},
		{"assign", event("seat.assign_requested", `{"order_external_id":"o1","product_id":"p1","user_external_id":"u1"}`),
			SeatAssignRequested{OrderExternalID: "o1", ProductID: "p1", UserExternalID: "u1"}},
		{"unassign", event("seat.unassign_requested", `{"order_external_id":"o1","product_id":"p1","user_external_id":"u1"}`),
			SeatUnassignRequested{OrderExternalID: "o1", ProductID: "p1", UserExternalID: "u1"}},
		{"whitespace and unicode", " \n" + event("customer.upserted", `{ "external_id" : "c-ü" , "name":"Zoë 🚀" }`) + "\n",
			CustomerUpserted{ExternalID: "c-ü", Name: "Zoë 🚀"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := DecodeStandard([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeStandard() error = %v", err)
			}
			typ := strings.SplitN(strings.SplitN(tt.body, `"type":"`, 2)[1], `"`, 2)[0]
			want, _ := time.Parse(time.RFC3339, testTime)
			if env.Type != typ || !env.Timestamp.Equal(want) || !reflect.DeepEqual(env.Command, tt.want) {
				t.Fatalf("DecodeStandard() = %+v, want type %s, time %s, command %+v", env, typ, want, tt.want)
			}
			// What a sender encodes from the exported types decodes the same.
			again, err := DecodeStandard(encodeEvent(t, env.Type, env.Timestamp, env.Command))
			if err != nil || !reflect.DeepEqual(again.Command, env.Command) {
				t.Fatalf("re-encoded command decodes to %+v, %v; want %+v", again.Command, err, env.Command)
			}
		})
	}
}

func TestDecodeStandardTimestamp(t *testing.T) {
	t.Parallel()
	env, err := DecodeStandard([]byte(`{"type":"order.canceled","timestamp":"2026-03-04T06:06:07.123456789+01:00","data":{"external_id":"o1"}}`))
	want := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)
	if err != nil || env.Timestamp != want {
		t.Fatalf("DecodeStandard() = %v, %v; want timestamp %v in UTC", env.Timestamp, err, want)
	}
}

func TestDecodeStandardUnknownType(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		event("invoice.paid", `{"anything":[1,2]}`),
		`{"type":"invoice.paid","timestamp":"` + testTime + `"}`,
	} {
		env, err := DecodeStandard([]byte(body))
		if !errors.Is(err, ErrUnknownType) || errors.Is(err, ErrMalformed) {
			t.Fatalf("DecodeStandard(%s) error = %v, want only ErrUnknownType", body, err)
		}
		if env.Type != "invoice.paid" || env.Timestamp.Format(time.RFC3339) != testTime || env.Command != nil {
			t.Errorf("DecodeStandard(%s) = %+v, want the envelope's type and time", body, env)
		}
	}
}

func TestDecodeStandardMalformed(t *testing.T) {
	t.Parallel()
	const (
		user  = `"customer_external_id":"c1","external_id":"u1"`
		order = `"external_id":"o1","customer_external_id":"c1"`
	)
	tests := []struct{ name, body, wantMsg string }{
		// The envelope.
		{"empty body", ``, "the body is empty; send a JSON object"},
		{"not JSON", `type=user.upserted`, "invalid character"},
		{"truncated", event("order.canceled", `{"external_id":"o1"}`)[:40], "the body ends before its JSON value is complete"},
		{"trailing data", event("order.canceled", `{"external_id":"o1"}`) + `{}`, "holds more than one JSON value"},
		{"null", `null`, "type is required"},
		{"array", `[]`, "the body must be a JSON object, not an array"},
		{"missing type", `{"timestamp":"` + testTime + `","data":{}}`, "type is required"},
		{"type not a string", `{"type":1,"timestamp":"` + testTime + `","data":{}}`, "type must be a string, not a number"},
		{"type with whitespace", event(" order.canceled", `{"external_id":"o1"}`), "surrounding whitespace"},
		{"missing timestamp", `{"type":"order.canceled","data":{"external_id":"o1"}}`, "timestamp is required"},
		{"date without time", `{"type":"order.canceled","timestamp":"2026-03-04","data":{"external_id":"o1"}}`, "is not an RFC 3339 time"},
		{"unix timestamp", `{"type":"order.canceled","timestamp":"1614265330","data":{"external_id":"o1"}}`, "is not an RFC 3339 time"},
		{"numeric timestamp", `{"type":"order.canceled","timestamp":1614265330,"data":{"external_id":"o1"}}`, "timestamp must be a string, not a number"},
		{"unknown envelope field", `{"type":"order.canceled","timestamp":"` + testTime + `","id":"x","data":{"external_id":"o1"}}`, `id is not a known field`},
		{"missing data", `{"type":"order.canceled","timestamp":"` + testTime + `"}`, "data must be a JSON object"},
		{"null data", event("order.canceled", `null`), "data must be a JSON object"},
		{"array data", event("order.canceled", `[]`), "data must be a JSON object"},
		{"unknown data field", event("order.canceled", `{"external_id":"o1","reason":"x"}`), `order.canceled event: data.reason is not a known field`},
		// Required fields, type by type.
		{"customer external_id", event("customer.upserted", `{"name":"Acme"}`), "external_id is required"},
		{"user customer_external_id", event("user.upserted", `{"external_id":"u1"}`), "customer_external_id is required"},
		{"user external_id", event("user.upserted", `{"customer_external_id":"c1"}`), "external_id is required"},
		{"deactivated customer_external_id", event("user.deactivated", `{"external_id":"u1"}`), "customer_external_id is required"},
		{"deactivated external_id", event("user.deactivated", `{"customer_external_id":"c1"}`), "external_id is required"},
		{"order external_id", event("order.upserted", `{"customer_external_id":"c1","lines":[]}`), "external_id is required"},
		{"order customer_external_id", event("order.upserted", `{"external_id":"o1","lines":[]}`), "customer_external_id is required"},
		{"order lines", event("order.upserted", `{`+order+`}`), "lines is required"},
		{"order null lines", event("order.upserted", `{`+order+`,"lines":null}`), "lines is required"},
		{"line product_id", event("order.upserted", `{`+order+`,"lines":[{"quantity":1}]}`), "lines[0].product_id is required"},
		{"line quantity", event("order.upserted", `{`+order+`,"lines":[{"product_id":"p1"}]}`), "data.lines[0].quantity is required"},
		{"null line", event("order.upserted", `{`+order+`,"lines":[null]}`), "data.lines[0].quantity is required"},
		{"canceled external_id", event("order.canceled", `{}`), "external_id is required"},
		{"assign order_external_id", event("seat.assign_requested", `{"product_id":"p1","user_external_id":"u1"}`), "order_external_id is required"},
		{"assign product_id", event("seat.assign_requested", `{"order_external_id":"o1","user_external_id":"u1"}`), "product_id is required"},
		{"assign user_external_id", event("seat.assign_requested", `{"order_external_id":"o1","product_id":"p1"}`), "user_external_id is required"},
		{"unassign order_external_id", event("seat.unassign_requested", `{"product_id":"p1","user_external_id":"u1"}`), "order_external_id is required"},
		{"unassign product_id", event("seat.unassign_requested", `{"order_external_id":"o1","user_external_id":"u1"}`), "product_id is required"},
		{"unassign user_external_id", event("seat.unassign_requested", `{"order_external_id":"o1","product_id":"p1"}`), "user_external_id is required"},
		// Values.
		{"user status", event("user.upserted", `{`+user+`,"status":"suspended"}`), `status "suspended" is not one of`},
		{"user empty status", event("user.upserted", `{`+user+`,"status":""}`), `status "" is not one of`},
		{"order status", event("order.upserted", `{`+order+`,"status":"cancelled","lines":[]}`), `status "cancelled" is not one of`},
		{"negative quantity", event("order.upserted", `{`+order+`,"lines":[{"product_id":"p1","quantity":-1}]}`), "data.lines[0].quantity must be an integer from 0 to 1000000, not -1"},
		{"quantity over the limit", event("order.upserted", `{`+order+`,"lines":[{"product_id":"p1","quantity":1000001}]}`), "data.lines[0].quantity must be an integer from 0 to 1000000, not 1000001"},
		{"fractional quantity", event("order.upserted", `{`+order+`,"lines":[{"product_id":"p1","quantity":1.5}]}`), "data.lines[0].quantity must be an integer from 0 to 1000000, not a number"},
		{"string quantity", event("order.upserted", `{`+order+`,"lines":[{"product_id":"p1","quantity":"1"}]}`), "data.lines[0].quantity must be an integer from 0 to 1000000, not a string"},
		{"unknown line field", event("order.upserted", `{`+order+`,"lines":[{"product_id":"p1","quantity":1,"price":9}]}`), `data.lines[0].price is not a known field`},
		{"duplicate product_id", event("order.upserted", `{`+order+`,"lines":[{"product_id":"p1","quantity":1},{"product_id":"p2","quantity":1},{"product_id":"p1","quantity":2}]}`), `lines[2].product_id "p1" repeats element 0`},
		{"null groups", event("user.upserted", `{`+user+`,"groups":null}`), "groups is null"},
		{"groups not a list", event("user.upserted", `{`+user+`,"groups":"eng"}`), "data.groups must be a JSON array, not a string"},
		{"empty group name", event("user.upserted", `{`+user+`,"groups":["eng",""]}`), "groups[1] is required"},
		{"duplicate group", event("user.upserted", `{`+user+`,"groups":["eng","ops","eng"]}`), `groups[2] "eng" repeats element 0`},
		{"email without @", event("user.upserted", `{`+user+`,"email":"ann.example.com"}`), "not an email address"},
		{"email with space", event("customer.upserted", `{"external_id":"c1","email":"a b@c.d"}`), "not an email address"},
		{"id with whitespace", event("order.canceled", `{"external_id":"o1 "}`), "surrounding whitespace"},
		{"id too long", event("order.canceled", `{"external_id":"`+strings.Repeat("x", 256)+`"}`), "256 bytes, limit 255"},
		{"control character in name", event("customer.upserted", `{"external_id":"c1","name":"a\u0007b"}`), "name contains control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := DecodeStandard([]byte(tt.body))
			if !errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnknownType) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("DecodeStandard() error = %v, want ErrMalformed saying %q", err, tt.wantMsg)
			}
			if !reflect.DeepEqual(env, Envelope{}) {
				t.Errorf("DecodeStandard() = %+v alongside an error, want the zero Envelope", env)
			}
		})
	}
}

func TestUserUpsertedMarshalJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		user UserUpserted
		want string
	}{
		{"unchanged groups are omitted", UserUpserted{ExternalID: "u1", Groups: []string{"eng"}},
			`{"customer_external_id":"","external_id":"u1"}`},
		{"nil groups that are set encode as []", UserUpserted{ExternalID: "u1", GroupsSet: true},
			`{"customer_external_id":"","external_id":"u1","groups":[]}`},
		{"groups", UserUpserted{ExternalID: "u1", Status: "active", Groups: []string{"eng"}, GroupsSet: true},
			`{"customer_external_id":"","external_id":"u1","status":"active","groups":["eng"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := json.Marshal(tt.user)
			if err != nil || string(got) != tt.want {
				t.Fatalf("json.Marshal() = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}
