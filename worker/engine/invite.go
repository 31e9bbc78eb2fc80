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
	line, seat, found, err := e.seatOfOrder(ctx, tx, lines, seatID)
	if err != nil {
		return Invitation{}, err
	}
	if found {
		req.Seats = views([]storage.Seat{seat})
		if req.Invited, err = tx.InvitedEmails(ctx, line.ID, email); err != nil {
			return Invitation{}, err
		}
	}
	if err := PlanInvite(req); err != nil {
		return Invitation{}, err
	}
	if err := e.unmarkTaken(ctx, tx, line, []string{seatID}); err != nil {
		return Invitation{}, err
	}
	inv, err := e.openInvitation(ctx, tx, line, seatID, email, ttl, "")
	if err != nil {
		return Invitation{}, err
	}
	return inv, e.afterOccupy(ctx, tx, line, nil) // an invited seat is not free
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
	if _, err := e.vacate(ctx, tx, line, []string{seat.ID}, ReasonInvitationRevoked); err != nil {
		return err
	}
	return e.refill(ctx, tx, line, []string{seat.ID})
}

// Claim gives the seat an invitation holds to a user of the order's
// customer, once: the invitation ends (claimed), the user's assignment
// opens, and one seat.claimed reports both. A token that is unknown,
// expired or ended is refused before the user is looked at.
func (e *Engine) Claim(ctx context.Context, tx *storage.Tx, token, userExternalID string) (ClaimedSeat, error) {
	inv, err := tx.InvitationByToken(ctx, token)
	if errors.Is(err, storage.ErrNotFound) {
		return ClaimedSeat{}, broke(ErrInvitationNotFound, "no invitation has this token")
	}
	if err != nil {
		return ClaimedSeat{}, err
	}
	customer := storage.CustomerRef{ExternalID: inv.CustomerExternalID}
	if _, err := tx.LockOrCreateCustomer(ctx, customer); err != nil {
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
		return ClaimedSeat{}, broke(ErrUnknownUser, "customer %s has no user %s", inv.CustomerExternalID, userExternalID)
	}
	if err != nil {
		return ClaimedSeat{}, err
	}
	seats, err := tx.SeatsByID(ctx, []string{line.ID}, []string{inv.SeatID})
	if err != nil {
		return ClaimedSeat{}, err
	}
	held, err := tx.UserSeats(ctx, []string{u.ID}, []string{line.ID})
	if err != nil {
		return ClaimedSeat{}, err
	}
	err = PlanClaim(ClaimRequest{
		OrderStatus: line.OrderStatus, OrderCustomerID: line.CustomerID,
		User: userView(u), Invitation: view, Now: now, Seats: views(union(seats, held)),
	})
	if err != nil {
		return ClaimedSeat{}, err
	}
	if _, err := tx.EndInvitation(ctx, inv.SeatID, storage.InvitationClaimed, u.ID); err != nil {
		return ClaimedSeat{}, err
	}
	occupied, err := tx.Occupy(ctx, line.ID, []storage.Occupancy{{SeatID: inv.SeatID, UserID: u.ID}}, "manual")
	if err != nil {
		return ClaimedSeat{}, err
	}
	claimed := seatChange{eventType: "seat.claimed", seatID: inv.SeatID, assignmentID: occupied[0].AssignmentID,
		user: &userRef{ExternalID: u.ExternalID, Email: u.Email}, invitation: &invitationRef{Email: inv.Email}}
	if err := e.emitSeats(ctx, tx, line, []seatChange{claimed}); err != nil {
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
	invited := seatChange{eventType: "seat.invited", seatID: seatID, reason: reason,
		invitation: &invitationRef{Email: email, Token: token, ExpiresAt: &inv.ExpiresAt}}
	if err := e.emitSeats(ctx, tx, line, []seatChange{invited}); err != nil {
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

// lockInvitedSeat locks an order and returns the invited seat seatID with
// its line.
func (e *Engine) lockInvitedSeat(ctx context.Context, tx *storage.Tx, orderExternalID, seatID string) (storage.Line, storage.Seat, error) {
	lines, err := e.lockOrder(ctx, tx, orderExternalID)
	if err != nil {
		return storage.Line{}, storage.Seat{}, err
	}
	line, seat, found, err := e.seatOfOrder(ctx, tx, lines, seatID)
	if err != nil {
		return storage.Line{}, storage.Seat{}, err
	}
	if !found {
		return storage.Line{}, storage.Seat{}, broke(ErrSeatNotFound, "seat %s is not a live seat of order %s", seatID, orderExternalID)
	}
	if seat.Status != SeatInvited {
		return storage.Line{}, storage.Seat{}, broke(ErrSeatNotInvited, "seat %s is %s, with no open invitation", seatID, seat.Status)
	}
	return line, seat, nil
}

// seatOfOrder finds a live seat among an order's locked lines.
func (e *Engine) seatOfOrder(ctx context.Context, tx *storage.Tx, lines []storage.Line, seatID string) (storage.Line, storage.Seat, bool, error) {
	seats, err := tx.SeatsByID(ctx, lineIDs(lines), []string{seatID})
	if err != nil || len(seats) == 0 {
		return storage.Line{}, storage.Seat{}, false, err
	}
	line, found := lineByID(lines, seats[0].LineID)
	return line, seats[0], found, nil
}
