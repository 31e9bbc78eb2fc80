package webhooks

import (
	"encoding/json"
	"testing"
)

// FuzzReceiptJSON checks that a receipt is written exactly as json.Marshal
// writes it, whatever its event ids hold.
func FuzzReceiptJSON(f *testing.F) {
	for _, id := range []string{"evt_1", "", `a"b\c`, "<script>&", "tab\there", "é✓", "\xff\xfe", "\u2028", "del\x7f", "~ !"} {
		f.Add(id, "x")
	}
	f.Fuzz(func(t *testing.T, id, other string) {
		for _, r := range []receipt{
			{Status: statusIgnored, Events: []eventReceipt{}},
			{Status: statusEnqueued, Events: []eventReceipt{{ID: id, Status: statusEnqueued}}},
			{Status: statusDuplicate, Events: []eventReceipt{{ID: id, Status: statusDuplicate}, {ID: other, Status: statusIgnored}}},
		} {
			want, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.appendJSON(nil); string(got) != string(want) {
				t.Fatalf("appendJSON() = %s, want %s", got, want)
			}
		}
	})
}
