package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

// engineCase drives the engine the way the worker and the API do: one
// transaction per call, with increasing event times.
type engineCase struct {
	t      *testing.T
	engine *Engine
	db     *storage.DB
	n      atomic.Int64
}

func newEngineCase(t *testing.T) *engineCase {
	t.Helper()
	return &engineCase{t: t, engine: New(), db: storagetest.NewDB(t)}
}

// at is the next event time.
func (c *engineCase) at() time.Time {
	return time.Date(2026, 11, 21, 10, 0, int(c.n.Add(1)), 0, time.UTC)
}

// do runs fn in one transaction and fails the test on an error.
func (c *engineCase) do(what string, fn func(ctx context.Context, tx *storage.Tx) error) {
	c.t.Helper()
	if err := c.inTx(fn); err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
}

func (c *engineCase) order(qty int, status string) {
	c.t.Helper()
	c.do("upsert order", func(ctx context.Context, tx *storage.Tx) error {
		_, err := c.engine.UpsertOrder(ctx, tx, storage.OrderInput{
			ExternalID: "sub_1", Customer: storage.CustomerRef{ExternalID: "acme"}, Status: status,
			Lines: []storage.LineInput{{ProductID: "pro", Quantity: qty}},
		}, c.at())
		return err
	})
}

// user upserts an active user of acme; extra is more JSON fields of a
// user.upserted event (status, groups).
func (c *engineCase) user(id string, extra string) {
	c.t.Helper()
	var more struct {
		Status string    `json:"status"`
		Groups *[]string `json:"groups"`
	}
	if err := json.Unmarshal([]byte("{"+strings.TrimPrefix(extra, ",")+"}"), &more); err != nil {
		c.t.Fatalf("user %s extra %s: %v", id, extra, err)
	}
	in := storage.UserInput{Customer: storage.CustomerRef{ExternalID: "acme"}, ExternalID: id,
		Email: id + "@acme.test", Status: cmp.Or(more.Status, storage.UserActive)}
	if more.Groups != nil {
		in.Groups, in.GroupsSet = *more.Groups, true
	}
	c.do("upsert user "+id, func(ctx context.Context, tx *storage.Tx) error {
		_, err := c.engine.UpsertUser(ctx, tx, in, c.at())
		return err
	})
}

func (c *engineCase) deactivate(id string) {
	c.t.Helper()
	c.do("deactivate "+id, func(ctx context.Context, tx *storage.Tx) error {
		_, err := c.engine.DeactivateUser(ctx, tx, storage.CustomerRef{ExternalID: "acme"}, id, c.at())
		return err
	})
}

func (c *engineCase) unassign(user string) {
	c.t.Helper()
	c.do("unassign "+user, func(ctx context.Context, tx *storage.Tx) error {
		return c.engine.Unassign(ctx, tx, "sub_1", "pro", user)
	})
}

// assign asks for any free seat of the line for user and returns the
// inbox outcome the worker would record: applied, or failed with the rule.
func (c *engineCase) assign(user string) (string, string) {
	c.t.Helper()
	err := c.inTx(func(ctx context.Context, tx *storage.Tx) error {
		return c.engine.Assign(ctx, tx, "sub_1", "pro", "", user)
	})
	if err == nil {
		return storage.InboxApplied, ""
	}
	if rule := Rule(err); rule != nil {
		return storage.InboxFailed, rule.Error() + ": " + err.Error()
	}
	c.t.Fatalf("assign %s: %v", user, err)
	return "", ""
}

// holders lists who holds the order's seats, in seat order ("-" for free).
func (c *engineCase) holders() string {
	c.t.Helper()
	seats, err := c.db.OrderSeats(context.Background(), "sub_1", storage.SeatFilter{})
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for _, s := range seats {
		h := s.UserExternalID
		if h == "" {
			h = "-"
		}
		out = append(out, h)
	}
	return strings.Join(out, " ")
}

// events lists the outbound events since the last call, as "type user reason".
func (c *engineCase) events(after *int64) []string {
	c.t.Helper()
	var msgs []storage.OutboxMessage
	for {
		page, err := c.db.OutboxMessages(context.Background(), *after, 1000)
		if err != nil {
			c.t.Fatal(err)
		}
		msgs = append(msgs, page...)
		if len(page) < 1000 {
			break
		}
		*after = page[len(page)-1].ID
	}
	var out []string
	for _, m := range msgs {
		*after = m.ID
		var body struct {
			Type string `json:"type"`
			Data struct {
				Reason   string `json:"reason"`
				Quantity *int   `json:"quantity"`
				User     *struct {
					ExternalID string `json:"external_id"`
				} `json:"user"`
			} `json:"data"`
		}
		if err := json.Unmarshal(m.Body, &body); err != nil {
			c.t.Fatal(err)
		}
		e := body.Type
		if body.Data.User != nil {
			e += " " + body.Data.User.ExternalID
		}
		if body.Data.Reason != "" {
			e += " " + body.Data.Reason
		}
		if body.Data.Quantity != nil {
			e += fmt.Sprintf(" %d", *body.Data.Quantity)
		}
		out = append(out, e)
	}
	return out
}

