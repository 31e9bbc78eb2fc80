package jobs

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzApplyEventJSON checks that a task's payload is exactly what
// json.Marshal writes, and fails where it fails, whatever the event holds.
func FuzzApplyEventJSON(f *testing.F) {
	f.Add("crm", "standard", "evt_1", "user.upserted", int64(1767225600), int64(0), []byte(`{"type":"user.upserted","data":{}}`), 0)
	f.Add("crm", "okta", `a"b\c`, "x<y>&", int64(-62135596801), int64(5), []byte(" { \"a\" : [1, 2] }\n"), 2)
	f.Add("é", "\x00", "\u2028", "t", int64(253402300800), int64(999), []byte(`"\u2028<&>"`), 1)
	f.Add("s", "k", "e", "t", int64(0), int64(1), []byte(`{"a":`), 0)
	f.Add("s", "k", "e", "t", int64(0), int64(1), []byte(nil), 0)
	f.Fuzz(func(t *testing.T, source, kind, id, typ string, sec, nsec int64, payload []byte, replay int) {
		e := ApplyEvent{Source: source, Kind: kind, EventID: id, EventType: typ,
			OccurredAt: time.Unix(sec, nsec).In(time.FixedZone("", int(nsec%100000))), Payload: payload, Replay: replay}
		want, wantErr := json.Marshal(e)
		got, err := e.appendJSON(nil)
		if (err != nil) != (wantErr != nil) || (err == nil && string(got) != string(want)) {
			t.Fatalf("appendJSON() = %s, %v; json.Marshal() = %s, %v", got, err, want, wantErr)
		}
	})
}

// BenchmarkApplyEventJSON compares appendJSON with json.Marshal on the
// event the load generator sends: read the results as a ratio.
func BenchmarkApplyEventJSON(b *testing.B) {
	e := ApplyEvent{Source: "demo", Kind: "standard", EventID: "load_1764600000000000000_81207", EventType: "user.upserted",
		OccurredAt: time.Now().UTC(), Payload: json.RawMessage(`{"type":"user.upserted","timestamp":"2026-12-01T16:00:00.123456789Z","data":{"customer_external_id":"load7","external_id":"u1207","email":"u1207@load.test","name":"Load 81207"}}`)}
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("appendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.appendJSON(nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
