package worker

import (
	"context"
	"errors"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/webhooks"
)

// apply performs one event's effect inside tx. It reports false when the
// event is older than the state it would overwrite (stale), and returns a
// permanentError for an event that can never be applied.
func apply(ctx context.Context, tx *storage.Tx, ev jobs.ApplyEvent) (applied bool, err error) {
	env, err := webhooks.Decode(ev.Kind, ev.Source, ev.Payload)
	if errors.Is(err, webhooks.ErrUnknownType) {
		return false, permanent("event type %q is not supported by this version", ev.EventType)
	}
	if err != nil {
		return false, permanent("%v", err)
	}
	return applyCommand(ctx, tx, env)
}

func applyCommand(ctx context.Context, tx *storage.Tx, env webhooks.Envelope) (bool, error) {
	at := env.Timestamp
	switch c := env.Command.(type) {
	case webhooks.CustomerUpserted:
		return tx.UpsertCustomer(ctx, storage.CustomerInput{
			ExternalID: c.ExternalID, Name: c.Name, Email: c.Email, ProviderIDs: c.ProviderIDs,
		}, at)
	case webhooks.UserUpserted:
		return tx.UpsertUser(ctx, storage.UserInput{
			Customer: customerRef(c.CustomerExternalID, c.Customer), ExternalID: c.ExternalID,
			Email: c.Email, Name: c.Name, Status: c.Status,
			Groups: c.Groups, GroupsSet: c.GroupsSet,
		}, at)
	case webhooks.UserDeactivated:
		return tx.DeactivateUser(ctx, customerRef(c.CustomerExternalID, c.Customer), c.ExternalID, at)
	case webhooks.UserGroupChanged:
		return tx.ChangeUserGroup(ctx, customerRef(c.CustomerExternalID, c.Customer), c.UserExternalID, c.Group, c.Member, at)
	case webhooks.OrderUpserted:
		lines := make([]storage.LineInput, len(c.Lines))
		for i, l := range c.Lines {
			lines[i] = storage.LineInput{ProductID: l.ProductID, Quantity: l.Quantity}
		}
		return tx.UpsertOrder(ctx, storage.OrderInput{
			ExternalID: c.ExternalID, Customer: customerRef(c.CustomerExternalID, c.Customer),
			Status: c.Status, Lines: lines,
		}, at)
	case webhooks.OrderCanceled:
		// An unknown order is retried: its creation may still be on the way.
		return tx.CancelOrder(ctx, c.ExternalID, at)
	default:
		// Seat requests are recorded now and applied once the seat engine
		// exists; an operator can replay them then.
		return false, permanent("event type %q is not supported by this version", env.Type)
	}
}

func customerRef(externalID string, p webhooks.ProviderRef) storage.CustomerRef {
	return storage.CustomerRef{ExternalID: externalID, Provider: p.Provider, ProviderID: p.ID}
}
