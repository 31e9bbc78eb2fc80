package engine

import (
	"context"
	"time"

	"github.com/seatsync/seatsync/storage"
)

// The outbound wire format of SPEC §3: Standard Webhooks body shape.
type (
	eventBody struct {
		Type      string    `json:"type"`
		Timestamp time.Time `json:"timestamp"`
		Data      any       `json:"data"`
	}
	objectRef struct {
		ID         string `json:"id"`
		ExternalID string `json:"external_id"`
	}
	userRef struct {
		ExternalID string `json:"external_id"`
		Email      string `json:"email"`
	}
	seatEvent struct {
		SeatID       string    `json:"seat_id"`
		AssignmentID string    `json:"assignment_id,omitempty"`
		Reason       string    `json:"reason,omitempty"`
		Customer     objectRef `json:"customer"`
		Order        objectRef `json:"order"`
		ProductID    string    `json:"product_id"`
		User         *userRef  `json:"user"`
		Sequence     int64     `json:"sequence"`
		OccurredAt   time.Time `json:"occurred_at"`
		// Invitation is set on events about an invited seat: who was
		// invited and, on seat.invited only, the token to e-mail them.
		Invitation *invitationRef `json:"invitation,omitempty"`
	}
	invitationRef struct {
		Email     string     `json:"email"`
		Token     string     `json:"token,omitempty"`
		ExpiresAt *time.Time `json:"expires_at,omitempty"`
	}
	poolEvent struct {
		Customer         objectRef `json:"customer"`
		Order            objectRef `json:"order"`
		ProductID        string    `json:"product_id"`
		Quantity         int       `json:"quantity"`
		PreviousQuantity int       `json:"previous_quantity"`
		poolSchedule
		Sequence   int64     `json:"sequence"`
		OccurredAt time.Time `json:"occurred_at"`
	}
	userEvent struct {
		Customer   objectRef `json:"customer"`
		User       userRef   `json:"user"`
		OccurredAt time.Time `json:"occurred_at"`
	}
)

// seatChange is one change of occupancy to report: who got or lost the
// seat (a user, or an invitee's email), and why.
type seatChange struct {
	eventType, seatID, assignmentID, reason string
	user                                    *userRef
	invitation                              *invitationRef
}

// emitSeats writes one seat event per change, numbered in order on the
// line (storage fills in each sequence), in one statement however many
// there are.
func (e *Engine) emitSeats(ctx context.Context, tx *storage.Tx, line storage.Line, changes []seatChange) error {
	if len(changes) == 0 {
		return nil
	}
	now := e.now().UTC()
	entries := make([]storage.OutboxEntry, len(changes))
	for i, c := range changes {
		entries[i] = storage.OutboxEntry{EventType: c.eventType, Body: eventBody{Type: c.eventType, Timestamp: now, Data: seatEvent{
			SeatID: c.seatID, AssignmentID: c.assignmentID, Reason: c.reason,
			Customer:  objectRef{ID: line.CustomerID, ExternalID: line.CustomerExternalID},
			Order:     objectRef{ID: line.OrderID, ExternalID: line.OrderExternalID},
			ProductID: line.ProductID, User: c.user, OccurredAt: now, Invitation: c.invitation,
		}}}
	}
	return tx.AppendLineEvents(ctx, line.CustomerID, line.ID, entries)
}

// emitPool writes a seat.pool_updated event for a quantity or schedule change.
func (e *Engine) emitPool(ctx context.Context, tx *storage.Tx, line storage.Line, previous int) error {
	now := e.now().UTC()
	return tx.AppendLineEvents(ctx, line.CustomerID, line.ID, []storage.OutboxEntry{{EventType: "seat.pool_updated",
		Body: eventBody{Type: "seat.pool_updated", Timestamp: now, Data: poolEvent{
			Customer:  objectRef{ID: line.CustomerID, ExternalID: line.CustomerExternalID},
			Order:     objectRef{ID: line.OrderID, ExternalID: line.OrderExternalID},
			ProductID: line.ProductID, Quantity: line.Quantity, PreviousQuantity: previous, poolSchedule: schedulePart(line),
			OccurredAt: now,
		}}}})
}

// emitUserDeactivated writes a user.deactivated event.
func (e *Engine) emitUserDeactivated(ctx context.Context, tx *storage.Tx, u storage.UserState, customerExternalID string) error {
	now := e.now().UTC()
	return tx.AppendOutbox(ctx, "user.deactivated", u.CustomerID, "", 0, eventBody{Type: "user.deactivated", Timestamp: now, Data: userEvent{
		Customer:   objectRef{ID: u.CustomerID, ExternalID: customerExternalID},
		User:       userRef{ExternalID: u.ExternalID, Email: u.Email},
		OccurredAt: now,
	}})
}
