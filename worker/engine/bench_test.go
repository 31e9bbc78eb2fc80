package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

// The engine benchmarks measure one customer with automatic seating for
// every active user, at several pool sizes: the cost of one event must not
// depend on how many seats the customer has (issue 10). Run them with
//
//	go test -run '^$' -bench . -benchtime 200x ./worker/engine
//
// and compare each size's ns/op with the 100-seat one of the same run.
var poolSizes = []int{100, 10_000, 50_000}

// benchPool is one customer, acme, with an order sub_1 of `seats` seats of
// product pro, every active user entitled to it, and `seated` users u1…
// holding the first seats, as automatic seating would have left them.
type benchPool struct {
	b      *testing.B
	url    string
	db     *storage.DB
	engine *Engine
	n      int
}

func newBenchPool(b *testing.B, seats, seated int) *benchPool {
	b.Helper()
	p := &benchPool{b: b, url: storagetest.NewURL(b), engine: New()}
	p.db = p.open()
	p.tx("create the pool", func(ctx context.Context, tx *storage.Tx) error {
		if _, err := p.engine.UpsertOrder(ctx, tx, storage.OrderInput{
			ExternalID: "sub_1", Customer: storage.CustomerRef{ExternalID: "acme"}, Status: storage.OrderActive,
			Lines: []storage.LineInput{{ProductID: "pro", Quantity: seats}},
		}, p.at()); err != nil {
			return err
		}
		return p.engine.SetAutoAssign(ctx, tx, "acme", "pro", "")
	})
	// Seating thousands of users one event at a time would make the setup
	// the benchmark; the rows are what those events leave behind.
	p.exec(fmt.Sprintf(`INSERT INTO users (customer_id, external_id, email, status, applied_event_at, status_event_at)
		SELECT c.id, 'u' || g, 'u' || g || '@acme.test', 'active', '2026-01-01', '2026-01-01'
		FROM customers c, generate_series(1, %d) g WHERE c.external_id = 'acme'`, seated))
	p.exec(`WITH s AS (SELECT s.id, row_number() OVER (ORDER BY s.created_at, s.id) AS n FROM seats s),
		     u AS (SELECT id, substr(external_id, 2)::int AS n FROM users WHERE external_id LIKE 'u%')
		UPDATE seats SET status = 'assigned', user_id = u.id, occupied_at = clock_timestamp()
		FROM s JOIN u USING (n) WHERE seats.id = s.id`)
	p.exec(`INSERT INTO assignments (seat_id, line_id, user_id, source)
		SELECT id, line_id, user_id, 'auto' FROM seats WHERE user_id IS NOT NULL`)
	p.exec(`VACUUM ANALYZE`) // so that autovacuum does not start in the middle of the timing
	return p
}

func (p *benchPool) open() *storage.DB {
	p.b.Helper()
	db, err := storage.Open(p.url)
	if err != nil {
		p.b.Fatal(err)
	}
	p.b.Cleanup(func() { db.Close() })
	return db
}

func (p *benchPool) at() time.Time {
	p.n++
	return time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).Add(time.Duration(p.n) * time.Millisecond)
}

func (p *benchPool) exec(stmt string) {
	p.b.Helper()
	if err := p.db.Exec(context.Background(), stmt); err != nil {
		p.b.Fatal(err)
	}
}

func (p *benchPool) tx(what string, fn func(ctx context.Context, tx *storage.Tx) error) {
	p.b.Helper()
	ctx := context.Background()
	if err := p.db.InTx(ctx, func(tx *storage.Tx) error { return fn(ctx, tx) }); err != nil {
		p.b.Fatalf("%s: %v", what, err)
	}
}

func (p *benchPool) upsertUser(id, name string) {
	p.b.Helper()
	p.tx("upsert "+id, func(ctx context.Context, tx *storage.Tx) error {
		_, err := p.engine.UpsertUser(ctx, tx, storage.UserInput{Customer: storage.CustomerRef{ExternalID: "acme"},
			ExternalID: id, Email: id + "@acme.test", Name: name, Status: storage.UserActive}, p.at())
		return err
	})
}

