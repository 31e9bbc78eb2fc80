package engine

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
)

const inviteTTL = time.Hour

func (c *engineCase) inTx(fn func(ctx context.Context, tx *storage.Tx) error) error {
	ctx := context.Background()
	return c.db.InTx(ctx, func(tx *storage.Tx) error { return fn(ctx, tx) })
}

func (c *engineCase) invite(seatID, email string) (Invitation, error) {
	var inv Invitation
	err := c.inTx(func(ctx context.Context, tx *storage.Tx) (err error) {
		inv, err = c.engine.Invite(ctx, tx, "sub_1", seatID, email, inviteTTL)
		return err
	})
	return inv, err
}

func (c *engineCase) mustInvite(seatID, email string) Invitation {
	c.t.Helper()
	inv, err := c.invite(seatID, email)
	if err != nil {
		c.t.Fatalf("invite %s to %s: %v", email, seatID, err)
	}
	return inv
}

func (c *engineCase) resend(seatID string) (Invitation, error) {
	var inv Invitation
	err := c.inTx(func(ctx context.Context, tx *storage.Tx) (err error) {
		inv, err = c.engine.ResendInvitation(ctx, tx, "sub_1", seatID, inviteTTL)
		return err
	})
	return inv, err
}

func (c *engineCase) revoke(seatID string) error {
	return c.inTx(func(ctx context.Context, tx *storage.Tx) error {
		return c.engine.RevokeInvitation(ctx, tx, "sub_1", seatID)
	})
}

func (c *engineCase) claim(token, user string) error {
	return c.inTx(func(ctx context.Context, tx *storage.Tx) error {
		_, err := c.engine.Claim(ctx, tx, token, user)
		return err
	})
}

// invitationEmails lists the invitation emails the outbound events since
// after carry, "-" for none.
func (c *engineCase) invitationEmails(after int64) []string {
	c.t.Helper()
	msgs, err := c.db.OutboxMessages(context.Background(), after, 1000)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		var body struct {
			Data struct {
				Invitation *struct {
					Email string `json:"email"`
				} `json:"invitation"`
			} `json:"data"`
		}
		if err := json.Unmarshal(m.Body, &body); err != nil {
			c.t.Fatal(err)
		}
		if body.Data.Invitation == nil {
			out = append(out, "-")
		} else {
			out = append(out, body.Data.Invitation.Email)
		}
	}
	return out
}

func wantEnded(t *testing.T, err error, reason string) {
	t.Helper()
	var ended *InvitationEndedError
	if !errors.As(err, &ended) || ended.Reason != reason {
		t.Errorf("err = %v, want the invitation ended (%s)", err, reason)
	}
}

func TestEngineInvitationLifecycle(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	var seen int64
	c.order(3, "active")
	c.user("u1", "")
	c.user("u2", "")
	seats := c.seatIDs()
	c.events(&seen)

	first := c.mustInvite(seats[0], "jane@acme.test")
	if !strings.HasPrefix(first.Token, "inv_") || len(first.Token) != len("inv_")+43 {
		t.Errorf("token %q: want inv_ and 43 base64url characters (256 bits)", first.Token)
	}
	if first.Email != "jane@acme.test" || !first.ExpiresAt.After(time.Now().Add(inviteTTL-time.Minute)) {
		t.Errorf("invitation = %+v", first)
	}
	for _, tc := range []struct {
		name, seat, email string
		want              error
	}{
		{"invited seat", seats[0], "joe@acme.test", ErrSeatOccupied},
		{"same email on another seat", seats[1], "JANE@acme.test", ErrAlreadyInvited},
		{"unknown seat", "00000000-0000-0000-0000-000000000000", "joe@acme.test", ErrSeatNotFound},
		{"malformed seat id", "nope", "joe@acme.test", ErrSeatNotFound},
	} {
		if _, err := c.invite(tc.seat, tc.email); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := c.resend(seats[1]); !errors.Is(err, ErrSeatNotInvited) {
		t.Errorf("resend of a free seat: %v, want seat_not_invited", err)
	}

	second, err := c.resend(seats[0])
	if err != nil {
		t.Fatal(err)
	}
	if second.Token == first.Token || second.Email != "jane@acme.test" {
		t.Errorf("resend = %+v, want a new token for the same email", second)
	}
	wantEnded(t, c.claim(first.Token, "u1"), "resent")
	if err := c.claim("inv_nope", "u1"); !errors.Is(err, ErrInvitationNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	if err := c.claim(second.Token, "u1"); err != nil {
		t.Fatalf("claim: %v", err)
	}
	if got := c.holders(); got != "u1 - -" {
		t.Errorf("holders = %q", got)
	}
	if err := c.claim(second.Token, "u2"); !errors.Is(err, ErrInvitationUsed) {
		t.Errorf("second claim of one token: %v, want invitation_used", err)
	}
	if err := c.revoke(seats[0]); !errors.Is(err, ErrSeatNotInvited) {
		t.Errorf("revoke of a claimed seat: %v, want seat_not_invited", err)
	}

	third := c.mustInvite(seats[1], "joe@acme.test")
	if err := c.revoke(seats[1]); err != nil {
		t.Fatal(err)
	}
	wantEnded(t, c.claim(third.Token, "u2"), "revoked")
	if got := c.holders(); got != "u1 - -" {
		t.Errorf("holders after revoke = %q", got)
	}
	want := []string{"seat.invited", "seat.invited resent", "seat.claimed u1", "seat.invited", "seat.revoked invitation_revoked"}
	if got := c.events(&seen); !slices.Equal(got, want) {
		t.Errorf("events = %q\nwant %q", got, want)
	}
	c.checkInvariants()
}

func TestEngineClaimRules(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.order(2, "active")
	c.user("u1", "")
	c.user("gone", `,"status":"deactivated"`)
	c.assign("u1")
	seats := c.seatIDs()
	inv := c.mustInvite(seats[1], "jane@acme.test")
	for _, tc := range []struct {
		user string
		want error
	}{
		{"nobody", ErrUnknownUser},
		{"gone", ErrUserDeactivated},
		{"u1", ErrUserAlreadySeated},
	} {
		if err := c.claim(inv.Token, tc.user); !errors.Is(err, tc.want) {
			t.Errorf("claim for %s: %v, want %v", tc.user, err, tc.want)
		}
	}
	// Refused claims use nothing up.
	c.user("u2", "")
	if err := c.claim(inv.Token, "u2"); err != nil {
		t.Fatalf("claim after refusals: %v", err)
	}
	if got := c.holders(); got != "u1 u2" {
		t.Errorf("holders = %q", got)
	}
	c.checkInvariants()
}

func TestEngineInvitationExpires(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.order(1, "active")
	c.user("u1", "")
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	c.engine.now = func() time.Time { return now }
	inv := c.mustInvite(c.seatIDs()[0], "jane@acme.test")
	if !inv.ExpiresAt.Equal(now.Add(inviteTTL)) {
		t.Errorf("expires at %s, want %s", inv.ExpiresAt, now.Add(inviteTTL))
	}
	now = now.Add(inviteTTL)
	if err := c.claim(inv.Token, "u1"); !errors.Is(err, ErrInvitationExpired) {
		t.Errorf("claim at expiry: %v, want invitation_expired", err)
	}
	// A resend is how an expired invitation comes back to life.
	again, err := c.resend(c.seatIDs()[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := c.claim(again.Token, "u1"); err != nil {
		t.Errorf("claim of the resent invitation: %v", err)
	}
	c.checkInvariants()
}
