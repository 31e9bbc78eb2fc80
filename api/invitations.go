package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/engine"
)

// Invitations: a seat is invited by email, and whoever has the token claims
// it for a user of the order's customer. Tokens are secrets: they are in
// the answers of invite and resend and in the seat.invited event (kept in
// the outbox until it is delivered and pruned), and nowhere else — the
// invitations table holds their SHA-256, and no log line or error message
// carries one.

// invitedSeatJSON is the answer of invite and resend: the seat, and the
// invitation with its token.
type invitedSeatJSON struct {
	seatJSON
	Invitation invitationJSON `json:"invitation"`
}

// Token is null only in a replay of an idempotent request: tokens are
// stored hashed, never in clear, so a replay cannot show it again.
type invitationJSON struct {
	Token     *string   `json:"token"`
	Email     string    `json:"email"`
	ExpiresAt time.Time `json:"expires_at"`
}

// claimJSON is what a claim page may show about an open invitation.
type claimJSON struct {
	SeatID          string           `json:"seat_id"`
	OrderExternalID string           `json:"order_external_id"`
	ProductID       string           `json:"product_id"`
	Customer        claimCustomerRef `json:"customer"`
	Email           string           `json:"email"`
	ExpiresAt       time.Time        `json:"expires_at"`
	Status          string           `json:"status"`
}

type claimCustomerRef struct {
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
}

func (a *API) invite(c *gin.Context) {
	var body struct {
		Email *string `json:"email"`
	}
	if err := readJSON(c, &body); err != nil {
		a.fail(c, err)
		return
	}
	if err := checkEmail(body.Email); err != nil {
		a.fail(c, err)
		return
	}
	ctx, order, seat := c.Request.Context(), c.Param("order"), c.Param("seat")
	var inv engine.Invitation
	err := a.db.InTx(ctx, func(tx *storage.Tx) (err error) {
		inv, err = a.engine.Invite(ctx, tx, order, seat, *body.Email, a.invitationTTL)
		return err
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	a.answerInvitationSeat(c, http.StatusCreated, order, seat, &inv)
}

func (a *API) resendInvitation(c *gin.Context) {
	ctx, order, seat := c.Request.Context(), c.Param("order"), c.Param("seat")
	var inv engine.Invitation
	err := a.db.InTx(ctx, func(tx *storage.Tx) (err error) {
		inv, err = a.engine.ResendInvitation(ctx, tx, order, seat, a.invitationTTL)
		return err
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	a.answerInvitationSeat(c, http.StatusOK, order, seat, &inv)
}

func (a *API) revokeInvitation(c *gin.Context) {
	ctx, order, seat := c.Request.Context(), c.Param("order"), c.Param("seat")
	err := a.db.InTx(ctx, func(tx *storage.Tx) error {
		return a.engine.RevokeInvitation(ctx, tx, order, seat)
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	a.answerInvitationSeat(c, http.StatusOK, order, seat, nil)
}

// getClaim shows an open invitation to whoever holds its token. It is
// public and only reads: looking at a link must never use it up.
func (a *API) getClaim(c *gin.Context) {
	inv, err := a.db.InvitationByToken(c.Request.Context(), c.Param("token"))
	if errors.Is(err, storage.ErrNotFound) {
		err = fmt.Errorf("no invitation has this token: %w", engine.ErrInvitationNotFound)
	}
	if err == nil {
		err = engine.CheckInvitation(engine.InvitationView{
			SeatID: inv.SeatID, ExpiresAt: inv.ExpiresAt, Ended: inv.EndedAt != nil, EndReason: inv.EndReason,
		}, a.now())
	}
	if err != nil {
		a.fail(c, withEndReason(err))
		return
	}
	c.JSON(http.StatusOK, claimJSON{
		SeatID: inv.SeatID, OrderExternalID: inv.OrderExternalID, ProductID: inv.ProductID,
		Customer: claimCustomerRef{ExternalID: inv.CustomerExternalID, Name: inv.CustomerName},
		Email:    inv.Email, ExpiresAt: inv.ExpiresAt.UTC(), Status: "open",
	})
}

// claim gives the invited seat to a user of the order's customer; the
// product's backend calls it, with its key, for its signed-in user.
func (a *API) claim(c *gin.Context) {
	var body struct {
		UserExternalID *string `json:"user_external_id"`
	}
	if err := readJSON(c, &body); err != nil {
		a.fail(c, err)
		return
	}
	if body.UserExternalID == nil || *body.UserExternalID == "" {
		a.fail(c, invalidParameter("user_external_id", "user_external_id is required: the user who claims the seat"))
		return
	}
	ctx, token := c.Request.Context(), c.Param("token")
	var claimed engine.ClaimedSeat
	err := a.db.InTx(ctx, func(tx *storage.Tx) (err error) {
		claimed, err = a.engine.Claim(ctx, tx, token, *body.UserExternalID)
		return err
	})
	if err != nil {
		a.fail(c, withEndReason(err))
		return
	}
	a.answerInvitationSeat(c, http.StatusOK, claimed.OrderExternalID, claimed.SeatID, nil)
}

// checkEmail accepts the one plain address an invitation goes to.
func checkEmail(email *string) error {
	if email == nil || *email == "" {
		return invalidParameter("email", "email is required: the address to invite")
	}
	return checkEmailField("email", *email)
}

// withEndReason adds how an invitation ended to its answer, so a claim
// page can tell a resent link from a withdrawn one.
func withEndReason(err error) error {
	var ended *engine.InvitationEndedError
	if !errors.As(err, &ended) {
		return err
	}
	return &detailedError{
		apiError: &apiError{http.StatusGone, "invitation_ended", ended.Error()},
		details:  map[string]any{"reason": ended.Reason},
	}
}

// answerInvitationSeat answers the seat as it is after the change, with
// the new invitation and its token after an invite or a resend.
func (a *API) answerInvitationSeat(c *gin.Context, status int, order, seatID string, inv *engine.Invitation) {
	s, err := a.db.OrderSeat(c.Request.Context(), order, seatID)
	if err != nil {
		a.fail(c, err)
		return
	}
	if inv == nil {
		c.JSON(status, toSeatJSON(order, s))
		return
	}
	answer := invitedSeatJSON{
		seatJSON:   toSeatJSON(order, s),
		Invitation: invitationJSON{Token: &inv.Token, Email: inv.Email, ExpiresAt: inv.ExpiresAt},
	}
	withoutToken := answer
	withoutToken.Invitation.Token = nil
	replayWithout(c, withoutToken)
	c.JSON(status, answer)
}
