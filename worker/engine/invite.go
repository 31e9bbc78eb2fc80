package engine

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/seatsync/seatsync/storage"
)

// invitationTokenPrefix marks invitation tokens, so that people and secret
// scanners recognise one.
const invitationTokenPrefix = "inv_"

// ReasonResent marks the seat.invited of a resend: the same invitee, a new
// token, occupancy unchanged.
const ReasonResent = "resent"

// Invitation is an invitation as just made. Its token exists here and in
// the seat.invited event only; storage keeps its SHA-256.
type Invitation struct {
	Token     string
	Email     string
	ExpiresAt time.Time
}

// ClaimedSeat names the seat a claim gave its user.
type ClaimedSeat struct {
	OrderExternalID string
	SeatID          string
}

// Invite invites email to an unassigned seat of an active order: the seat
// becomes invited (occupied, rule 1) and seat.invited carries a token that
// can be claimed until ttl from now.
func (e *Engine) Invite(ctx context.Context, tx *storage.Tx, orderExternalID, seatID, email string, ttl time.Duration) (Invitation, error) {
	lines, err := e.lockOrder(ctx, tx, orderExternalID)
	if err != nil {
		return Invitation{}, err
	}
	// Every line of an order has the order's status; an order without
	// lines has no seat to find.
	req := InviteRequest{OrderStatus: storage.OrderActive, SeatID: seatID, Email: email}
	if len(lines) > 0 {
		req.OrderStatus = lines[0].OrderStatus
	}
	line, _, found := lineOfSeat(lines, seatID)
	if found {
		req.Seats = views(line.Seats)
		for _, s := range line.Seats {
			if s.Status == SeatInvited {
				req.Invited = append(req.Invited, s.InvitedEmail)
			}
		}
	}
	if err := PlanInvite(req); err != nil {
		return Invitation{}, err
	}
	return e.openInvitation(ctx, tx, line, seatID, email, ttl, "")
}

// ResendInvitation ends a seat's open invitation and opens another for the
// same email, with a new token and a new expiry: the old token stops
// working. The seat stays invited.
func (e *Engine) ResendInvitation(ctx context.Context, tx *storage.Tx, orderExternalID, seatID string, ttl time.Duration) (Invitation, error) {
	line, seat, err := e.lockInvitedSeat(ctx, tx, orderExternalID, seatID)
	if err != nil {
		return Invitation{}, err
	}
	if _, err := tx.EndInvitation(ctx, seat.ID, storage.InvitationResent, ""); err != nil {
		return Invitation{}, err
	}
	return e.openInvitation(ctx, tx, line, seat.ID, seat.InvitedEmail, ttl, ReasonResent)
}

// RevokeInvitation withdraws a seat's invitation: the token stops working,
// the seat is free again (seat.revoked, reason invitation_revoked) and goes
// to whoever waits for it.
func (e *Engine) RevokeInvitation(ctx context.Context, tx *storage.Tx, orderExternalID, seatID string) error {
	line, seat, err := e.lockInvitedSeat(ctx, tx, orderExternalID, seatID)
	if err != nil {
		return err
	}
	if _, err := tx.EndInvitation(ctx, seat.ID, storage.InvitationRevoked, ""); err != nil {
		return err
	}
	if err := e.vacate(ctx, tx, line, seat, ReasonInvitationRevoked); err != nil {
		return err
	}
	return e.refill(ctx, tx, line.OrderExternalID, line.ProductID)
}

