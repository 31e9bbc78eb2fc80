package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors of invitations; the API maps them to its codes.
var (
	ErrAlreadyInvited     = errors.New("already_invited")      // 409: the email has an open invitation on this line
	ErrSeatNotInvited     = errors.New("seat_not_invited")     // 409: resend or revoke of a seat nobody is invited to
	ErrInvitationNotFound = errors.New("invitation_not_found") // 404: no invitation has this token
	ErrInvitationExpired  = errors.New("invitation_expired")   // 410: the token's time is up
	ErrInvitationUsed     = errors.New("invitation_used")      // 410: the invitation was claimed already
	ErrInvitationEnded    = errors.New("invitation_ended")     // 410: resent, revoked, or its seat was taken away
)

// InvitationEndedError is a token whose invitation ended before anyone
// claimed it; Reason says how (resent, revoked, or the reason its seat was
// vacated). errors.Is(err, ErrInvitationEnded) holds.
type InvitationEndedError struct{ Reason string }

func (e *InvitationEndedError) Error() string {
	return fmt.Sprintf("the invitation ended before anyone claimed it (reason %s): %v", e.Reason, ErrInvitationEnded)
}

func (e *InvitationEndedError) Unwrap() error { return ErrInvitationEnded }

// invitationClaimed is the end reason of a claimed invitation
// (storage.InvitationClaimed), mirrored so the planners stay plain values.
const invitationClaimed = "claimed"

// InviteRequest asks for Email to be invited to SeatID.
type InviteRequest struct {
	OrderStatus string
	SeatID      string
	Email       string
	Seats       []SeatView // the line's non-retired seats
	Invited     []string   // the emails with an open invitation on the line
}

// PlanInvite decides whether a seat can be invited to. Rules, in order:
// the order is active; the seat is a live seat of the line; it is
// unassigned (an invited seat is occupied, rule 1); the email has no other
// open invitation on the line, since one person can take only one seat of
// it (rule 2) and a second invitation would hold a seat for nobody.
func PlanInvite(req InviteRequest) error {
	if req.OrderStatus != statusActive {
		return fmt.Errorf("invite to seat %s: order is %q: %w", req.SeatID, req.OrderStatus, ErrOrderCanceled)
	}
	var target *SeatView
	for i := range req.Seats {
		if req.Seats[i].ID == req.SeatID {
			target = &req.Seats[i]
		}
	}
	if target == nil {
		return fmt.Errorf("invite to seat %s: %w", req.SeatID, ErrSeatNotFound)
	}
	if target.Status != SeatUnassigned {
		return fmt.Errorf("invite to seat %s: seat is %s: %w", req.SeatID, target.Status, ErrSeatOccupied)
	}
	for _, e := range req.Invited {
		// Mailbox names are case-insensitive in practice, whatever RFC 5321 allows.
		if strings.EqualFold(e, req.Email) {
			return fmt.Errorf("invite %s to seat %s: already invited to another seat of the line: %w", req.Email, req.SeatID, ErrAlreadyInvited)
		}
	}
	return nil
}

// InvitationView is what decides whether a token can still be claimed.
type InvitationView struct {
	SeatID    string
	ExpiresAt time.Time
	Ended     bool
	EndReason string
}

// CheckInvitation reports nil for an open invitation that has not expired
// at now. An ended invitation is reported as ended even once its time is
// up too: "already claimed" tells the visitor more than "expired".
func CheckInvitation(inv InvitationView, now time.Time) error {
	switch {
	case inv.Ended && inv.EndReason == invitationClaimed:
		return fmt.Errorf("invitation of seat %s: %w", inv.SeatID, ErrInvitationUsed)
	case inv.Ended:
		return &InvitationEndedError{Reason: inv.EndReason}
	case !now.Before(inv.ExpiresAt):
		return fmt.Errorf("invitation of seat %s expired at %s: %w", inv.SeatID, inv.ExpiresAt.UTC().Format(time.RFC3339), ErrInvitationExpired)
	}
	return nil
}

// ClaimRequest asks for User to take the seat an invitation holds.
type ClaimRequest struct {
	OrderStatus     string
	OrderCustomerID string
	User            UserView
	Invitation      InvitationView
	Now             time.Time
	Seats           []SeatView // the line's non-retired seats
}

// PlanClaim decides a claim. Rules, in order: the invitation is open and
// unexpired (CheckInvitation); its seat is still invited on the line; the
// order is active; the user is active (rule 3) and of the order's customer;
// the user holds no other seat of the line (rule 2).
func PlanClaim(req ClaimRequest) error {
	inv, u := req.Invitation, req.User
	if err := CheckInvitation(inv, req.Now); err != nil {
		return err
	}
	invitedSeat := false
	for _, s := range req.Seats {
		if s.ID == inv.SeatID && s.Status == SeatInvited {
			invitedSeat = true
		}
	}
	if !invitedSeat {
		// Vacating a seat ends its invitation, so this means the two
		// disagree; refuse rather than seat someone in a seat taken away.
		return &InvitationEndedError{Reason: "seat_not_invited"}
	}
	if req.OrderStatus != statusActive {
		return fmt.Errorf("claim seat %s: order is %q: %w", inv.SeatID, req.OrderStatus, ErrOrderCanceled)
	}
	if u.Status != statusActive {
		return fmt.Errorf("claim seat %s for user %s: user is %q: %w", inv.SeatID, u.ID, u.Status, ErrUserDeactivated)
	}
	if u.CustomerID == "" || u.CustomerID != req.OrderCustomerID {
		return fmt.Errorf("claim seat %s for user %s of customer %q on an order of customer %q: %w",
			inv.SeatID, u.ID, u.CustomerID, req.OrderCustomerID, ErrCustomerMismatch)
	}
	for _, s := range req.Seats {
		if s.ID != inv.SeatID && s.occupiedBy(u.ID) {
			return fmt.Errorf("claim seat %s for user %s: holds seat %s: %w", inv.SeatID, u.ID, s.ID, ErrUserAlreadySeated)
		}
	}
	return nil
}
