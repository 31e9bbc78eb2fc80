package storage

import (
	"context"
	"fmt"
)

// invariants are SPEC §1's rules as queries: each returns one row per
// violation, described in words. Tests run them after every concurrent
// scenario; an operator can run them against production.
var invariants = []struct{ rule, query string }{
	// An elastic line grows seats for its users: quantity <= live <=
	// max(quantity, max_quantity), no upper bound without max_quantity.
	{"1: live seats = quantity (elastic: quantity <= live <= max(quantity, max_quantity))", `
		SELECT format('line %s (%s): quantity %s, elastic %s, max_quantity %s, live seats %s, occupied %s', l.id, l.product_id,
		              l.quantity, l.elastic, COALESCE(l.max_quantity::text, 'none'),
		              count(s.id), count(s.id) FILTER (WHERE s.status <> 'unassigned'))
		FROM order_lines l LEFT JOIN seats s ON s.line_id = l.id AND s.retired_at IS NULL
		GROUP BY l.id HAVING (NOT l.elastic AND count(s.id) <> l.quantity)
		    OR (l.elastic AND (count(s.id) < l.quantity OR count(s.id) > greatest(l.quantity, COALESCE(l.max_quantity, count(s.id)))))`},
	{"counters: each line's counters are its live seats", `
		SELECT format('line %s (%s): counters live %s assigned %s invited %s, rows %s, %s, %s', l.id, l.product_id,
		              l.live, l.assigned, l.invited, count(s.id),
		              count(s.id) FILTER (WHERE s.status = 'assigned'), count(s.id) FILTER (WHERE s.status = 'invited'))
		FROM order_lines l LEFT JOIN seats s ON s.line_id = l.id AND s.retired_at IS NULL
		GROUP BY l.id HAVING l.live <> count(s.id)
		    OR l.assigned <> count(s.id) FILTER (WHERE s.status = 'assigned')
		    OR l.invited <> count(s.id) FILTER (WHERE s.status = 'invited')`},
	{"pending removals: each line's counter is its marked live seats", `
		SELECT format('line %s (%s): pending_removals %s, marked rows %s', l.id, l.product_id, l.pending_removals,
		              count(s.id) FILTER (WHERE s.pending_removal))
		FROM order_lines l LEFT JOIN seats s ON s.line_id = l.id AND s.retired_at IS NULL
		GROUP BY l.id HAVING l.pending_removals <> count(s.id) FILTER (WHERE s.pending_removal)`},
	{"seats over time: a line's marks are what its schedule removes", scheduleMarksInvariant},
	{"2: one seat per user per line", `
		SELECT format('user %s holds %s seats of line %s', user_id, count(*), line_id)
		FROM seats WHERE user_id IS NOT NULL AND retired_at IS NULL
		GROUP BY line_id, user_id HAVING count(*) > 1`},
	{"3: only active users of the order's customer hold seats", `
		SELECT format('seat %s held by %s user %s of customer %s on an order of %s', s.id, u.status, u.external_id, u.customer_id, o.customer_id)
		FROM seats s JOIN users u ON u.id = s.user_id JOIN order_lines l ON l.id = s.line_id JOIN orders o ON o.id = l.order_id
		WHERE s.retired_at IS NULL AND (u.status <> 'active' OR u.customer_id <> o.customer_id)`},
	{"6: a canceled order holds nobody", `
		SELECT format('seat %s of canceled order %s is %s', s.id, o.external_id, s.status)
		FROM seats s JOIN order_lines l ON l.id = s.line_id JOIN orders o ON o.id = l.order_id
		WHERE o.status = 'canceled' AND s.retired_at IS NULL AND s.status <> 'unassigned'`},
	{"history: a held seat has exactly its holder's open assignment", `
		SELECT format('seat %s: holder %s, open assignments %s', s.id, s.user_id, count(a.id))
		FROM seats s LEFT JOIN assignments a ON a.seat_id = s.id AND a.ended_at IS NULL
		GROUP BY s.id HAVING count(a.id) <> (s.status = 'assigned')::int
		    OR bool_or(a.user_id IS DISTINCT FROM s.user_id)`},
	{"invitations: an invited seat has exactly one open invitation, to its email", `
		SELECT format('seat %s: %s, invited email %s, open invitations %s', s.id, s.status, s.invited_email, count(i.id))
		FROM seats s LEFT JOIN invitations i ON i.seat_id = s.id AND i.ended_at IS NULL
		GROUP BY s.id HAVING count(i.id) <> (s.status = 'invited')::int
		    OR bool_or(i.email IS DISTINCT FROM s.invited_email)`},
	// Occupancy changes by event: seat.assigned and seat.claimed seat a
	// user, seat.revoked naming a user unseats one; seat.invited (but not
	// the seat.invited of a resend, reason "resent") invites, seat.claimed
	// and seat.revoked of an invited seat (no user) end an invitation.
	{"7: one event per change of occupancy", `
		WITH counts AS (
		    SELECT l.id,
		           count(*) FILTER (WHERE e.event_type IN ('seat.assigned', 'seat.claimed')) AS seated,
		           count(*) FILTER (WHERE e.event_type = 'seat.revoked' AND jsonb_typeof(e.body->'data'->'user') = 'object') AS unseated,
		           count(*) FILTER (WHERE e.event_type = 'seat.invited' AND e.body->'data'->>'reason' IS NULL) AS invited,
		           count(*) FILTER (WHERE e.event_type = 'seat.claimed'
		               OR e.event_type = 'seat.revoked' AND jsonb_typeof(e.body->'data'->'user') <> 'object') AS uninvited,
		           (SELECT count(*) FROM seats s WHERE s.line_id = l.id AND s.status = 'assigned') AS held,
		           (SELECT count(*) FROM seats s WHERE s.line_id = l.id AND s.status = 'invited') AS pending
		    FROM order_lines l LEFT JOIN outbox e ON e.line_id = l.id
		    GROUP BY l.id)
		SELECT format('line %s: %s seating events, %s unseating, %s seats held; %s inviting events, %s ending, %s seats invited',
		              id, seated, unseated, held, invited, uninvited, pending)
		FROM counts WHERE seated - unseated <> held OR invited - uninvited <> pending`},
	// Demand signals: an active line is exhausted exactly when someone
	// waits for its product or it is elastic, at its max_quantity, with no
	// seat free; and its seat.pool_exhausted and seat.pool_available
	// events alternate, ending in the state it holds.
	{"demand: a line is exhausted when its product has a waiting list or it is elastic and full", `
		SELECT format('line %s (%s): exhausted %s, waiting list %s, elastic %s, live %s of max %s, free %s',
		              l.id, l.product_id, l.exhausted, w.waiting, l.elastic, l.live, l.max_quantity, l.live - l.assigned - l.invited)
		FROM order_lines l JOIN orders o ON o.id = l.order_id,
		     LATERAL (SELECT EXISTS (SELECT 1 FROM waiting_list w
		                             WHERE w.customer_id = o.customer_id AND w.product_id = l.product_id) AS waiting) w
		WHERE o.status = 'active' AND l.exhausted <> (w.waiting
		    OR l.elastic AND l.max_quantity IS NOT NULL AND l.live >= l.max_quantity AND l.live - l.assigned - l.invited = 0)`},
	{"demand: one seat.pool_exhausted, then one seat.pool_available, per transition", `
		SELECT format('line %s: exhausted %s, %s pool_exhausted events, %s pool_available', l.id, l.exhausted,
		              count(*) FILTER (WHERE e.event_type = 'seat.pool_exhausted'),
		              count(*) FILTER (WHERE e.event_type = 'seat.pool_available'))
		FROM order_lines l LEFT JOIN outbox e ON e.line_id = l.id
		GROUP BY l.id HAVING count(*) FILTER (WHERE e.event_type = 'seat.pool_exhausted')
		    - count(*) FILTER (WHERE e.event_type = 'seat.pool_available') <> l.exhausted::int`},
	{"sequence: every event of a line has the next number", `
		SELECT format('line %s: sequence %s, %s events, highest %s', l.id, l.sequence, count(e.id), max(e.sequence))
		FROM order_lines l LEFT JOIN outbox e ON e.line_id = l.id
		GROUP BY l.id HAVING count(e.id) <> l.sequence OR COALESCE(max(e.sequence), 0) <> l.sequence`},
}

