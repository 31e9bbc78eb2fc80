package engine

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

	"github.com/seatsync/seatsync/storage"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var (
	uuidRE  = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	tokenRE = regexp.MustCompile(`inv_[A-Za-z0-9_-]{43}`)
)

// TestOutboundPayloadsGolden freezes the body of every outbound event type:
// subscribers parse these, so a change must be deliberate.
func TestOutboundPayloadsGolden(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.engine.now = func() time.Time { return time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC) }
	c.order(1, "active")
	c.user("u_42", "")
	c.assign("u_42")
	c.deactivate("u_42")
	seat := c.seatIDs()[0]
	c.mustInvite(seat, "jane@acme.test")
	if err := c.revoke(seat); err != nil {
		t.Fatal(err)
	}
	inv := c.mustInvite(seat, "jane@acme.test")
	c.user("u_43", "")
	if err := c.claim(inv.Token, "u_43"); err != nil {
		t.Fatal(err)
	}
	// An invitation nobody claims expires: the sweep frees its seat.
	c.unassign("u_43")
	expiring := c.mustInvite(seat, "jane@acme.test")
	if n := c.sweep(expiring.ExpiresAt); n != 1 {
		t.Fatalf("sweep expired %d invitations, want 1", n)
	}
	// Demand: with every user entitled, u_43 takes the seat and u_44 is
	// the first to wait; growing the order seats them and empties the list.
	c.autoAssign("")
	c.user("u_44", "")
	c.order(2, "active")
	// An elastic line at its max_quantity with no seat free is exhausted
	// though nobody waits: its event names the maximum.
	one := 1
	c.do("elastic order", func(ctx context.Context, tx *storage.Tx) error {
		_, err := c.engine.UpsertOrder(ctx, tx, storage.OrderInput{
			ExternalID: "sub_2", Customer: storage.CustomerRef{ExternalID: "acme"}, Status: storage.OrderActive,
			Lines: []storage.LineInput{{ProductID: "team", Quantity: 1,
				LineSettings: storage.LineSettings{Elastic: true, MaxQuantity: &one}}},
		}, c.at())
		return err
	})
	c.do("assign on the elastic line", func(ctx context.Context, tx *storage.Tx) error {
		return c.engine.Assign(ctx, tx, "sub_2", "team", "", "u_44")
	})

	msgs, err := c.db.OutboxMessages(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		// A withdrawn or expired invitation's seat.revoked names an
		// email, not a user: a shape of its own.
		var body struct {
			Data struct {
				Reason string `json:"reason"`
			} `json:"data"`
		}
		if err := json.Unmarshal(m.Body, &body); err != nil {
			t.Fatal(err)
		}
		name := m.EventType
		if body.Data.Reason == ReasonInvitationRevoked || body.Data.Reason == ReasonInvitationExpired ||
			m.EventType == "seat.pool_exhausted" && body.Data.Reason == DemandMaxQuantity {
			name += "." + body.Data.Reason
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		checkGolden(t, name, m.Body)
	}
	for _, typ := range []string{"seat.pool_updated", "seat.assigned", "seat.revoked", "user.deactivated",
		"seat.invited", "seat.claimed", "seat.revoked." + ReasonInvitationRevoked,
		"seat.revoked." + ReasonInvitationExpired, "seat.pool_exhausted", "seat.pool_available", "seat.pool_exhausted." + DemandMaxQuantity} {
		if !seen[typ] {
			t.Errorf("the scenario wrote no %s event", typ)
		}
	}
}

// checkGolden compares an event body, indented and with its uuids and
// tokens replaced, with testdata/golden/name.json; -update rewrites it.
func checkGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		t.Fatal(err)
	}
	got := uuidRE.ReplaceAll(pretty.Bytes(), []byte("<uuid>"))
	got = tokenRE.ReplaceAll(got, []byte("<token>"))
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./worker/engine -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed:\n%s\nwant:\n%s", name, got, want)
	}
}