// Claim gives the seat an invitation holds to a user of the order's
// customer, once: the invitation ends (claimed), the user's assignment
// opens, and one seat.claimed reports both. A token that is unknown,
// expired or ended is refused before the user is looked at.
func (e *Engine) Claim(ctx context.Context, tx *storage.Tx, token, userExternalID string) (ClaimedSeat, error) {
	inv, err := tx.InvitationByToken(ctx, token)
	if errors.Is(err, storage.ErrNotFound) {
		return ClaimedSeat{}, fmt.Errorf("claim: no invitation has this token: %w", ErrInvitationNotFound)
	}
	if err != nil {
		return ClaimedSeat{}, err
	}
	customer := storage.CustomerRef{ExternalID: inv.CustomerExternalID}
	if _, err := tx.LockCustomer(ctx, customer); err != nil {
		return ClaimedSeat{}, err
	}
	line, err := tx.LockLine(ctx, inv.OrderExternalID, inv.ProductID)
	if err != nil {
		return ClaimedSeat{}, err
	}
	// Every change to an invitation is made under its line's lock: read it
	// again now, so that of two concurrent claims the second sees the first.
	if inv, err = tx.InvitationByToken(ctx, token); err != nil {
		return ClaimedSeat{}, err
	}
	view := InvitationView{SeatID: inv.SeatID, ExpiresAt: inv.ExpiresAt, Ended: inv.EndedAt != nil, EndReason: inv.EndReason}
	now := e.now()
	if err := CheckInvitation(view, now); err != nil {
		return ClaimedSeat{}, err
	}
	u, err := tx.LockUser(ctx, customer, userExternalID)
	if errors.Is(err, storage.ErrNotFound) {
		return ClaimedSeat{}, fmt.Errorf("claim: customer %s has no user %s: %w", inv.CustomerExternalID, userExternalID, ErrUnknownUser)
	}
	if err != nil {
		return ClaimedSeat{}, err
	}
	err = PlanClaim(ClaimRequest{
		OrderStatus: line.OrderStatus, OrderCustomerID: line.CustomerID,
		User:       UserView{ID: u.ID, CustomerID: u.CustomerID, Status: u.Status},
		Invitation: view, Now: now, Seats: views(line.Seats),
	})
	if err != nil {
		return ClaimedSeat{}, err
	}
	if _, err := tx.EndInvitation(ctx, inv.SeatID, storage.InvitationClaimed, u.ID); err != nil {
		return ClaimedSeat{}, err
	}
	assignmentID, err := tx.Occupy(ctx, inv.SeatID, line.ID, u.ID, "manual")
	if err != nil {
		return ClaimedSeat{}, err
	}
	if err := e.emitSeatInvitation(ctx, tx, "seat.claimed", line, inv.SeatID, assignmentID, "", u.ID, &invitationRef{Email: inv.Email}); err != nil {
		return ClaimedSeat{}, err
	}
	if err := tx.StopWaiting(ctx, line.CustomerID, line.ProductID, u.ID); err != nil {
		return ClaimedSeat{}, err
	}
	return ClaimedSeat{OrderExternalID: line.OrderExternalID, SeatID: inv.SeatID}, nil
}

// openInvitation makes a token, stores its hash, marks the seat invited and
// reports it. The token is made anew on every attempt of the transaction.
func (e *Engine) openInvitation(ctx context.Context, tx *storage.Tx, line storage.Line, seatID, email string, ttl time.Duration, reason string) (Invitation, error) {
	if ttl <= 0 {
		return Invitation{}, fmt.Errorf("invite to seat %s: invitation ttl %s is not positive", seatID, ttl)
	}
	token, err := newInvitationToken()
	if err != nil {
		return Invitation{}, err
	}
	inv := Invitation{Token: token, Email: email, ExpiresAt: e.now().Add(ttl).UTC().Truncate(time.Second)}
	if err := tx.OpenInvitation(ctx, seatID, email, token, inv.ExpiresAt); err != nil {
		return Invitation{}, err
	}
	ref := &invitationRef{Email: email, Token: token, ExpiresAt: &inv.ExpiresAt}
	if err := e.emitSeatInvitation(ctx, tx, "seat.invited", line, seatID, "", reason, "", ref); err != nil {
		return Invitation{}, err
	}
	return inv, nil
}

// newInvitationToken returns 256 random bits, base64url, with the prefix.
func newInvitationToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate invitation token: %w", err)
	}
	return invitationTokenPrefix + base64.RawURLEncoding.EncodeToString(raw), nil
}

// lockOrder locks an order's customer, then its lines: the order every
// transaction takes its locks in.
func (e *Engine) lockOrder(ctx context.Context, tx *storage.Tx, orderExternalID string) ([]storage.Line, error) {
	customer, err := tx.OrderCustomer(ctx, orderExternalID)
	if err != nil {
		return nil, err
	}
	if _, err := tx.LockCustomer(ctx, storage.CustomerRef{ExternalID: customer}); err != nil {
		return nil, err
	}
	orderID, err := tx.OrderID(ctx, orderExternalID)
	if err != nil {
		return nil, err
	}
	return tx.LockOrderLines(ctx, orderID)
}

// lockInvitedSeat locks an order and returns the invited seat seatID with
// its line.
func (e *Engine) lockInvitedSeat(ctx context.Context, tx *storage.Tx, orderExternalID, seatID string) (storage.Line, storage.Seat, error) {
	lines, err := e.lockOrder(ctx, tx, orderExternalID)
	if err != nil {
		return storage.Line{}, storage.Seat{}, err
	}
	line, seat, found := lineOfSeat(lines, seatID)
	if !found {
		return storage.Line{}, storage.Seat{}, fmt.Errorf("seat %s is not a live seat of order %s: %w", seatID, orderExternalID, ErrSeatNotFound)
	}
	if seat.Status != SeatInvited {
		return storage.Line{}, storage.Seat{}, fmt.Errorf("seat %s is %s, with no open invitation: %w", seatID, seat.Status, ErrSeatNotInvited)
	}
	return line, seat, nil
}

// lineOfSeat finds a live seat among locked lines.
func lineOfSeat(lines []storage.Line, seatID string) (storage.Line, storage.Seat, bool) {
	for _, l := range lines {
		for _, s := range l.Seats {
			if s.ID == seatID {
				return l, s, true
			}
		}
	}
	return storage.Line{}, storage.Seat{}, false
}