func (p *benchPool) setQuantity(qty int) {
	p.b.Helper()
	p.tx("set quantity", func(ctx context.Context, tx *storage.Tx) error {
		_, err := p.engine.UpsertOrder(ctx, tx, storage.OrderInput{
			ExternalID: "sub_1", Customer: storage.CustomerRef{ExternalID: "acme"}, Status: storage.OrderActive,
			Lines: []storage.LineInput{{ProductID: "pro", Quantity: qty}},
		}, p.at())
		return err
	})
}

// BenchmarkSeatNewUser: a user the customer did not have appears and takes
// a free seat of the full-but-for-them pool.
func BenchmarkSeatNewUser(b *testing.B) {
	for _, size := range poolSizes {
		b.Run(fmt.Sprintf("seats=%d", size), func(b *testing.B) {
			p := newBenchPool(b, size, size)
			p.setQuantity(size + b.N) // one free seat for each new user
			b.ResetTimer()
			for i := range b.N {
				p.upsertUser(fmt.Sprint("new", i), "")
			}
		})
	}
}

// BenchmarkProfileUpdate: a seated user's name changes; no seat moves.
func BenchmarkProfileUpdate(b *testing.B) {
	for _, size := range poolSizes {
		b.Run(fmt.Sprintf("seats=%d", size), func(b *testing.B) {
			p := newBenchPool(b, size, size)
			b.ResetTimer()
			for i := range b.N {
				p.upsertUser(fmt.Sprint("u", 1+i%size), fmt.Sprint("name ", i))
			}
		})
	}
}

// BenchmarkDeactivateSeated: a seated user is deactivated and their seat
// goes to the first user waiting.
func BenchmarkDeactivateSeated(b *testing.B) {
	for _, size := range poolSizes {
		b.Run(fmt.Sprintf("seats=%d", size), func(b *testing.B) {
			p := newBenchPool(b, size, size)
			p.exec(fmt.Sprintf(`INSERT INTO users (customer_id, external_id, email, status, applied_event_at, status_event_at)
				SELECT c.id, 'w' || g, 'w' || g || '@acme.test', 'active', '2026-01-01', '2026-01-01'
				FROM customers c, generate_series(1, %d) g WHERE c.external_id = 'acme'`, b.N))
			p.exec(`INSERT INTO waiting_list (customer_id, product_id, user_id)
				SELECT customer_id, 'pro', id FROM users WHERE external_id LIKE 'w%' ORDER BY substr(external_id, 2)::int`)
			b.ResetTimer()
			for i := range b.N {
				id := fmt.Sprint("u", 1+i%size)
				p.tx("deactivate "+id, func(ctx context.Context, tx *storage.Tx) error {
					_, err := p.engine.DeactivateUser(ctx, tx, storage.CustomerRef{ExternalID: "acme"}, id, p.at())
					return err
				})
			}
		})
	}
}

// BenchmarkQuantityStep: the big line grows by one seat, then shrinks by
// one (the free seat is retired): two events per iteration.
func BenchmarkQuantityStep(b *testing.B) {
	for _, size := range poolSizes {
		b.Run(fmt.Sprintf("seats=%d", size), func(b *testing.B) {
			p := newBenchPool(b, size, size)
			b.ResetTimer()
			for range b.N {
				p.setQuantity(size + 1)
				p.setQuantity(size)
			}
		})
	}
}

// BenchmarkDemandTransition: a new user finds the pool full and is the
// first to wait (seat.pool_exhausted), then a seated user is unassigned
// and the seat goes to them, emptying the list (seat.pool_available): both
// transitions of the demand signals per iteration.
func BenchmarkDemandTransition(b *testing.B) {
	for _, size := range poolSizes {
		b.Run(fmt.Sprintf("seats=%d", size), func(b *testing.B) {
			p := newBenchPool(b, size, size)
			b.ResetTimer()
			for i := range b.N {
				p.upsertUser(fmt.Sprint("new", i), "")
				seated := fmt.Sprint("u", 1+i%size)
				if i >= size {
					seated = fmt.Sprint("new", i-size)
				}
				p.tx("unassign "+seated, func(ctx context.Context, tx *storage.Tx) error {
					return p.engine.Unassign(ctx, tx, "sub_1", "pro", seated)
				})
			}
		})
	}
}
