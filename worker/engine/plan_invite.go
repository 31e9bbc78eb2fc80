package engine

import (
	"fmt"
	"strings"
	"time"
)

// InvitationEndedError is a token whose invitation ended before anyone
// claimed it; Reason says how (resent, revoked, or the reason its seat was
// vacated). errors.Is(err, ErrInvitationEnded) holds.
type InvitationEndedError struct{ Reason string }

func (e *InvitationEndedError) Error() string {
	return fmt.Sprintf("the invitation ended before anyone claimed it (%s)", e.Reason)
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
		return broke(ErrOrderCanceled, "the order is %s, so seat %s cannot be invited to", req.OrderStatus, req.SeatID)
	}
	var target *SeatView
	for i := range req.Seats {
		if req.Seats[i].ID == req.SeatID {
			target = &req.Seats[i]
		}
	}
	if target == nil {
		return broke(ErrSeatNotFound, "seat %s is not a live seat of this order", req.SeatID)
	}
	if target.Status != SeatUnassigned {
		return broke(ErrSeatOccupied, "seat %s is %s; only a free seat can be invited to", req.SeatID, target.Status)
	}
	for _, e := range req.Invited {
		// Mailbox names are case-insensitive in practice, whatever RFC 5321 allows.
		if strings.EqualFold(e, req.Email) {
			return broke(ErrAlreadyInvited, "%s is already invited to another seat of this line", req.Email)
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
		return broke(ErrInvitationUsed, "the invitation to seat %s was claimed already", inv.SeatID)
	case inv.Ended && inv.EndReason == ReasonInvitationExpired:
		// The sweep ended it because its time was up: to the visitor it
		// expired, as it did before the sweep came.
		return broke(ErrInvitationExpired, "the invitation to seat %s expired at %s", inv.SeatID, inv.ExpiresAt.UTC().Format(time.RFC3339))
	case inv.Ended:
		return &InvitationEndedError{Reason: inv.EndReason}
	case !now.Before(inv.ExpiresAt):
		return broke(ErrInvitationExpired, "the invitation to seat %s expired at %s", inv.SeatID, inv.ExpiresAt.UTC().Format(time.RFC3339))
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
		return broke(ErrOrderCanceled, "the order is %s, so seat %s cannot be claimed", req.OrderStatus, inv.SeatID)
	}
	if u.Status != statusActive {
		return broke(ErrUserDeactivated, "user %s is %s; only active users hold seats", u.name(), u.Status)
	}
	if u.CustomerID == "" || u.CustomerID != req.OrderCustomerID {
		return broke(ErrCustomerMismatch, "user %s belongs to another customer than the order", u.name())
	}
	for _, s := range req.Seats {
		if s.ID != inv.SeatID && s.occupiedBy(u.ID) {
			return broke(ErrUserAlreadySeated, "user %s already holds seat %s of this line", u.name(), s.ID)
		}
	}
	return nil
}
