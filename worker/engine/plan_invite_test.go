package engine

import (
	"cmp"
	"errors"
	"testing"
	"time"
)

func TestPlanInvite(t *testing.T) {
	t.Parallel()
	seats := []SeatView{free("s1", 1), held("s2", "bob", 0, 0), invited("s3", 2, 2)}
	tests := []struct {
		name    string
		order   string
		seatID  string
		email   string
		invited []string
		wantErr error
	}{
		{name: "free seat", seatID: "s1"},
		{name: "canceled order", order: "canceled", seatID: "s1", wantErr: ErrOrderCanceled},
		{name: "canceled wins over a missing seat", order: "canceled", seatID: "nope", wantErr: ErrOrderCanceled},
		{name: "unknown status is refused", order: "paused", seatID: "s1", wantErr: ErrOrderCanceled},
		{name: "seat not on the line", seatID: "nope", wantErr: ErrSeatNotFound},
		{name: "assigned seat", seatID: "s2", wantErr: ErrSeatOccupied},
		{name: "invited seat is occupied", seatID: "s3", wantErr: ErrSeatOccupied},
		{name: "occupied wins over already invited", seatID: "s3", invited: []string{"jane@acme.test"}, wantErr: ErrSeatOccupied},
		{name: "email invited to another seat", seatID: "s1", invited: []string{"x@acme.test", "jane@acme.test"}, wantErr: ErrAlreadyInvited},
		{name: "email compared without case", seatID: "s1", invited: []string{"Jane@ACME.test"}, wantErr: ErrAlreadyInvited},
		{name: "other emails invited", seatID: "s1", invited: []string{"joe@acme.test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := PlanInvite(InviteRequest{OrderStatus: cmp.Or(tt.order, "active"), SeatID: tt.seatID,
				Email: cmp.Or(tt.email, "jane@acme.test"), Seats: seats, Invited: tt.invited})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("PlanInvite error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestCheckInvitation(t *testing.T) {
	t.Parallel()
	now := planT0
	open := InvitationView{SeatID: "s1", ExpiresAt: now.Add(time.Minute)}
	tests := []struct {
		name       string
		inv        InvitationView
		wantErr    error
		wantReason string
	}{
		{name: "open", inv: open},
		{name: "expires this instant", inv: InvitationView{SeatID: "s1", ExpiresAt: now}, wantErr: ErrInvitationExpired},
		{name: "expired", inv: InvitationView{SeatID: "s1", ExpiresAt: now.Add(-time.Second)}, wantErr: ErrInvitationExpired},
		{name: "claimed", inv: InvitationView{SeatID: "s1", ExpiresAt: open.ExpiresAt, Ended: true, EndReason: "claimed"}, wantErr: ErrInvitationUsed},
		{name: "claimed and expired says claimed", inv: InvitationView{SeatID: "s1", ExpiresAt: now.Add(-time.Hour), Ended: true, EndReason: "claimed"}, wantErr: ErrInvitationUsed},
		{name: "resent", inv: InvitationView{SeatID: "s1", ExpiresAt: open.ExpiresAt, Ended: true, EndReason: "resent"}, wantErr: ErrInvitationEnded, wantReason: "resent"},
		{name: "ended by the expiry sweep says expired", inv: InvitationView{SeatID: "s1", ExpiresAt: now.Add(-time.Hour), Ended: true, EndReason: ReasonInvitationExpired}, wantErr: ErrInvitationExpired},
		{name: "seat retired", inv: InvitationView{SeatID: "s1", ExpiresAt: now.Add(-time.Hour), Ended: true, EndReason: "quantity_decreased"},
			wantErr: ErrInvitationEnded, wantReason: "quantity_decreased"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckInvitation(tt.inv, now)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("CheckInvitation error = %v, want %v", err, tt.wantErr)
			}
			var ended *InvitationEndedError
			if errors.As(err, &ended) != (tt.wantReason != "") || ended != nil && ended.Reason != tt.wantReason {
				t.Errorf("error %v, want end reason %q", err, tt.wantReason)
			}
		})
	}
}

func TestPlanClaim(t *testing.T) {
	t.Parallel()
	now := planT0
	seats := []SeatView{invited("s1", 1, 1), held("s2", "bob", 0, 0), free("s3", 2)}
	open := InvitationView{SeatID: "s1", ExpiresAt: now.Add(time.Hour)}
	tests := []struct {
		name    string
		order   string
		user    UserView
		inv     *InvitationView
		seats   []SeatView
		wantErr error
	}{
		{name: "claim", user: alice},
		{name: "expired", user: alice, inv: &InvitationView{SeatID: "s1", ExpiresAt: now}, wantErr: ErrInvitationExpired},
		{name: "used", user: alice, inv: &InvitationView{SeatID: "s1", ExpiresAt: open.ExpiresAt, Ended: true, EndReason: "claimed"}, wantErr: ErrInvitationUsed},
		{name: "token fault wins over user fault", user: dave, inv: &InvitationView{SeatID: "s1", ExpiresAt: now}, wantErr: ErrInvitationExpired},
		{name: "seat no longer invited", user: alice, seats: []SeatView{free("s1", 1)}, wantErr: ErrInvitationEnded},
		{name: "seat gone from the line", user: alice, seats: []SeatView{free("s3", 1)}, wantErr: ErrInvitationEnded},
		{name: "canceled order", order: "canceled", user: alice, wantErr: ErrOrderCanceled},
		{name: "deactivated user", user: dave, wantErr: ErrUserDeactivated},
		{name: "user of another customer", user: UserView{ID: "zed", CustomerID: "c2", Status: "active"}, wantErr: ErrCustomerMismatch},
		{name: "user without customer", user: UserView{ID: "zed", Status: "active"}, wantErr: ErrCustomerMismatch},
		{name: "user seated elsewhere on the line", user: bob, wantErr: ErrUserAlreadySeated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := ClaimRequest{OrderStatus: cmp.Or(tt.order, "active"), OrderCustomerID: "c1",
				User: tt.user, Invitation: open, Now: now, Seats: seats}
			if tt.inv != nil {
				req.Invitation = *tt.inv
			}
			if tt.seats != nil {
				req.Seats = tt.seats
			}
			err := PlanClaim(req)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("PlanClaim error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