// InvariantViolations checks every invariant and describes each violation;
// none means the database keeps every rule.
func (db *DB) InvariantViolations(ctx context.Context) ([]string, error) {
	var all []string
	for _, inv := range invariants {
		var found []string
		if err := db.x.SelectContext(ctx, &found, inv.query); err != nil {
			return nil, wrapf(err, "check invariant %s", inv.rule)
		}
		for _, f := range found {
			all = append(all, fmt.Sprintf("rule %s: %s", inv.rule, f))
		}
	}
	return all, nil
}

// scheduleMarksInvariant: a fixed line of an active order with a
// scheduled reduction has max(0, live − scheduled_quantity) seats marked
// pending_removal; an elastic line releasing at the period end at most
// its seats above the quantity (the grown seats freed since; a schedule
// only lowers an elastic line's floor and marks nothing); every other
// line none. (A cancel_at marks no row: every
// live seat of the order counts as pending removal.) The one place that
// says which lines may carry marks.
const scheduleMarksInvariant = `
	SELECT format('line %s (%s): %s marks, live %s, scheduled %s, order %s', l.id, l.product_id, l.pending_removals,
	              l.live, COALESCE(l.scheduled_quantity::text, 'none'), o.status)
	FROM order_lines l JOIN orders o ON o.id = l.order_id
	WHERE CASE WHEN l.elastic AND l.release = 'period_end' AND o.status = 'active'
	           THEN l.pending_removals > greatest(l.live - l.quantity, 0)
	           WHEN l.scheduled_quantity IS NOT NULL AND o.status = 'active' AND NOT l.elastic
	           THEN l.pending_removals <> greatest(l.live - l.scheduled_quantity, 0)
	           ELSE l.pending_removals <> 0 END`
