package storage

import (
	"context"

	"github.com/lib/pq"
)

// Occupancy is one seat given to one user.
type Occupancy struct {
	SeatID string
	UserID string
}

// Occupied is a seat just given to its user, with its new assignment.
type Occupied struct {
	SeatID         string `db:"seat_id"`
	AssignmentID   string `db:"assignment_id"`
	UserID         string `db:"user_id"`
	UserExternalID string `db:"user_external_id"`
	UserEmail      string `db:"user_email"`
	Waited         bool   `db:"waited"` // the user left the product's waiting list
}

// Occupy gives seats of one line to users, opens their assignments and
// takes the users off the waiting list of the line's product, in one
// statement however many there are; it returns them in the order given,
// each saying whether they were waiting.
// The caller holds the line lock and has checked the rules.
func (tx *Tx) Occupy(ctx context.Context, lineID string, give []Occupancy, source string) ([]Occupied, error) {
	seats, users := make(pq.StringArray, len(give)), make(pq.StringArray, len(give))
	for i, g := range give {
		seats[i], users[i] = g.SeatID, g.UserID
	}
	var out []Occupied
	err := tx.x.SelectContext(ctx, &out, `
		WITH give AS (
		    SELECT seat_id, user_id, n FROM unnest($2::uuid[], $3::uuid[]) WITH ORDINALITY AS g(seat_id, user_id, n)
		), seat AS (
		    UPDATE seats s SET status = 'assigned', user_id = give.user_id, invited_email = NULL, occupied_at = clock_timestamp()
		    FROM give WHERE s.id = give.seat_id AND s.line_id = $1
		    RETURNING s.id
		), assignment AS (
		    INSERT INTO assignments (seat_id, line_id, user_id, source)
		    SELECT seat_id, $1, user_id, $4 FROM give ORDER BY n
		    RETURNING id, seat_id
		), seated AS (
		    DELETE FROM waiting_list w USING order_lines l JOIN orders o ON o.id = l.order_id
		    WHERE l.id = $1 AND w.customer_id = o.customer_id AND w.product_id = l.product_id
		      AND w.user_id IN (SELECT user_id FROM give)
		    RETURNING w.user_id
		)
		SELECT give.seat_id, a.id AS assignment_id, give.user_id, u.external_id AS user_external_id, u.email AS user_email,
		       give.user_id IN (SELECT user_id FROM seated) AS waited
		FROM give JOIN assignment a ON a.seat_id = give.seat_id JOIN users u ON u.id = give.user_id
		ORDER BY give.n`, lineID, seats, users, source)
	return out, wrapf(err, "occupy %d seats of line %s", len(give), lineID)
}

// Vacated is a seat just freed, with who held it: a user (and the
// assignment that ended), or an invitee's email.
type Vacated struct {
	SeatID         string `db:"seat_id"`
	AssignmentID   string `db:"assignment_id"`
	UserID         string `db:"user_id"`
	UserExternalID string `db:"user_external_id"`
	UserEmail      string `db:"user_email"`
	InvitedEmail   string `db:"invited_email"`
}

// Vacate frees held or invited seats and closes their assignments with the
// reason; an open invitation of a seat ends with the same reason, so its
// token stops working whatever took the seat away. One statement for any
// number of seats (a deactivation, a smaller order, a cancel); the seats
// come back in the order given, and seats already free are left out.
func (tx *Tx) Vacate(ctx context.Context, seatIDs []string, reason string) ([]Vacated, error) {
	var out []Vacated
	err := tx.x.SelectContext(ctx, &out, `
		WITH target AS (
		    SELECT s.id, s.user_id, s.invited_email, t.n
		    FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n) JOIN seats s ON s.id = t.id
		    WHERE s.status <> 'unassigned'
		    FOR UPDATE OF s
		), seat AS (
		    UPDATE seats s SET status = 'unassigned', user_id = NULL, invited_email = NULL, occupied_at = NULL
		    FROM target WHERE s.id = target.id
		), invitation AS (
		    UPDATE invitations i SET ended_at = clock_timestamp(), end_reason = $2
		    FROM target WHERE i.seat_id = target.id AND i.ended_at IS NULL
		), assignment AS (
		    UPDATE assignments a SET ended_at = clock_timestamp(), end_reason = $2
		    FROM target WHERE a.seat_id = target.id AND a.ended_at IS NULL
		    RETURNING a.id, a.seat_id
		)
		SELECT t.id AS seat_id, COALESCE(a.id::text, '') AS assignment_id, COALESCE(t.user_id::text, '') AS user_id,
		       COALESCE(u.external_id, '') AS user_external_id, COALESCE(u.email, '') AS user_email,
		       COALESCE(t.invited_email, '') AS invited_email
		FROM target t LEFT JOIN assignment a ON a.seat_id = t.id LEFT JOIN users u ON u.id = t.user_id
		ORDER BY t.n`, pq.StringArray(seatIDs), reason)
	return out, wrapf(err, "vacate %d seats", len(seatIDs))
}
