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
			ExternalID: c.ExternalID, Name: c.Name, Email: c.Email,
		}, at)
	case webhooks.UserUpserted:
		return tx.UpsertUser(ctx, storage.UserInput{
			CustomerExternalID: c.CustomerExternalID, ExternalID: c.ExternalID,
			Email: c.Email, Name: c.Name, Status: c.Status,
			Groups: c.Groups, GroupsSet: c.GroupsSet,
		}, at)
	case webhooks.UserDeactivated:
		return tx.DeactivateUser(ctx, c.CustomerExternalID, c.ExternalID, at)
	default:
		// Orders and seats are recorded now and applied once the seat
		// engine exists; an operator can replay them then.
		return false, permanent("event type %q is not supported by this version", env.Type)
	}
}