func (c *engineCase) checkInvariants() {
	c.t.Helper()
	v, err := c.db.InvariantViolations(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	for _, violation := range v {
		c.t.Error(violation)
	}
}

func TestEngineAssignmentRulesAndEvents(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	var seen int64
	c.order(3, "active")
	for _, u := range []string{"u1", "u2", "u3", "u4"} {
		c.user(u, "")
	}
	c.user("gone", `,"status":"deactivated"`)
	for _, u := range []string{"u1", "u2", "u3"} {
		if outcome, reason := c.assign(u); outcome != storage.InboxApplied {
			t.Fatalf("assign %s: %s %s", u, outcome, reason)
		}
	}
	if got := c.holders(); got != "u1 u2 u3" {
		t.Fatalf("holders = %q", got)
	}
	for _, tc := range []struct{ user, want string }{
		{"u4", "no_free_seat"},
		{"gone", "order_canceled"}, // checked after cancel below
	}[:1] {
		if outcome, reason := c.assign(tc.user); outcome != storage.InboxFailed || !strings.Contains(reason, tc.want) {
			t.Errorf("assign %s: %s %q, want failed %s", tc.user, outcome, reason, tc.want)
		}
	}
	if outcome, _ := c.assign("u1"); outcome != storage.InboxApplied {
		t.Errorf("assigning a seated user again: %s, want a harmless no-op", outcome)
	}
	want := []string{"seat.pool_updated 3", "seat.assigned u1", "seat.assigned u2", "seat.assigned u3"}
	if got := c.events(&seen); !slices.Equal(got, want) {
		t.Errorf("events = %q\nwant %q", got, want)
	}

	// Unassigning frees the seat and never changes quantity (rule 5).
	c.unassign("u2")
	if got := c.holders(); got != "u1 - u3" {
		t.Errorf("after unassign: %q", got)
	}
	// Rule 6: shrinking retires the free seat, then the most recently assigned.
	c.order(1, "active")
	if got := c.holders(); got != "u1" {
		t.Errorf("after shrink to 1: %q", got)
	}
	want = []string{"seat.revoked u2 unassigned", "seat.pool_updated 1", "seat.revoked u3 quantity_decreased"}
	if got := c.events(&seen); !slices.Equal(got, want) {
		t.Errorf("events = %q\nwant %q", got, want)
	}
	// Rule 4: deactivation revokes, and user.deactivated is sent once.
	c.deactivate("u1")
	c.deactivate("u1")
	want = []string{"user.deactivated u1", "seat.revoked u1 user_deactivated"}
	if got := c.events(&seen); !slices.Equal(got, want) {
		t.Errorf("events = %q\nwant %q", got, want)
	}
	if outcome, reason := c.assign("u1"); outcome != storage.InboxFailed || !strings.Contains(reason, "user_deactivated") {
		t.Errorf("assign deactivated: %s %q", outcome, reason)
	}
	// Growing adds free seats; canceling revokes everyone.
	c.order(2, "active")
	c.assign("u4")
	c.order(2, "canceled")
	if got := c.holders(); got != "- -" {
		t.Errorf("after cancel: %q", got)
	}
	want = []string{"seat.pool_updated 2", "seat.assigned u4", "seat.revoked u4 order_canceled"}
	if got := c.events(&seen); !slices.Equal(got, want) {
		t.Errorf("events = %q\nwant %q", got, want)
	}
	if outcome, reason := c.assign("u3"); outcome != storage.InboxFailed || !strings.Contains(reason, "order_canceled") {
		t.Errorf("assign on canceled order: %s %q", outcome, reason)
	}
	c.checkInvariants()
}

func TestEngineAutomaticSeating(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	var seen int64
	c.order(1, "active")
	c.user("u1", "")
	c.user("u2", "")
	ctx := context.Background()
	if err := c.db.InTx(ctx, func(tx *storage.Tx) error {
		return c.engine.SetAutoAssign(ctx, tx, "acme", "pro", "eng")
	}); err != nil {
		t.Fatal(err)
	}
	c.user("u1", `,"groups":["eng"]`) // joins: seated
	c.user("u2", `,"groups":["eng"]`) // joins: waits
	c.user("u3", `,"groups":["eng"]`) // joins: waits behind u2
	if got := c.holders(); got != "u1" {
		t.Fatalf("holders = %q", got)
	}
	c.user("u1", `,"groups":[]`) // leaves: the seat goes to the head of the queue
	if got := c.holders(); got != "u2" {
		t.Errorf("after u1 left: %q", got)
	}
	c.order(2, "active") // more seats: the next in line
	if got := c.holders(); got != "u2 u3" {
		t.Errorf("after growing: %q", got)
	}
	c.deactivate("u2")
	c.user("u1", `,"groups":["eng"]`)
	if got := c.holders(); got != "u1 u3" {
		t.Errorf("after u2 deactivated and u1 rejoined: %q", got)
	}
	// u2 is the first to wait (seat.pool_exhausted, once: u3 waits behind
	// them); the line is available again when growing seats the last.
	want := []string{"seat.pool_updated 1", "seat.assigned u1", "seat.pool_exhausted waiting 1", "seat.revoked u1 left_group", "seat.assigned u2",
		"seat.pool_updated 2", "seat.assigned u3", "seat.pool_available waiting 2", "user.deactivated u2", "seat.revoked u2 user_deactivated", "seat.assigned u1"}
	if got := c.events(&seen); !slices.Equal(got, want) {
		t.Errorf("events = %q\nwant %q", got, want)
	}
	c.checkInvariants()
}

func (c *engineCase) seatIDs() []string {
	c.t.Helper()
	seats, err := c.db.OrderSeats(context.Background(), "sub_1", storage.SeatFilter{})
	if err != nil {
		c.t.Fatal(err)
	}
	ids := make([]string, len(seats))
	for i, s := range seats {
		ids[i] = s.ID
	}
	return ids
}

func (c *engineCase) batch(entries ...BatchAssignment) error {
	ctx := context.Background()
	return c.db.InTx(ctx, func(tx *storage.Tx) error { return c.engine.Batch(ctx, tx, "sub_1", entries) })
}

func TestEngineBatch(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.order(3, "active")
	for _, u := range []string{"u1", "u2", "u3", "u4"} {
		c.user(u, "")
	}
	c.user("gone", `,"status":"deactivated"`)
	seats := c.seatIDs()
	if err := c.batch(BatchAssignment{seats[0], "u1"}, BatchAssignment{seats[1], "u2"}, BatchAssignment{seats[2], "u3"}); err != nil {
		t.Fatal(err)
	}
	// Free a seat and fill it in one batch; swap two users through unassigns.
	err := c.batch(BatchAssignment{seats[1], ""}, BatchAssignment{seats[1], "u4"},
		BatchAssignment{seats[0], ""}, BatchAssignment{seats[2], ""}, BatchAssignment{seats[0], "u3"}, BatchAssignment{seats[2], "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.holders(); got != "u3 u4 u1" {
		t.Fatalf("holders = %q", got)
	}
	// All or nothing, with every failing entry named.
	err = c.batch(BatchAssignment{seats[0], ""}, BatchAssignment{seats[0], "nobody"},
		BatchAssignment{seats[1], "gone"}, BatchAssignment{"no-such-seat", "u2"}, BatchAssignment{seats[2], "u4"})
	var be *BatchError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want a BatchError", err)
	}
	wantErrs := map[int]error{1: ErrUnknownUser, 2: ErrUserDeactivated, 3: ErrSeatNotFound, 4: ErrUserAlreadySeated}
	if len(be.Entries) != len(wantErrs) {
		t.Errorf("entry errors = %v", be.Entries)
	}
	for i, want := range wantErrs {
		if !errors.Is(be.Entries[i], want) {
			t.Errorf("entry %d: %v, want %v", i, be.Entries[i], want)
		}
	}
	if got := c.holders(); got != "u3 u4 u1" {
		t.Errorf("a refused batch changed seats: %q", got)
	}
	c.checkInvariants()
}

// Automatic assignment follows a user's status and memberships, not the
// profile: a profile update of a user an admin unassigned leaves them
// unseated (and costs no seat reads); a reactivation seats them again.
func TestProfileChangeLeavesSeatsAlone(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	var seen int64
	c.order(1, "active")
	c.do("map every active user", func(ctx context.Context, tx *storage.Tx) error {
		return c.engine.SetAutoAssign(ctx, tx, "acme", "pro", "")
	})
	c.user("u1", "")
	c.unassign("u1")
	c.events(&seen)
	c.user("u1", "") // a newer profile
	if got := c.holders(); got != "-" {
		t.Errorf("after a profile update: holders %q, want the seat left free", got)
	}
	if got := c.events(&seen); len(got) != 0 {
		t.Errorf("a profile update sent %q, want nothing", got)
	}
	c.deactivate("u1")
	c.user("u1", "") // reactivated
	if got := c.holders(); got != "u1" {
		t.Errorf("after reactivation: holders %q, want u1 seated", got)
	}
	c.checkInvariants()
}
