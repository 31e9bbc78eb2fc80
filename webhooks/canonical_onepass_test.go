package webhooks

import (
	"reflect"
	"testing"
)

// onePassBodies are bodies the one pass must decline (the two steps could
// read them differently) or take (the shapes senders produce).
var onePassBodies = []struct {
	name, body string
	take       bool
}{
	{"type first", event("user.upserted", `{"customer_external_id":"c1","external_id":"u1","groups":["eng"]}`), true},
	{"type last, as a map encodes it", `{"data":{"external_id":"o1"},"timestamp":"` + testTime + `","type":"order.canceled"}`, true},
	{"pretty-printed", "{\n  \"type\" : \"order.canceled\",\n  \"timestamp\": \"" + testTime + "\",\n  \"data\": {\"external_id\": \"o1\"}\n}\n", true},
	{"order with lines", event("order.upserted", `{"external_id":"o1","customer_external_id":"c1","lines":[{"product_id":"p1","quantity":2}]}`), true},
	{"data twice", `{"type":"customer.upserted","timestamp":"` + testTime + `","data":{"external_id":"c1","name":"A"},"data":{"external_id":"c2"}}`, false},
	{"data twice, other case", `{"type":"customer.upserted","timestamp":"` + testTime + `","data":{"external_id":"c1","name":"A"},"DATA":{"external_id":"c2"}}`, false},
	{"escaped key", `{"type":"customer.upserted","timestamp":"` + testTime + `","data":{"external_id":"c1","name":"A"},"d\u0061ta":{"external_id":"c2"}}`, false},
	{"type twice, other case", `{"type":"user.deactivated","timestamp":"` + testTime + `","data":{"customer_external_id":"c1","external_id":"u1"},"Type":"order.canceled"}`, false},
	{"first type key inside data", `{"data":{"type":"x","external_id":"o1"},"timestamp":"` + testTime + `","type":"order.canceled"}`, false},
	{"null data", event("order.canceled", `null`), false},
	{"unknown type", event("invoice.paid", `{}`), false},
	{"invalid command", event("order.canceled", `{"external_id":""}`), false},
}

// TestDecodeOnePass checks which bodies the one pass takes, and that what
// it takes decodes exactly as the two-step decode does.
func TestDecodeOnePass(t *testing.T) {
	t.Parallel()
	for _, tt := range onePassBodies {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			one, took := decodeOnePass([]byte(tt.body))
			if took != tt.take {
				t.Fatalf("decodeOnePass() took it = %v, want %v", took, tt.take)
			}
			if !took {
				return
			}
			two, err := decodeCanonical([]byte(tt.body))
			if err != nil || !reflect.DeepEqual(one, two) {
				t.Fatalf("decodeOnePass() = %+v; decodeCanonical() = %+v, %v", one, two, err)
			}
		})
	}
}
