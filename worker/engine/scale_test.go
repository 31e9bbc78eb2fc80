package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/seatsync/seatsync/storage"
)

// Eight goroutines change one line at once, every way the engine can: seat
// and unseat users, deactivate them, grow and shrink the line. Whatever
// the interleaving, the counters equal the rows and every rule holds.
func TestEngineConcurrentChangesOfOneLine(t *testing.T) {
	t.Parallel()
	c := newEngineCase(t)
	c.order(10, "active")
	c.do("map everyone", func(ctx context.Context, tx *storage.Tx) error {
		return c.engine.SetAutoAssign(ctx, tx, "acme", "pro", "eng")
	})
	const workers, steps = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*steps)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			for range steps {
				user := fmt.Sprint("u", rng.IntN(16))
				if err := c.inTx(func(ctx context.Context, tx *storage.Tx) error {
					return c.randomChange(ctx, tx, rng, user)
				}); err != nil && !IsRuleError(err) && !errors.Is(err, storage.ErrNotFound) {
					errs <- fmt.Errorf("worker %d: %w", w, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c.checkInvariants()
}

func (c *engineCase) randomChange(ctx context.Context, tx *storage.Tx, rng *rand.Rand, user string) error {
	acme := storage.CustomerRef{ExternalID: "acme"}
	var err error
	switch rng.IntN(6) {
	case 0:
		_, err = c.engine.UpsertUser(ctx, tx, storage.UserInput{Customer: acme, ExternalID: user,
			Status: storage.UserActive, Groups: []string{"eng"}, GroupsSet: true}, c.at())
	case 1:
		_, err = c.engine.UpsertUser(ctx, tx, storage.UserInput{Customer: acme, ExternalID: user,
			Status: storage.UserActive, Groups: []string{}, GroupsSet: true}, c.at())
	case 2:
		_, err = c.engine.DeactivateUser(ctx, tx, acme, user, c.at())
	case 3:
		err = c.engine.Assign(ctx, tx, "sub_1", "pro", "", user)
	case 4:
		err = c.engine.Unassign(ctx, tx, "sub_1", "pro", user)
	default:
		_, err = c.engine.UpsertOrder(ctx, tx, storage.OrderInput{ExternalID: "sub_1", Customer: acme,
			Status: storage.OrderActive, Lines: []storage.LineInput{{ProductID: "pro", Quantity: 2 + rng.IntN(12)}}}, c.at())
	}
	return err
}

// A 20,000-seat line keeps every rule when it is filled, shrunk to a
// quarter and grown again: rule 6 retires the most recently seated, each
// displaced holder gets one seat.revoked and a place in line, and growing
// seats them again, first come first served. Correctness only; speed is
// the benchmarks' business.
func TestEngineLargePool(t *testing.T) {
	t.Parallel()
	const big, small = 20_000, 5_000
	c := newEngineCase(t)
	c.order(big, "active")
	c.do("map everyone", func(ctx context.Context, tx *storage.Tx) error {
		return c.engine.SetAutoAssign(ctx, tx, "acme", "pro", "")
	})
	c.seed(big)
	seen := int64(1 + big) // the outbox ids of the pool event and the seeded ones

	c.order(small, "active")
	revoked, last := 0, ""
	for _, e := range c.events(&seen) {
		if strings.HasPrefix(e, "seat.revoked") {
			revoked++
			last = e
		}
	}
	if revoked != big-small {
		t.Errorf("%d seat.revoked after shrinking %d to %d, want %d", revoked, big, small, big-small)
	}
	// The most recently seated go first, so the last revoked is the
	// holder right after the ones who stay.
	if want := fmt.Sprintf("seat.revoked u%d quantity_decreased", small+1); last != want {
		t.Errorf("last revocation %q, want %q", last, want)
	}
	if got := c.waiting(); got != big-small {
		t.Errorf("%d users waiting, want %d", got, big-small)
	}
	c.checkInvariants()

	c.order(small+100, "active")
	assigned := 0
	for _, e := range c.events(&seen) {
		if strings.HasPrefix(e, "seat.assigned") {
			assigned++
		}
	}
	if assigned != 100 || c.waiting() != big-small-100 {
		t.Errorf("growing by 100 seated %d, %d still waiting", assigned, c.waiting())
	}
	// Assigning by hand on the big line still finds the one free seat or
	// says there is none, without reading the pool.
	c.user("late", "")
	if outcome, reason := c.assign("late"); outcome != storage.InboxFailed || !strings.Contains(reason, "no_free_seat") {
		t.Errorf("assign on a full line: %s %q", outcome, reason)
	}
	c.checkInvariants()
}

// seed seats n new users u1…un on the line, oldest seat to u1, each a
// second after the last, as automatic seating would have left them, with
// the seat.assigned events it would have written; in a few statements
// instead of n transactions.
func (c *engineCase) seed(n int) {
	c.t.Helper()
	for _, stmt := range []string{
		fmt.Sprintf(`INSERT INTO users (customer_id, external_id, email, status, applied_event_at, status_event_at)
			SELECT c.id, 'u' || g, 'u' || g || '@acme.test', 'active', '2026-01-01', '2026-01-01'
			FROM customers c, generate_series(1, %d) g WHERE c.external_id = 'acme'`, n),
		`WITH s AS (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM seats WHERE status = 'unassigned'),
		      u AS (SELECT id, substr(external_id, 2)::int AS n FROM users WHERE external_id ~ '^u[0-9]+$')
		 UPDATE seats SET status = 'assigned', user_id = u.id,
		        occupied_at = timestamptz '2026-11-01' + u.n * interval '1 second'
		 FROM s JOIN u USING (n) WHERE seats.id = s.id`,
		`INSERT INTO assignments (seat_id, line_id, user_id, source)
		 SELECT id, line_id, user_id, 'auto' FROM seats WHERE user_id IS NOT NULL`,
		`INSERT INTO outbox (event_type, customer_id, line_id, sequence, body)
		 SELECT 'seat.assigned', o.customer_id, l.id, l.sequence + row_number() OVER (ORDER BY s.occupied_at),
		        jsonb_build_object('type', 'seat.assigned', 'data', jsonb_build_object('user', jsonb_build_object('external_id', u.external_id)))
		 FROM seats s JOIN users u ON u.id = s.user_id JOIN order_lines l ON l.id = s.line_id JOIN orders o ON o.id = l.order_id`,
		`UPDATE order_lines l SET sequence = sequence + (SELECT count(*) FROM seats s WHERE s.line_id = l.id AND s.user_id IS NOT NULL)`,
	} {
		if err := c.db.Exec(context.Background(), stmt); err != nil {
			c.t.Fatal(err)
		}
	}
}

// waiting counts the users waiting for pro.
func (c *engineCase) waiting() int {
	c.t.Helper()
	var n int
	err := c.inTx(func(ctx context.Context, tx *storage.Tx) error {
		cust, err := tx.LockExistingCustomer(ctx, "acme")
		if err != nil {
			return err
		}
		ids, err := tx.Waiting(ctx, cust, "pro")
		n = len(ids)
		return err
	})
	if err != nil {
		c.t.Fatal(err)
	}
	return n
}
