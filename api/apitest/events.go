package apitest

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/seatsync/seatsync/storage"
)

// Tests put state in place as an upstream system would: canonical events
// signed for a `standard` source, taken by the receiver and applied by a
// worker.

// Signed signs body with the official Standard Webhooks library, so the
// receiver is checked against it rather than against itself.
func Signed(t testing.TB, secret, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := wh.Sign(id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("webhook-signature", sig)
	return h
}

// WaitProcessed waits until the event's inbox row has left "received" and
// returns it; logs are quoted when it does not.
func WaitProcessed(t testing.TB, db *storage.DB, source, id string, logs fmt.Stringer) storage.InboxEvent {
	t.Helper()
	// Generous: an event that refers to one not applied yet is retried
	// with growing delays, and the race detector slows everything down.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ev, err := db.InboxEventByID(context.Background(), source, id)
		if err == nil && ev.Status != storage.InboxReceived {
			return ev
		}
		if time.Now().After(deadline) {
			t.Fatalf("event %s/%s not processed in time (status %q, %v); log:\n%s", source, id, ev.Status, err, logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// SendAndWait sends one canonical event to the "crm" source, fails the test
// unless the receiver enqueued it, and waits until a worker processed it.
type SendAndWait func(id, typ string, at time.Time, data string) storage.InboxEvent

// FailingAssignment makes a customer with an order of two seats, an active
// user u1 and a deactivated user "dead", and sends a request to seat
// "dead": an event that fails, for good, until "dead" is active again
// (Revive). It is what the tests of replays, through the API and the CLI,
// replay.
func FailingAssignment(t testing.TB, send SendAndWait, t0 time.Time) storage.InboxEvent {
	t.Helper()
	for i, e := range []struct{ typ, data string }{
		{typ: "order.upserted", data: `{"external_id":"sub_1","customer_external_id":"acme","lines":[{"product_id":"pro","quantity":2}]}`},
		{typ: "user.upserted", data: `{"customer_external_id":"acme","external_id":"u1","email":"u1@acme.test"}`},
		{typ: "user.upserted", data: `{"customer_external_id":"acme","external_id":"dead","email":"dead@acme.test","status":"deactivated"}`},
	} {
		if got := send(fmt.Sprintf("evt_setup_%d", i), e.typ, t0, e.data); got.Status != storage.InboxApplied {
			t.Fatalf("setup %d: %s %s", i, got.Status, got.Error)
		}
	}
	got := send("evt_assign_dead", "seat.assign_requested", t0,
		`{"order_external_id":"sub_1","product_id":"pro","user_external_id":"dead"}`)
	if got.Status != storage.InboxFailed || !strings.Contains(got.Error, "deactivated") {
		t.Fatalf("assigning a deactivated user: %s %q", got.Status, got.Error)
	}
	return got
}

// Revive makes FailingAssignment's "dead" active again, as its identity
// provider would.
func Revive(t testing.TB, send SendAndWait, id string) {
	t.Helper()
	got := send(id, "user.upserted", time.Now(),
		`{"customer_external_id":"acme","external_id":"dead","email":"dead@acme.test","status":"active"}`)
	if got.Status != storage.InboxApplied {
		t.Fatalf("revive: %s %s", got.Status, got.Error)
	}
}

// Event is one canonical event delivery: its webhook-id, type, time and
// data (JSON).
type Event struct {
	ID, Type string
	At       time.Time
	Data     string
}

// Body is the event's body.
func (e Event) Body() []byte { return EventBody(e.Type, e.At, e.Data) }

// EventBody is the body of a canonical event of type typ at time at.
func EventBody(typ string, at time.Time, data string) []byte {
	return []byte(fmt.Sprintf(`{"type":%q,"timestamp":%q,"data":%s}`, typ, at.UTC().Format(time.RFC3339Nano), data))
}
