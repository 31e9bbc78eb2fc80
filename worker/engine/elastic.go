package engine

import (
	"context"

	"github.com/seatsync/seatsync/storage"
)

// Elastic lines (SPEC §1, seats over time; Lumen's model of seats bought
// per user). An elastic line seats a user when no seat is free by growing
// a seat, up to its max_quantity (none: no limit); its billable quantity
// is its live seats, which may be above the provider's quantity, and
// seat.pool_updated reports it (reason elastic_growth) for the product to
// bill. The provider's quantity is a floor, never a ceiling:
//
//   - quantity above live: seats are created, as on any line;
//   - quantity below live: billing follows usage, so only free seats above
//     the quantity are retired and nobody is unseated; only a max_quantity
//     lowered below live retires occupied seats (rule 6), down to it;
//   - quantity caught up with live: nothing changes, no event.
//
// A user leaving an elastic line frees the seat, waiting users take it
// first, and then, when the line holds more seats than its quantity (the
// seat was grown, not bought), release "immediate" retires it at once
// (seat.pool_updated, reason elastic_release) and "period_end" marks it
// pending_removal, to be retired at the order's current_period_end
// (releaseAtPeriodEnd); a marked free seat a new holder takes is unmarked
// instead of the line growing.

// Reasons of the seat.pool_updated events of elastic lines.
const (
	ReasonElasticGrowth  = "elastic_growth"  // seats grown for users
	ReasonElasticRelease = "elastic_release" // grown seats given back
	ReasonQuantityChange = "quantity_changed"
)

// maxElasticSeats bounds a line without max_quantity, as the quantity of
// any line is bounded (webhooks.MaxQuantity).
const maxElasticSeats = 1_000_000

// elasticPoolEvent is seat.pool_updated of an elastic line: the pool event
// with why it changed and the quantity to bill, before and after.
type elasticPoolEvent struct {
	poolEvent
	Reason                   string `json:"reason"`
	BillableQuantity         int    `json:"billable_quantity"`
	PreviousBillableQuantity int    `json:"previous_billable_quantity"`
}

// BillableQuantity is what the customer pays for on a line: its live
// seats on an elastic line (never below the quantity), its quantity on any
// other.
func BillableQuantity(line storage.Line) int {
	if line.Elastic {
		return max(line.Live, line.Quantity)
	}
	return line.Quantity
}

// growRoom is how many seats the line may still grow.
func growRoom(line storage.Line) int {
	if !line.Elastic || line.OrderStatus != storage.OrderActive {
		return 0
	}
	limit := maxElasticSeats
	if line.MaxQuantity != nil {
		limit = *line.MaxQuantity
	}
	return max(limit-line.Live, 0)
}

// atMax is the rule error of a seat request on an elastic line that
// cannot grow any more.
func atMax(line storage.Line, user string) error {
	limit := maxElasticSeats
	if line.MaxQuantity != nil {
		limit = *line.MaxQuantity
	}
	return broke(ErrNoFreeSeat, "line %s of order %s is at its max_quantity (%d seats, all taken), so user %s cannot be seated",
		line.ProductID, line.OrderExternalID, limit, user)
}

// emitElasticPool writes seat.pool_updated for an elastic line whose live
// seats went from previous to line.Live.
func (e *Engine) emitElasticPool(ctx context.Context, tx *storage.Tx, line storage.Line, reason string, previousLive, previousQuantity int) error {
	now := e.now().UTC()
	before := line
	before.Live, before.Quantity = previousLive, previousQuantity
	entry := storage.OutboxEntry{EventType: "seat.pool_updated",
		Body: eventBody{Type: "seat.pool_updated", Timestamp: now, Data: elasticPoolEvent{
			poolEvent: poolEvent{
				Customer:  objectRef{ID: line.CustomerID, ExternalID: line.CustomerExternalID},
				Order:     objectRef{ID: line.OrderID, ExternalID: line.OrderExternalID},
				ProductID: line.ProductID, Quantity: line.Quantity, PreviousQuantity: previousQuantity,
				poolSchedule: schedulePart(line), OccurredAt: now,
			},
			Reason: reason, BillableQuantity: BillableQuantity(line), PreviousBillableQuantity: BillableQuantity(before),
		}}}
	if reason == ReasonElasticGrowth {
		// One event per transaction that grows the line, however many
		// times it grows in it.
		return tx.AppendGrowth(ctx, line.CustomerID, line.ID, entry, BillableQuantity(line))
	}
	tx.ForgetGrowth(line.ID)
	return tx.AppendLineEvents(ctx, line.CustomerID, line.ID, []storage.OutboxEntry{entry})
}

