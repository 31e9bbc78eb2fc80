package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestOutboundPayloadsGolden freezes the body of every outbound event type:
// subscribers parse these, so a change must be deliberate.
func TestOutboundPayloadsGolden(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.h.engine.now = func() time.Time { return time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC) }
	c.order(1, "active")
	c.user("u_42", "")
	c.assign("u_42")
	c.must("user.deactivated", `{"customer_external_id":"acme","external_id":"u_42"}`)

	msgs, err := c.db.OutboxMessages(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[m.EventType] {
			continue
		}
		seen[m.EventType] = true
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, m.Body, "", "  "); err != nil {
			t.Fatal(err)
		}
		got := uuidRE.ReplaceAll(pretty.Bytes(), []byte("<uuid>"))
		got = append(got, '\n')
		path := filepath.Join("testdata", "golden", m.EventType+".json")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./worker -run Golden -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s changed:\n%s\nwant:\n%s", m.EventType, got, want)
		}
	}
	for _, typ := range []string{"seat.pool_updated", "seat.assigned", "seat.revoked", "user.deactivated"} {
		if !seen[typ] {
			t.Errorf("the scenario wrote no %s event", typ)
		}
	}
}
