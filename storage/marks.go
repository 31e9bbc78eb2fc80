package storage

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// Pending-removal marks (SPEC §1, seats over time): the seats a line's
// scheduled reduction will retire carry pending_removal from the moment
// the reduction is scheduled; the seat counter triggers keep
// order_lines.pending_removals. Every read below goes through an index and
// reads only as many rows as the decision needs.

// ReportedSchedule is the schedule, and the order's cancel_at, that a line
// last reported in seat.pool_updated.
type ReportedSchedule struct {
	ScheduledQuantity *int       `db:"scheduled_quantity"`
	ScheduledAt       *time.Time `db:"scheduled_at"`
	CancelAt          *time.Time `db:"cancel_at"`
}

// MarkedSeats returns up to n of a line's live seats marked pending_removal
// (index seats_pending_removal).
func (tx *Tx) MarkedSeats(ctx context.Context, lineID string, n int) ([]Seat, error) {
	var seats []Seat
	err := tx.x.SelectContext(ctx, &seats, `
		SELECT `+seatColumns+` FROM seats s LEFT JOIN users u ON u.id = s.user_id
		WHERE s.line_id = $1 AND s.retired_at IS NULL AND s.pending_removal
		ORDER BY s.id LIMIT $2`, lineID, n)
	return seats, wrapf(err, "marked seats of line %s", lineID)
}

// MarkCandidates returns the unmarked seats among which rule 6 picks n to
// mark: up to n of each kind, in RetirementCandidates' orders and through
// the same indexes (marked seats, at most the line's pending removals, are
// skipped on the way).
func (tx *Tx) MarkCandidates(ctx context.Context, lineID string, n int) ([]Seat, error) {
	var seats []Seat
	err := tx.x.SelectContext(ctx, &seats, `
		(SELECT `+seatColumns+` FROM seats s LEFT JOIN users u ON u.id = s.user_id
		 WHERE s.line_id = $1 AND s.retired_at IS NULL AND s.status = 'unassigned' AND NOT s.pending_removal
		 ORDER BY s.created_at DESC, s.id DESC LIMIT $2)
		UNION ALL
		(SELECT `+seatColumns+` FROM seats s LEFT JOIN users u ON u.id = s.user_id
		 WHERE s.line_id = $1 AND s.retired_at IS NULL AND s.status = 'invited' AND NOT s.pending_removal
		 ORDER BY s.occupied_at DESC, s.id DESC LIMIT $2)
		UNION ALL
		(SELECT `+seatColumns+` FROM seats s LEFT JOIN users u ON u.id = s.user_id
		 WHERE s.line_id = $1 AND s.retired_at IS NULL AND s.status = 'assigned' AND NOT s.pending_removal
		 ORDER BY s.occupied_at DESC, s.id DESC LIMIT $2)`, lineID, n)
	return seats, wrapf(err, "mark candidates of line %s", lineID)
}

// SetMarks marks and unmarks live seats of a line, in one statement.
func (tx *Tx) SetMarks(ctx context.Context, lineID string, mark, unmark []string) error {
	if len(mark)+len(unmark) == 0 {
		return nil
	}
	_, err := tx.x.ExecContext(ctx, `
		UPDATE seats SET pending_removal = (id = ANY($2::uuid[]))
		WHERE line_id = $1 AND retired_at IS NULL AND (id = ANY($2::uuid[]) OR id = ANY($3::uuid[]))
		  AND pending_removal <> (id = ANY($2::uuid[]))`, lineID, pq.StringArray(mark), pq.StringArray(unmark))
	return wrapf(err, "mark %d and unmark %d seats of line %s", len(mark), len(unmark), lineID)
}

// ClearMarks unmarks every marked seat of a line, in one statement through
// the seats_pending_removal index: a schedule cleared or canceled.
func (tx *Tx) ClearMarks(ctx context.Context, lineID string) error {
	_, err := tx.x.ExecContext(ctx, `
		UPDATE seats SET pending_removal = false
		WHERE line_id = $1 AND retired_at IS NULL AND pending_removal`, lineID)
	return wrapf(err, "clear marks of line %s", lineID)
}

// ReportSchedule records the schedule a line just reported in
// seat.pool_updated.
func (tx *Tx) ReportSchedule(ctx context.Context, lineID string, r ReportedSchedule) error {
	_, err := tx.x.ExecContext(ctx, `
		UPDATE order_lines SET reported_scheduled_quantity = $2, reported_scheduled_at = $3, reported_cancel_at = $4
		WHERE id = $1`, lineID, r.ScheduledQuantity, r.ScheduledAt, r.CancelAt)
	return wrapf(err, "report schedule of line %s", lineID)
}

// PendingRemovals is a line's count of marked live seats, as its counter
// says now (after seats were retired in this transaction, say).
func (tx *Tx) PendingRemovals(ctx context.Context, lineID string) (int, error) {
	var n int
	err := tx.x.GetContext(ctx, &n, `SELECT pending_removals FROM order_lines WHERE id = $1`, lineID)
	return n, wrapf(err, "pending removals of line %s", lineID)
}
