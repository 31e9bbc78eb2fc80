package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/seatsync/seatsync/storage"
)

// Broken rules of moving pending-removal marks (PUT /v1/orders/{order}/pending-removals).
var (
	ErrNoSchedule    = errors.New("no_schedule")      // 409: the line has no scheduled reduction to move marks of
	ErrMarkCount     = errors.New("wrong_count")      // 422: as many seats must be named as the schedule marks
	ErrDuplicateSeat = errors.New("duplicate_seat")   // 422: a seat named twice
	ErrSeatNotOnLine = errors.New("seat_not_on_line") // 422: a seat named is no live seat of the line
)

// ScheduleQueue enqueues the task that applies a scheduled change at its
// time (the worker's; jobs.TypeApplySchedule). Enqueuing is best effort:
// the schedule sweep applies what a lost task would have.
type ScheduleQueue interface {
	EnqueueDue(ctx context.Context, d storage.Due) error
}

// UseScheduleQueue has the engine enqueue, after the transaction commits,
// a task for every schedule or cancel_at it sees set or changed.
func (e *Engine) UseScheduleQueue(q ScheduleQueue) { e.queue = q }

// syncSchedule keeps a line's pending-removal marks right for its schedule
// and reports a schedule set, changed or cleared with seat.pool_updated
// (unless the resize that precedes it did). It runs after resize, so
// line.Live is the quantity.
func (e *Engine) syncSchedule(ctx context.Context, tx *storage.Tx, line storage.Line, reported bool) error {
	// An elastic line's quantity is a floor, so its schedule lowers the
	// floor and unseats nobody: it marks no seat (its marks are its
	// release's, see elastic.go).
	if !line.Elastic {
		want := WantMarks(line.Quantity, line.ScheduledQuantity, line.OrderStatus == storage.OrderActive)
		if err := e.syncMarks(ctx, tx, line, want); err != nil {
			return err
		}
	}
	current := currentSchedule(line)
	if sameSchedule(current, line.Reported) {
		return nil
	}
	if !reported {
		if err := e.emitPool(ctx, tx, line, line.Quantity); err != nil {
			return err
		}
	}
	if e.queue != nil && line.OrderStatus == storage.OrderActive {
		var due []storage.Due
		if line.ScheduledAt != nil {
			due = append(due, storage.Due{Kind: storage.DueLine, ID: line.ID, At: *line.ScheduledAt})
		}
		if line.CancelAt != nil {
			due = append(due, storage.Due{Kind: storage.DueOrder, ID: line.OrderID, At: *line.CancelAt})
		}
		q := e.queue
		for _, d := range due {
			tx.AfterCommit(func(ctx context.Context) { _ = q.EnqueueDue(ctx, d) }) // the sweep catches a failure
		}
	}
	return tx.ReportSchedule(ctx, line.ID, current)
}

// syncMarks marks or unmarks seats until want of the line's seats are
// marked: rule 6 picks the seats to mark, and the ones it would retire last
// lose their mark first. Clearing every mark is one statement.
func (e *Engine) syncMarks(ctx context.Context, tx *storage.Tx, line storage.Line, want int) error {
	have := line.PendingRemovals
	switch {
	case have == want:
		return nil
	case want == 0:
		return tx.ClearMarks(ctx, line.ID)
	case have > want:
		marked, err := tx.MarkedSeats(ctx, line.ID, have)
		if err != nil {
			return err
		}
		_, unmark := PlanMarks(want, views(marked), nil)
		return tx.SetMarks(ctx, line.ID, nil, viewIDs(unmark))
	}
	candidates, err := tx.MarkCandidates(ctx, line.ID, want-have)
	if err != nil {
		return err
	}
	mark, _ := PlanMarks(want-have, nil, views(candidates))
	if len(mark) != want-have {
		return fmt.Errorf("line %s of order %s: %d seats to mark, %d found", line.ProductID, line.OrderExternalID, want-have, len(mark))
	}
	return tx.SetMarks(ctx, line.ID, viewIDs(mark), nil)
}

// currentSchedule is what a line's seat.pool_updated reports of its
// schedule.
func currentSchedule(line storage.Line) storage.ReportedSchedule {
	return storage.ReportedSchedule{ScheduledQuantity: line.ScheduledQuantity, ScheduledAt: line.ScheduledAt, CancelAt: line.CancelAt}
}

