package worker

import (
	"context"
	"errors"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/webhooks"
	"github.com/seatsync/seatsync/worker/engine"
)

// apply performs one event's effect inside tx. It reports false when the
// event is older than the state it would overwrite (stale), and returns a
// permanentError for an event that can never be applied.
func (h *EventHandler) apply(ctx context.Context, tx *storage.Tx, ev jobs.ApplyEvent) (applied bool, err error) {
	env, err := webhooks.Decode(ev.Kind, ev.Source, ev.Payload)
	if errors.Is(err, webhooks.ErrUnknownType) {
		return false, permanent("event type %q is not supported by this version", ev.EventType)
	}
	if err != nil {
		return false, permanent("%v", err)
	}
	return h.applyCommand(ctx, tx, env)
}

func (h *EventHandler) applyCommand(ctx context.Context, tx *storage.Tx, env webhooks.Envelope) (bool, error) {
	at := env.Timestamp
	switch c := env.Command.(type) {
	case webhooks.CustomerUpserted:
		return h.engine.UpsertCustomer(ctx, tx, storage.CustomerInput{
			ExternalID: c.ExternalID, Name: c.Name, Email: c.Email, ProviderIDs: c.ProviderIDs,
		}, at)
	case webhooks.UserUpserted:
		return h.engine.UpsertUser(ctx, tx, storage.UserInput{
			Customer: customerRef(c.CustomerExternalID, c.Customer), ExternalID: c.ExternalID,
			Email: c.Email, Name: c.Name, Status: c.Status, Groups: c.Groups, GroupsSet: c.GroupsSet,
		}, at)
	case webhooks.UserDeactivated:
		return h.engine.DeactivateUser(ctx, tx, customerRef(c.CustomerExternalID, c.Customer), c.ExternalID, at)
	case webhooks.UserGroupChanged:
		return h.engine.ChangeUserGroup(ctx, tx, customerRef(c.CustomerExternalID, c.Customer),
			c.UserExternalID, c.Group, c.Member, at)
	case webhooks.OrderUpserted:
		lines := make([]storage.LineInput, len(c.Lines))
		for i, l := range c.Lines {
			lines[i] = storage.LineInput{ProductID: l.ProductID, Quantity: l.Quantity}
		}
		return h.engine.UpsertOrder(ctx, tx, storage.OrderInput{
			ExternalID: c.ExternalID, Customer: customerRef(c.CustomerExternalID, c.Customer),
			Status: c.Status, Lines: lines,
		}, at)
	case webhooks.OrderCanceled:
		// An unknown order is retried: its creation may still be on the way.
		return h.engine.CancelOrder(ctx, tx, c.ExternalID, at)
	case webhooks.SeatAssignRequested:
		return h.request(h.engine.Assign(ctx, tx, c.OrderExternalID, c.ProductID, "", c.UserExternalID))
	case webhooks.SeatUnassignRequested:
		return h.request(h.engine.Unassign(ctx, tx, c.OrderExternalID, c.ProductID, c.UserExternalID))
	}
	return false, permanent("event type %q is not supported by this version", env.Type)
}

// request turns the outcome of a seat request into the event's outcome: a
// rule the request breaks can never be satisfied by retrying; a line or
// user that does not exist yet may still be on the way.
func (h *EventHandler) request(err error) (bool, error) {
	if rule := engine.Rule(err); rule != nil {
		return false, permanent("%v: %v", rule, err)
	}
	return err == nil, err
}

func customerRef(externalID string, p webhooks.ProviderRef) storage.CustomerRef {
	return storage.CustomerRef{ExternalID: externalID, Provider: p.Provider, ProviderID: p.ID}
}
