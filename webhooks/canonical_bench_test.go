package webhooks

import "testing"

// BenchmarkDecodeStandard compares DecodeStandard with decodeCanonical, the
// two-step decode it falls back to, on the bodies the load generator sends
// (user.upserted) and on an order: read the results as ratios.
func BenchmarkDecodeStandard(b *testing.B) {
	bodies := map[string][]byte{
		"user":  []byte(event("user.upserted", `{"customer_external_id":"load7","external_id":"u1207","email":"u1207@load.test","name":"Load 81207"}`)),
		"order": []byte(event("order.upserted", `{"external_id":"o1","customer_external_id":"c1","lines":[{"product_id":"p1","quantity":5},{"product_id":"p2","quantity":0,"elastic":true}]}`)),
	}
	decoders := map[string]func([]byte) (Envelope, error){"one-pass": DecodeStandard, "two-step": decodeCanonical}
	for _, body := range []string{"user", "order"} {
		for _, dec := range []string{"two-step", "one-pass"} {
			b.Run(body+"/"+dec, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := decoders[dec](bodies[body]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
