package engine

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
)

// sweep runs the invitation sweep as the worker does, at now.
func (c *engineCase) sweep(now time.Time) int {
	c.t.Helper()
	n, err := c.engine.ExpireInvitations(context.Background(), c.db, now, 100)
	if err != nil {
		c.t.Fatalf("expire invitations: %v", err)
	}
	return n
}

func (c *engineCase) autoAssign(group string) {
	c.t.Helper()
	c.do("set auto-assign", func(ctx context.Context, tx *storage.Tx) error {
		return c.engine.SetAutoAssign(ctx, tx, "acme", "pro", group)
	})
}

// An expired invitation frees its seat once, with one seat.revoked naming
// the invitee, and the seat goes to whoever waits; an unexpired one stays.
func TestEngineExpiredInvitationFreesSeatOnce(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.order(2, "active")
	seats := c.seatIDs()
	expiring := c.mustInvite(seats[0], "jane@acme.test")
	c.autoAssign("eng")
	c.user("u1", `,"groups":["eng"]`)
	c.user("u2", `,"groups":["eng"]`) // waits: one seat invited, one held by u1
	if got := c.holders(); got != "- u1" {
		t.Fatalf("holders = %q, want the invited seat kept and u1 on the other", got)
	}
	var seen int64
	c.events(&seen)

	if n := c.sweep(time.Now()); n != 0 {
		t.Errorf("sweep before expiry expired %d, want 0", n)
	}
	after := seen
	later := expiring.ExpiresAt.Add(time.Second)
	if n := c.sweep(later); n != 1 {
		t.Fatalf("sweep expired %d, want 1", n)
	}
	if n := c.sweep(later); n != 0 {
		t.Errorf("second sweep expired %d, want 0", n)
	}
	if got, want := c.events(&seen), []string{"seat.revoked invitation_expired", "seat.assigned u2",
		"seat.pool_available waiting 2"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
	if got, want := c.invitationEmails(after), []string{"jane@acme.test", "-", "-"}; !slices.Equal(got, want) {
		t.Errorf("invitation emails = %q, want %q", got, want)
	}
	if got := c.holders(); got != "u2 u1" {
		t.Errorf("holders after expiry = %q, want the waiting user seated", got)
	}
	err := c.claim(expiring.Token, "u2")
	if !errors.Is(err, ErrInvitationExpired) {
		t.Errorf("claim of the expired token: %v, want %v", err, ErrInvitationExpired)
	}
	c.checkInvariants()
}

// An invitation that has not expired yet is left alone.
func TestEngineUnexpiredInvitationUntouched(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.order(1, "active")
	inv := c.mustInvite(c.seatIDs()[0], "jane@acme.test")
	var seen int64
	c.events(&seen)
	if n := c.sweep(inv.ExpiresAt.Add(-time.Second)); n != 0 {
		t.Errorf("sweep expired %d, want 0", n)
	}
	if got := c.events(&seen); len(got) != 0 {
		t.Errorf("events = %q, want none", got)
	}
	c.user("u1", "")
	if err := c.claim(inv.Token, "u1"); err != nil {
		t.Errorf("claim of the unexpired invitation: %v", err)
	}
	c.checkInvariants()
}

// Sweeps running at once expire each invitation exactly once.
func TestEngineConcurrentSweeps(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	const invited = 6
	c.order(invited, "active")
	var expiresAt time.Time
	for i, seat := range c.seatIDs() {
		expiresAt = c.mustInvite(seat, "jane"+string(rune('a'+i))+"@acme.test").ExpiresAt
	}
	var seen int64
	c.events(&seen)
	later := expiresAt.Add(time.Second)
	const sweeps = 4
	counts := make([]int, sweeps)
	errs := make([]error, sweeps)
	var wg sync.WaitGroup
	for i := range sweeps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[i], errs[i] = c.engine.ExpireInvitations(context.Background(), c.db, later, 100)
		}()
	}
	wg.Wait()
	total := 0
	for i := range sweeps {
		if errs[i] != nil {
			t.Errorf("sweep %d: %v", i, errs[i])
		}
		total += counts[i]
	}
	if total != invited {
		t.Errorf("sweeps expired %d in all (%v), want %d", total, counts, invited)
	}
	revoked := 0
	for _, e := range c.events(&seen) {
		if e != "seat.revoked invitation_expired" {
			t.Errorf("unexpected event %q", e)
		}
		revoked++
	}
	if revoked != invited {
		t.Errorf("%d seat.revoked, want %d", revoked, invited)
	}
	c.checkInvariants()
}
