package storage

import "time"

// CurrentState is the event time of a write that states the caller's own
// current state (the management API, SCIM), not a provider's event that
// may arrive late: it applies whatever is stored, so that of two such
// writes the one that commits last wins and neither is refused, and it is
// stamped with the transaction's time, so that provider events older than
// it are still recognised as stale (rule 8). Every other write passes the
// provider's time of its event.
var CurrentState time.Time

// eventTime is at as a statement parameter: NULL for CurrentState.
func eventTime(at time.Time) any {
	if at.IsZero() {
		return nil
	}
	return at
}
