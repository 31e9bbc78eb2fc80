package worker

import (
	"context"
	"errors"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/webhooks"
	"github.com/seatsync/seatsync/worker/engine"
	"github.com/seatsync/seatsync/worker/inbox"
)

// applyResult is what applying one event's effect came to.
type applyResult struct {
	applied    bool   // false: stale (or failed, with err)
	err        error  // an *inbox.PermanentError for an event that can never be applied
	ruleBroken bool   // err is a seat rule the event breaks (engine.IsRuleError)
	customer   string // the customer the event is about, for logs, when it names one
}

// apply performs one event's effect inside tx.
func (h *EventHandler) apply(ctx context.Context, tx *storage.Tx, ev jobs.ApplyEvent) applyResult {
	env, err := webhooks.Decode(ev.Kind, ev.Source, ev.Payload)
	if errors.Is(err, webhooks.ErrUnknownType) {
		return applyResult{err: inbox.Permanent("event type %q is not supported by this version", ev.EventType)}
	}
	if err != nil {
		return applyResult{err: inbox.Permanent("%v", err)}
	}
	res := applyResult{customer: customerOf(env.Command)}
	res.applied, res.err = h.applyCommand(ctx, tx, env)
	// A rule a seat request breaks can never be satisfied by retrying; a
	// line or user that does not exist yet may still be on the way.
	// The inbox reason leads with the rule's code, then says it in words.
	if rule := engine.Rule(res.err); rule != nil && isSeatRequest(env.Command) {
		res.applied, res.err, res.ruleBroken = false, inbox.Permanent("%v: %v", rule, res.err), true
	}
	return res
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
			lines[i] = storage.LineInput{ProductID: l.ProductID, Quantity: l.Quantity, LineSettings: storage.LineSettings{
				ScheduledQuantity: l.ScheduledQuantity, ScheduledAt: l.ScheduledAt,
				Elastic: l.Elastic, MaxQuantity: l.MaxQuantity, Release: l.Release,
			}}
		}
		applied, err := h.engine.UpsertOrder(ctx, tx, storage.OrderInput{
			ExternalID: c.ExternalID, Customer: customerRef(c.CustomerExternalID, c.Customer),
			Status: c.Status, Lines: lines, CancelAt: c.CancelAt, CurrentPeriodEnd: c.CurrentPeriodEnd,
			KeepSchedules: c.KeepSchedules,
		}, at)
		if err != nil {
			return false, err
		}
		// Recorded even from a stale event: a price's product never changes.
		return applied, recordPrices(ctx, tx, c)
	case webhooks.OrderScheduleChanged:
		// An unknown order is retried, like order.canceled.
		in, err := scheduleInput(ctx, tx, c)
		if err != nil {
			return false, err
		}
		return h.engine.SetSchedules(ctx, tx, in, at)
	case webhooks.OrderCanceled:
		// An unknown order is retried: its creation may still be on the way.
		return h.engine.CancelOrder(ctx, tx, c.ExternalID, at)
	case webhooks.SeatAssignRequested:
		err := h.engine.Assign(ctx, tx, c.OrderExternalID, c.ProductID, "", c.UserExternalID)
		return err == nil, err
	case webhooks.SeatUnassignRequested:
		err := h.engine.Unassign(ctx, tx, c.OrderExternalID, c.ProductID, c.UserExternalID)
		return err == nil, err
	}
	return false, inbox.Permanent("event type %q is not supported by this version", env.Type)
}

func isSeatRequest(cmd any) bool {
	switch cmd.(type) {
	case webhooks.SeatAssignRequested, webhooks.SeatUnassignRequested:
		return true
	}
	return false
}

// customerOf names the customer an event is about for log lines: its
// external id, or the provider's id when the event names the customer
// only that way. Events that name only an order have none to give.
func customerOf(cmd any) string {
	var externalID string
	var p webhooks.ProviderRef
	switch c := cmd.(type) {
	case webhooks.CustomerUpserted:
		return c.ExternalID
	case webhooks.UserUpserted:
		externalID, p = c.CustomerExternalID, c.Customer
	case webhooks.UserDeactivated:
		externalID, p = c.CustomerExternalID, c.Customer
	case webhooks.UserGroupChanged:
		externalID, p = c.CustomerExternalID, c.Customer
	case webhooks.OrderUpserted:
		externalID, p = c.CustomerExternalID, c.Customer
	case webhooks.OrderScheduleChanged:
		p = c.Customer
	}
	if externalID == "" && p.ID != "" {
		return p.Provider + ":" + p.ID
	}
	return externalID
}

func customerRef(externalID string, p webhooks.ProviderRef) storage.CustomerRef {
	return storage.CustomerRef{ExternalID: externalID, Provider: p.Provider, ProviderID: p.ID}
}