// grow adds n seats to an elastic line and reports the growth, once for
// the n. line's counters must be current; it returns the seats and the
// line with them.
func (e *Engine) grow(ctx context.Context, tx *storage.Tx, line storage.Line, n int) ([]storage.Seat, storage.Line, error) {
	seats, err := tx.GrowSeats(ctx, line.ID, n)
	if err != nil {
		return nil, line, err
	}
	previous := line.Live
	line.Live += len(seats)
	// A line grows only once every free seat is taken, and only free seats
	// carry an elastic line's marks (a seat taken loses its mark).
	line.PendingRemovals = 0
	return seats, line, e.emitElasticPool(ctx, tx, line, ReasonElasticGrowth, previous, line.Quantity)
}

// fillElastic is fill for an elastic line: waiting users take the free
// seats, and seats are grown for the rest, up to max_quantity, in one
// statement and one seat.pool_updated.
func (e *Engine) fillElastic(ctx context.Context, tx *storage.Tx, line storage.Line) error {
	line, err := tx.RefreshLine(ctx, line)
	if err != nil {
		return err
	}
	free, room := line.Free(), growRoom(line)
	if free+room == 0 {
		return nil
	}
	waiting, err := tx.NextWaitingUpTo(ctx, line, min(free+room, maxElasticSeats))
	if err != nil || len(waiting) == 0 {
		return err
	}
	seats, err := tx.FreeSeats(ctx, line.ID, min(free, len(waiting)))
	if err != nil {
		return err
	}
	if n := min(len(waiting)-len(seats), room); n > 0 {
		grown, grownLine, err := e.grow(ctx, tx, line, n)
		if err != nil {
			return err
		}
		seats, line = append(seats, grown...), grownLine
	}
	fills := PlanFill(views(seats), waiting)
	if len(fills) == 0 {
		return nil
	}
	return e.occupy(ctx, tx, line, fills, "auto")
}

// assignGrown seats a user on a grown seat of an elastic line with no free
// seat (a manual assignment or automatic assignment's first seat), or
// answers that the line is at its max_quantity. The caller has checked
// every other rule.
func (e *Engine) assignGrown(ctx context.Context, tx *storage.Tx, line storage.Line, u storage.UserState, source string) error {
	line, err := tx.RefreshLine(ctx, line)
	if err != nil {
		return err
	}
	if growRoom(line) == 0 {
		return atMax(line, userView(u).name())
	}
	seats, line, err := e.grow(ctx, tx, line, 1)
	if err != nil {
		return err
	}
	return e.occupy(ctx, tx, line, []Fill{{SeatID: seats[0].ID, UserID: u.ID}}, source)
}

// seatOnElastic seats an entitled user whom no line of the product had a
// free seat for on the first of them that can grow; false when none can.
func (e *Engine) seatOnElastic(ctx context.Context, tx *storage.Tx, lines []storage.Line, u storage.UserState) (bool, error) {
	for _, line := range lines {
		if growRoom(line) == 0 {
			continue
		}
		return true, e.assignGrown(ctx, tx, line, u, "auto")
	}
	return false, nil
}

// refill gives the seats just freed on a line to whoever waits and then,
// on an elastic line, releases those nobody took (release).
func (e *Engine) refill(ctx context.Context, tx *storage.Tx, line storage.Line, freed []string) error {
	if err := e.fill(ctx, tx, line); err != nil {
		return err
	}
	return e.release(ctx, tx, line, freed)
}

// release gives back the seats of freed that are still free, on an elastic
// line holding more seats than its quantity: retired at once (and billed
// down) or marked pending_removal until the period end, by its release.
func (e *Engine) release(ctx context.Context, tx *storage.Tx, line storage.Line, freed []string) error {
	if !line.Elastic || len(freed) == 0 || line.OrderStatus != storage.OrderActive {
		return nil
	}
	line, err := tx.RefreshLine(ctx, line)
	if err != nil || line.Live <= line.Quantity {
		return err
	}
	retire := line.Release != storage.ReleasePeriodEnd
	n, err := tx.ReleaseFreed(ctx, line.ID, freed, retire)
	if err != nil || n == 0 || !retire {
		return err
	}
	previous := line.Live
	line.Live -= n
	return e.emitElasticPool(ctx, tx, line, ReasonElasticRelease, previous, line.Quantity)
}

