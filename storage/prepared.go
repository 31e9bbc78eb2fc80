package storage

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// preparedTx runs a transaction's statements as prepared statements, each
// prepared once per connection and kept: the seat engine's statements are
// few and run on every event, and parsing them anew each time was a tenth
// of an event's cost (BenchmarkApplyUserEvent: 2.1 → 1.8 ms alone, 1.0 →
// 0.9 ms with 16 at once). Postgres then keeps a generic plan where it
// costs no more than planning for the parameters (plan_cache_mode, see
// withSessionDefaults).
//
// Three kinds of statement run unprepared: those reading `*`, whose result
// type a migration could change under a plan Postgres keeps ("cached plan
// must not change result type"); those taking an array parameter (a cast
// to an array type, or = ANY($n)), because a generic plan cannot see how
// few rows the array names and may scan a whole pool where the plan made
// for the call uses the index (a 50,000-seat deactivation took twice as
// long as a 100-seat one); and any beyond maxPrepared distinct texts, so
// that statements built from input (SCIM filters) cannot grow the cache
// without bound.
type preparedTx struct {
	*sqlx.Tx
	stmts *stmtCache
}

// maxPrepared bounds the statements kept prepared.
const maxPrepared = 500

// stmtCache holds the pool's prepared statements by SQL text.
type stmtCache struct {
	db *sqlx.DB
	mu sync.Mutex
	m  map[string]*sqlx.Stmt // nil: being prepared, or not to be
}

// get returns the prepared statement of query, or nil to run it
// unprepared this time. A statement is prepared in the background the
// first time it is asked for: preparing takes a connection of the pool,
// and a transaction that waited for one while holding its own could
// deadlock with others doing the same. vouched skips the preparable test,
// for a statement its caller knows to be right with a generic plan.
func (c *stmtCache) get(query string, vouched bool) *sqlx.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, seen := c.m[query]; seen || len(c.m) >= maxPrepared || !vouched && !preparable(query) {
		return s
	}
	if c.m == nil {
		c.m = map[string]*sqlx.Stmt{}
	}
	c.m[query] = nil
	go c.prepare(query)
	return nil
}

// preparable reports whether query may run prepared (see preparedTx).
func preparable(query string) bool {
	return !strings.Contains(query, "*") && !strings.Contains(query, "[]") && !strings.Contains(query, "ANY($")
}

func (c *stmtCache) prepare(query string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := c.db.PreparexContext(ctx, query)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		delete(c.m, query) // Postgres was away: try again next time
		return
	}
	c.m[query] = s
}

// stmt returns query prepared on this transaction's connection, or nil to
// run it unprepared.
func (t preparedTx) stmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	s := t.stmts.get(query, false)
	if s == nil {
		return nil, nil
	}
	return t.Tx.StmtxContext(ctx, s), nil
}

func (t preparedTx) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	s, err := t.stmt(ctx, query)
	switch {
	case err != nil:
		return err
	case s == nil:
		return t.Tx.GetContext(ctx, dest, query, args...)
	}
	return s.GetContext(ctx, dest, args...)
}

func (t preparedTx) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	s, err := t.stmt(ctx, query)
	switch {
	case err != nil:
		return err
	case s == nil:
		return t.Tx.SelectContext(ctx, dest, query, args...)
	}
	return s.SelectContext(ctx, dest, args...)
}

func (t preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := t.stmt(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case s == nil:
		return t.Tx.ExecContext(ctx, query, args...)
	}
	return s.ExecContext(ctx, args...)
}

// prepared is query on the pool, outside a transaction, run as a
// prepared statement (prepared once per connection) once the cache has
// it, and as it is until then. It is for the few statements that run on
// every inbound event or delivery, where parsing and planning were most
// of Postgres's work (a delivery's load and attempt record: 2,900 → 11,600
// pairs/s at 10 at once). The caller vouches that a generic plan is right
// for the statement whatever its arguments: its rows are found by key, or
// it inserts what its arrays hold, so the preparable test does not apply.
func (db *DB) prepared(query string) querier {
	if s := db.stmts.get(query, true); s != nil {
		return s
	}
	return plainQuerier{db.x, query}
}

// querier is one statement, prepared or not, ready for its arguments:
// *sqlx.Stmt, or plainQuerier.
type querier interface {
	GetContext(ctx context.Context, dest any, args ...any) error
	QueryRowxContext(ctx context.Context, args ...any) *sqlx.Row
	QueryxContext(ctx context.Context, args ...any) (*sqlx.Rows, error)
}

// plainQuerier runs a statement unprepared.
type plainQuerier struct {
	x     *sqlx.DB
	query string
}

func (q plainQuerier) GetContext(ctx context.Context, dest any, args ...any) error {
	return q.x.GetContext(ctx, dest, q.query, args...)
}

func (q plainQuerier) QueryRowxContext(ctx context.Context, args ...any) *sqlx.Row {
	return q.x.QueryRowxContext(ctx, q.query, args...)
}

func (q plainQuerier) QueryxContext(ctx context.Context, args ...any) (*sqlx.Rows, error) {
	return q.x.QueryxContext(ctx, q.query, args...)
}
