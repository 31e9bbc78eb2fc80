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
// event, and marking it applied), the effect and, for any other outcome,
// the row's correction are one transaction, so an event is applied at most
// once however many workers get it (rule 8).
func (i *Inbox) Apply(ctx context.Context, ev jobs.ApplyEvent, fn ApplyFunc) (outcome, reason string, err error) {
	err = i.db.InTx(ctx, func(tx *storage.Tx) error {
		claim, err := tx.ClaimInboxEvent(ctx, Row(ev))
		if err != nil {
			return err
		}
		if !claim.Claimed {
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
		if outcome == Applied {
			return nil // the claim marked it so
		}
		return tx.FinishInboxEvent(ctx, claim.ID, outcome, reason)
	})
	if err != nil {
		return "", "", fmt.Errorf("apply event %s/%s: %w", ev.Source, ev.EventID, err)
	}
	return outcome, reason, nil
}
