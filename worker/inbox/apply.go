package inbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
)

// PermanentError is an event that can never be applied, however often it
// is retried: Apply records it on the inbox row as failed, with Reason,
// and commits.
type PermanentError struct{ Reason string }

func (e *PermanentError) Error() string { return e.Reason }

// Permanent makes a PermanentError.
func Permanent(format string, args ...any) error {
	return &PermanentError{Reason: fmt.Sprintf(format, args...)}
}

// ApplyFunc performs an event's effect inside tx. It reports false when
// the event is older than the state it would overwrite (stale), returns a
// PermanentError for an event that can never be applied, and any other
// error to roll back and have the event retried.
type ApplyFunc func(ctx context.Context, tx *storage.Tx) (applied bool, err error)

// Apply applies ev with fn unless its inbox row says it already was, and
// returns what became of it: Applied, Stale, Failed (with the reason) or
// Duplicate. Claiming the row (creating it when only the queue had the
// event), the effect and the row's new status are one transaction, so an
// event is applied at most once however many workers get it (rule 8).
func (i *Inbox) Apply(ctx context.Context, ev jobs.ApplyEvent, fn ApplyFunc) (outcome, reason string, err error) {
	err = i.db.InTx(ctx, func(tx *storage.Tx) error {
		row, err := tx.ClaimInboxEvent(ctx, Row(ev))
		if err != nil {
			return err
		}
		if row.Status != storage.InboxReceived {
			outcome, reason = Duplicate, ""
			return nil
		}
		outcome, reason = Applied, ""
		applied, err := fn(ctx, tx)
		var perm *PermanentError
		switch {
		case errors.As(err, &perm):
			outcome, reason = Failed, perm.Reason
		case err != nil:
			return err
		case !applied:
			outcome = Stale
		}
		return tx.FinishInboxEvent(ctx, row.ID, outcome, reason)
	})
	if err != nil {
		return "", "", fmt.Errorf("apply event %s/%s: %w", ev.Source, ev.EventID, err)
	}
	return outcome, reason, nil
}
