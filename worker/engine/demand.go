package engine

import (
	"context"
	"time"

	"github.com/seatsync/seatsync/storage"
)

// Demand signals (issue 14): a line reports seat.pool_exhausted when its
// pool stops being enough (someone waits for its product, or an elastic
// line is at its max_quantity with no seat free) and seat.pool_available
// when that ends, each once per transition. order_lines.exhausted holds
// which one the line last reported. The transition is checked only where
// the waiting list or a line's free seats change, with the line counters
// and one EXISTS probe of the waiting list: never a count of a pool.

// Reasons carried by seat.pool_exhausted and seat.pool_available.
const (
	// DemandWaiting: users wait for the product (exhausted), or the
	// waiting list emptied (available).
	DemandWaiting = "waiting"
	// DemandMaxQuantity: an elastic line is at its max_quantity with no
	// seat free (exhausted), or a capped elastic line has a seat free or
	// room to grow again (available).
	DemandMaxQuantity = "max_quantity"
)

// poolExhausted is the one definition of an exhausted line: an active line
// of a product someone waits for (the waiting list is per customer and
// product, so it exhausts every line of the product), or an elastic line
// that cannot grow any more and has no seat free.
func poolExhausted(l storage.Line, waiting bool) bool {
	if l.OrderStatus != storage.OrderActive {
		return false
	}
	return waiting || elasticFull(l)
}

// elasticFull is the elastic clause of poolExhausted.
func elasticFull(l storage.Line) bool {
	return l.Elastic && l.MaxQuantity != nil && l.Live >= *l.MaxQuantity && l.Free() == 0
}

// capped says whether a line's free seats alone can exhaust it: an elastic
// line with a max_quantity. Other lines change state only with the
// waiting list.
func capped(l storage.Line) bool { return l.Elastic && l.MaxQuantity != nil }

// demandReason is the reason a transition of the line reports: the
// elastic limit when that is what holds (exhausted), or what ended on a
// capped elastic line (available: a seat is free again or the line can
// grow, and users wait on such a line only at its limit), else the
// waiting list.
func demandReason(l storage.Line, exhausted bool) string {
	if exhausted && elasticFull(l) || !exhausted && capped(l) {
		return DemandMaxQuantity
	}
	return DemandWaiting
}

// settleDemand brings the product's active lines' exhausted state in line
// with the waiting list and their seats, reporting each transition. It
// locks those lines (the caller holds the customer lock) and costs one
// statement when nothing transitions.
func (e *Engine) settleDemand(ctx context.Context, tx *storage.Tx, customerID, productID string) error {
	lines, waiting, err := tx.DemandLines(ctx, customerID, productID)
	if err != nil {
		return err
	}
	return e.reportDemand(ctx, tx, lines, waiting)
}

// reportDemand reports the lines whose state differs from what they last
// reported and records the new state. lines are locked, with counters as
// they are now; waiting says whether anyone waits for their product.
func (e *Engine) reportDemand(ctx context.Context, tx *storage.Tx, lines []storage.Line, waiting bool) error {
	var on, off []string
	for _, l := range lines {
		now := poolExhausted(l, waiting)
		if now == l.Exhausted {
			continue
		}
		if err := e.emitDemand(ctx, tx, l, now); err != nil {
			return err
		}
		if now {
			on = append(on, l.ID)
		} else {
			off = append(off, l.ID)
		}
	}
	if err := tx.SetExhausted(ctx, on, true); err != nil {
		return err
	}
	return tx.SetExhausted(ctx, off, false)
}

// afterOccupy checks the transition after seats were given: when a seated
// user left the waiting list (it may be empty now), or the line is capped
// (its last free seat may be gone).
func (e *Engine) afterOccupy(ctx context.Context, tx *storage.Tx, line storage.Line, occupied []storage.Occupied) error {
	waited := false
	for _, o := range occupied {
		waited = waited || o.Waited
	}
	if !waited && !capped(line) {
		return nil
	}
	return e.settleDemand(ctx, tx, line.CustomerID, line.ProductID)
}

// afterFreed checks the transition after seats of a capped line were
// freed: with nobody waiting, the line is no longer full.
func (e *Engine) afterFreed(ctx context.Context, tx *storage.Tx, line storage.Line) error {
	if !capped(line) {
		return nil
	}
	return e.settleDemand(ctx, tx, line.CustomerID, line.ProductID)
}

// settleProducts checks the transition of each of the customer's products
// given (a user left their waiting lists, say), once per product.
func (e *Engine) settleProducts(ctx context.Context, tx *storage.Tx, customerID string, products []string) error {
	seen := map[string]bool{}
	for _, p := range products {
		if seen[p] {
			continue
		}
		seen[p] = true
		if err := e.settleDemand(ctx, tx, customerID, p); err != nil {
			return err
		}
	}
	return nil
}

// demandEvent is the body of seat.pool_exhausted and seat.pool_available:
// the line, why, and its seats as they stand (free is live seats nobody
// holds; max_quantity only on an elastic line that has one).
type demandEvent struct {
	Customer    objectRef `json:"customer"`
	Order       objectRef `json:"order"`
	ProductID   string    `json:"product_id"`
	Reason      string    `json:"reason"`
	Quantity    int       `json:"quantity"`
	MaxQuantity *int      `json:"max_quantity,omitempty"`
	Live        int       `json:"live"`
	Free        int       `json:"free"`
	Sequence    int64     `json:"sequence"`
	OccurredAt  time.Time `json:"occurred_at"`
}

// emitDemand writes the line's seat.pool_exhausted (exhausted) or
// seat.pool_available event, numbered in the line's sequence.
func (e *Engine) emitDemand(ctx context.Context, tx *storage.Tx, l storage.Line, exhausted bool) error {
	typ := "seat.pool_available"
	if exhausted {
		typ = "seat.pool_exhausted"
	}
	now := e.now().UTC()
	return tx.AppendLineEvents(ctx, l.CustomerID, l.ID, []storage.OutboxEntry{{EventType: typ,
		Body: eventBody{Type: typ, Timestamp: now, Data: demandEvent{
			Customer:  objectRef{ID: l.CustomerID, ExternalID: l.CustomerExternalID},
			Order:     objectRef{ID: l.OrderID, ExternalID: l.OrderExternalID},
			ProductID: l.ProductID, Reason: demandReason(l, exhausted), Quantity: l.Quantity,
			MaxQuantity: l.MaxQuantity, Live: l.Live, Free: max(l.Free(), 0), OccurredAt: now,
		}}}})
}

// settleOrderDemand checks the transition of every product of an order's
// active lines after they were reconciled: a new line of a product someone
// waits for is exhausted at once, and a quantity change may have seated
// the last waiting user or changed what an elastic line can hold.
func (e *Engine) settleOrderDemand(ctx context.Context, tx *storage.Tx, lines []storage.Line) error {
	var products []string
	for _, l := range lines {
		if l.OrderStatus == storage.OrderActive {
			products = append(products, l.ProductID)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return e.settleProducts(ctx, tx, lines[0].CustomerID, products)
}
