package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/seatsync/seatsync/storage"
)

// Every path that takes an invited seat away ends its invitation in the
// same transaction, with the reason, and reports the invited email.
func TestEngineVacatingEndsInvitation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		vacate func(c *engineCase, seat string)
		reason string
	}{
		{"quantity decrease", func(c *engineCase, _ string) { c.order(1, "active") }, ReasonQuantityDecreased},
		{"order canceled", func(c *engineCase, _ string) { c.order(2, "canceled") }, ReasonOrderCanceled},
		{"unassigned by batch", func(c *engineCase, seat string) {
			if err := c.batch(BatchAssignment{SeatID: seat}); err != nil {
				c.t.Fatal(err)
			}
		}, ReasonUnassigned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newEngineCase(t)
			c.order(2, "active")
			c.user("u1", "")
			c.user("u2", "")
			c.assign("u1")
			seat := c.seatIDs()[1]
			inv := c.mustInvite(seat, "jane@acme.test")
			var seen int64
			c.events(&seen)
			tt.vacate(c, seat)
			wantEnded(t, c.claim(inv.Token, "u2"), tt.reason)
			var revoked []string
			msgs, err := c.db.OutboxMessages(context.Background(), 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			emails := c.invitationEmails(0)
			for i, m := range msgs {
				if m.ID > seen && m.EventType == "seat.revoked" {
					revoked = append(revoked, emails[i])
				}
			}
			// u1 keeps their seat unless the order is canceled: rule 6
			// retires the invited seat first.
			jane := 0
			for _, e := range revoked {
				if e == "jane@acme.test" {
					jane++
				}
			}
			if jane != 1 {
				t.Errorf("revoked events carry invitations %q, want jane@acme.test's once", revoked)
			}
			c.checkInvariants()
		})
	}
}

// An invited seat is occupied: automatic assignment waits for it, and
// gets it when the invitation is withdrawn.
func TestEngineRevokedInvitationSeatGoesToWaitingUser(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.order(1, "active")
	inv := c.mustInvite(c.seatIDs()[0], "jane@acme.test")
	if err := c.inTx(func(ctx context.Context, tx *storage.Tx) error {
		return c.engine.SetAutoAssign(ctx, tx, "acme", "pro", "eng")
	}); err != nil {
		t.Fatal(err)
	}
	c.user("u1", `,"groups":["eng"]`)
	if got := c.holders(); got != "-" {
		t.Fatalf("holders = %q: the invited seat was given away", got)
	}
	var seen int64
	c.events(&seen)
	if err := c.revoke(c.seatIDs()[0]); err != nil {
		t.Fatal(err)
	}
	if got := c.holders(); got != "u1" {
		t.Errorf("holders after revoke = %q, want the waiting user seated", got)
	}
	if got, want := c.events(&seen), []string{"seat.revoked invitation_revoked", "seat.assigned u1",
		"seat.pool_available waiting 1"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
	wantEnded(t, c.claim(inv.Token, "u1"), "revoked")
	c.checkInvariants()
}

// Many concurrent claims of one token: exactly one wins, the rest are told
// it was used, and every rule still holds.
func TestEngineConcurrentClaims(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.order(2, "active")
	const claimers = 8
	for i := range claimers {
		c.user(fmt.Sprint("u", i), "")
	}
	inv := c.mustInvite(c.seatIDs()[0], "jane@acme.test")
	errs := make([]error, claimers)
	var wg sync.WaitGroup
	for i := range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.claim(inv.Token, fmt.Sprint("u", i))
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrInvitationUsed):
			t.Errorf("claimer %d: %v, want invitation_used", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d claims succeeded, want exactly 1", won)
	}
	var seen int64
	claimed := 0
	for _, e := range c.events(&seen) {
		if strings.HasPrefix(e, "seat.claimed") {
			claimed++
		}
	}
	if claimed != 1 {
		t.Errorf("%d seat.claimed events, want 1", claimed)
	}
	c.checkInvariants()
}