// unmarkTaken clears the pending_removal marks of seats of an elastic line
// a new holder just took: a seat released at the period end and taken
// again is kept rather than the line growing. The marks of an elastic
// line are always the release's: a schedule there lowers the floor and
// marks nothing, and a cancel_at marks no seat on any line.
func (e *Engine) unmarkTaken(ctx context.Context, tx *storage.Tx, line storage.Line, seatIDs []string) error {
	if !line.Elastic || line.Release != storage.ReleasePeriodEnd {
		return nil
	}
	return tx.UnmarkSeats(ctx, line.ID, seatIDs)
}

// releaseAtPeriodEnd retires the free seats of an elastic line that its
// users left and that release "period_end" marked pending_removal, as many
// as the line holds above its quantity, and bills them down (one
// seat.pool_updated, reason elastic_release); marked seats the quantity
// caught up with lose their mark. The scheduler calls it at the order's
// current_period_end, holding the line's lock; it reads the marked seats
// only.
func (e *Engine) releaseAtPeriodEnd(ctx context.Context, tx *storage.Tx, line storage.Line) (bool, error) {
	if !line.Elastic {
		return false, nil
	}
	line, err := tx.RefreshLine(ctx, line)
	if err != nil || line.PendingRemovals == 0 {
		return false, err
	}
	n, err := tx.RetireMarkedFree(ctx, line.ID)
	if err != nil || n == 0 {
		return false, err
	}
	previous := line.Live
	line.Live -= n
	line.PendingRemovals = 0 // the marked free seats left lost their mark
	return true, e.emitElasticPool(ctx, tx, line, ReasonElasticRelease, previous, line.Quantity)
}

// resizeElastic brings an elastic line to its quantity as a floor: seats
// created up to it, free seats above it retired, and occupied seats
// retired (rule 6) only down to a max_quantity below live. It returns the
// holders of retired seats.
func (e *Engine) resizeElastic(ctx context.Context, tx *storage.Tx, line storage.Line) ([]storage.Vacated, error) {
	line, err := tx.RefreshLine(ctx, line)
	if err != nil {
		return nil, err
	}
	previous := line.Live
	if line.Quantity > line.Live {
		if err := tx.CreateSeats(ctx, line.ID, line.Quantity-line.Live); err != nil {
			return nil, err
		}
		line.Live = line.Quantity
		return nil, e.emitElasticPool(ctx, tx, line, ReasonQuantityChange, previous, previous)
	}
	over := 0
	if line.MaxQuantity != nil {
		over = line.Live - *line.MaxQuantity
	}
	n := line.Live - line.Quantity
	if n <= 0 || (line.Free() == 0 && over <= 0) {
		return nil, nil // caught up, or every seat above the quantity is used: billing follows usage
	}
	candidates, err := tx.RetirementCandidates(ctx, line.ID, n)
	if err != nil {
		return nil, err
	}
	_, ordered := PlanResize(line.Live, views(candidates), line.Quantity)
	k := 0
	for k < len(ordered) && ordered[k].Status == SeatUnassigned {
		k++
	}
	retire := ordered[:min(max(k, over), len(ordered))]
	if len(retire) == 0 {
		return nil, nil
	}
	var occupied, ids []string
	for _, r := range retire {
		ids = append(ids, r.ID)
		if r.Status != SeatUnassigned {
			occupied = append(occupied, r.ID)
		}
	}
	displaced, err := e.vacate(ctx, tx, line, occupied, ReasonQuantityDecreased)
	if err != nil {
		return nil, err
	}
	if err := tx.RetireSeats(ctx, ids, ReasonQuantityDecreased); err != nil {
		return nil, err
	}
	if line, err = tx.RefreshLine(ctx, line); err != nil { // the seats retired may have carried marks
		return nil, err
	}
	if err := e.emitElasticPool(ctx, tx, line, ReasonQuantityChange, previous, previous); err != nil {
		return nil, err
	}
	return displaced, nil
}

func seatIDsOf(fills []Fill) []string {
	ids := make([]string, len(fills))
	for i, f := range fills {
		ids[i] = f.SeatID
	}
	return ids
}