func sameSchedule(a, b storage.ReportedSchedule) bool {
	return equalPtr(a.ScheduledQuantity, b.ScheduledQuantity, func(x, y int) bool { return x == y }) &&
		equalPtr(a.ScheduledAt, b.ScheduledAt, time.Time.Equal) && equalPtr(a.CancelAt, b.CancelAt, time.Time.Equal)
}

func equalPtr[T any](a, b *T, eq func(T, T) bool) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return eq(*a, *b)
}

// ApplyDueSchedules applies up to limit schedules and cancellations due at
// now, each in a transaction of its own: the safety net behind the
// scheduled tasks (a task lost with Redis, or never enqueued because the
// process died right after the commit). Several sweeps and tasks may race:
// each change is checked again under its locks, so it applies once. It
// returns how many it applied; one that fails does not stop the others.
func (e *Engine) ApplyDueSchedules(ctx context.Context, db *storage.DB, now time.Time, limit int) (int, error) {
	due, err := db.DueSchedules(ctx, now, limit)
	if err != nil {
		return 0, err
	}
	applied := 0
	var errs []error
	for _, d := range due {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		var done bool
		err := db.InTx(ctx, func(tx *storage.Tx) (err error) {
			done, err = e.ApplyDue(ctx, tx, d, now)
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("apply %s schedule %s at %s: %w", d.Kind, d.ID, d.At.Format(time.RFC3339), err))
			continue
		}
		if done {
			applied++
		}
	}
	return applied, errors.Join(errs...)
}

// ApplyDue applies one scheduled change if it still stands and is due at
// now: a line's reduction (quantity = scheduled_quantity, the schedule
// cleared, its marked seats retired with seat.revoked quantity_decreased
// for held ones, waiting users refilled elsewhere) or an order's cancel_at
// (the order canceled, every seat revoked with order_canceled). It locks
// the customer, then the lines, and reports false, changing nothing, when
// the change applied already, was replaced or cleared by a later event, or
// is not due yet: idempotent by state.
func (e *Engine) ApplyDue(ctx context.Context, tx *storage.Tx, d storage.Due, now time.Time) (bool, error) {
	if d.At.After(now) {
		return false, nil
	}
	t, err := tx.DueTarget(ctx, d)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := tx.LockExistingCustomer(ctx, t.CustomerExternalID); err != nil {
		return false, err
	}
	if d.Kind == storage.DueOrder {
		// The lines first, in the lock order; ApplyCancelAt checks that the
		// order is still active with that cancel_at.
		if _, err := tx.LockOrderLines(ctx, t.OrderID); err != nil {
			return false, err
		}
		if ok, err := tx.ApplyCancelAt(ctx, t.OrderID, d.At); !ok || err != nil {
			return false, err
		}
		return true, e.ReconcileOrder(ctx, tx, t.OrderID)
	}
	line, err := tx.LockLine(ctx, t.OrderExternalID, t.ProductID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if d.Kind == storage.DueRelease {
		if err != nil || line.OrderStatus != storage.OrderActive || !ScheduleDue(line.CurrentPeriodEnd, d.At, now) {
			return false, err
		}
		return e.releaseAtPeriodEnd(ctx, tx, line)
	}
	if err != nil || line.OrderStatus != storage.OrderActive || !ScheduleDue(line.ScheduledAt, d.At, now) || line.ScheduledQuantity == nil {
		return false, err
	}
	if ok, err := tx.ApplyLineSchedule(ctx, line.ID, d.At); !ok || err != nil {
		return false, err
	}
	line.Quantity = max(*line.ScheduledQuantity, 0)
	line.ScheduledQuantity, line.ScheduledAt = nil, nil
	if err := e.reconcileLine(ctx, tx, line); err != nil {
		return false, err
	}
	// reconcileLine leaves the product's demand to ReconcileOrder, which a
	// due line change does not run: the users it displaced may now wait.
	return true, e.settleDemand(ctx, tx, line.CustomerID, line.ProductID)
}

// MovePendingRemovals moves the pending-removal marks of an order's line
// to the seats named, as many as the schedule marks, before the schedule's
// date. It returns the line's seats marked afterwards.
func (e *Engine) MovePendingRemovals(ctx context.Context, tx *storage.Tx, orderExternalID, productID string, seatIDs []string) ([]storage.Seat, error) {
	if _, err := e.lockOrderCustomer(ctx, tx, orderExternalID); err != nil {
		return nil, err
	}
	line, err := tx.LockLine(ctx, orderExternalID, productID)
	if err != nil {
		return nil, err
	}
	marked, err := tx.MarkedSeats(ctx, line.ID, line.PendingRemovals)
	if err != nil {
		return nil, err
	}
	found, err := tx.SeatsByID(ctx, []string{line.ID}, seatIDs)
	if err != nil {
		return nil, err
	}
	scheduled := line.ScheduledAt != nil && line.OrderStatus == storage.OrderActive
	mark, unmark, err := PlanMoveMarks(scheduled, views(marked), seatIDs, views(found))
	switch {
	case errors.Is(err, ErrNoSchedule):
		return nil, broke(err, "line %s of order %s has no scheduled reduction whose seats could be chosen", productID, orderExternalID)
	case errors.Is(err, ErrMarkCount):
		return nil, broke(err, "the scheduled reduction of line %s of order %s removes %d seats; %d were named", productID, orderExternalID, len(marked), len(seatIDs))
	case errors.Is(err, ErrDuplicateSeat):
		return nil, broke(err, "a seat is named twice for line %s of order %s", productID, orderExternalID)
	case errors.Is(err, ErrSeatNotOnLine):
		return nil, broke(err, "a seat named is no live seat of line %s of order %s", productID, orderExternalID)
	case err != nil:
		return nil, err
	}
	if err := tx.SetMarks(ctx, line.ID, mark, unmark); err != nil {
		return nil, err
	}
	return tx.MarkedSeats(ctx, line.ID, len(seatIDs))
}

func viewIDs(seats []SeatView) []string {
	ids := make([]string, len(seats))
	for i, s := range seats {
		ids[i] = s.ID
	}
	return ids
}

// retirement picks the n seats a smaller quantity retires: the line's
// marked seats first (PlanShrink), then rule 6 (PlanResize). A line with
// marks reads them all (they are at most the scheduled reduction, not the
// pool).
func (e *Engine) retirement(ctx context.Context, tx *storage.Tx, line storage.Line, n int) ([]SeatView, error) {
	var marked []storage.Seat
	if line.PendingRemovals > 0 {
		var err error
		if marked, err = tx.MarkedSeats(ctx, line.ID, line.PendingRemovals); err != nil {
			return nil, err
		}
	}
	if len(marked) == 0 {
		candidates, err := tx.RetirementCandidates(ctx, line.ID, n)
		if err != nil {
			return nil, err
		}
		_, retire := PlanResize(line.Live, views(candidates), line.Quantity)
		return retire, nil
	}
	var candidates []storage.Seat
	if len(marked) < n {
		var err error
		// Marked seats are among the candidates: read enough to skip them.
		if candidates, err = tx.RetirementCandidates(ctx, line.ID, n); err != nil {
			return nil, err
		}
	}
	return PlanShrink(n, views(marked), views(candidates)), nil
}

// poolSchedule is the part of seat.pool_updated about seats over time: the
// line's scheduled reduction and the order's cancel_at (each omitted when
// none), and how many live seats are pending removal.
type poolSchedule struct {
	ScheduledQuantity *int       `json:"scheduled_quantity,omitempty"`
	ScheduledAt       *time.Time `json:"scheduled_at,omitempty"`
	PendingRemovals   int        `json:"pending_removals"`
	CancelAt          *time.Time `json:"cancel_at,omitempty"`
}

// schedulePart is a line's poolSchedule once its marks are right: with a
// cancel_at every live seat is pending removal (no row is marked for it);
// else, on a fixed line, the seats its schedule marks, and on an elastic
// line its marked seats (its release's: a schedule there marks none), as
// seat usage counts them.
func schedulePart(line storage.Line) poolSchedule {
	p := poolSchedule{ScheduledQuantity: line.ScheduledQuantity, ScheduledAt: utc(line.ScheduledAt), CancelAt: utc(line.CancelAt)}
	switch {
	case line.OrderStatus != storage.OrderActive:
	case line.CancelAt != nil && line.Elastic:
		p.PendingRemovals = line.Live
	case line.CancelAt != nil:
		p.PendingRemovals = max(line.Quantity, 0)
	case line.Elastic:
		p.PendingRemovals = line.PendingRemovals
	default:
		p.PendingRemovals = WantMarks(line.Quantity, line.ScheduledQuantity, true)
	}
	return p
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
