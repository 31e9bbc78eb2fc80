// Package storage owns seatsync's Postgres schema and every SQL statement:
// migrations, the transaction helper, row types and the translation of
// driver errors into the sentinels callers branch on.
package storage

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // registers the "postgres" driver
)

// DB is the connection pool. Reads that need no transaction are methods on
// DB; writes that must commit together are methods on Tx (see InTx).
type DB struct {
	x     *sqlx.DB
	stmts *stmtCache
}

// Open prepares a connection pool. It does not connect: a receiver must be
// able to start, and take events through the queue, while Postgres is down.
// Call Ping to check the connection.
func Open(dbURL string) (*DB, error) {
	dsn, err := withSessionDefaults(dbURL)
	if err != nil {
		return nil, err
	}
	x, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	x.SetMaxOpenConns(20)
	x.SetMaxIdleConns(20)
	x.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{x: x, stmts: &stmtCache{db: x}}, nil
}

// withSessionDefaults sets two lib/pq connection settings unless the URL
// sets them itself:
//   - binary_parameters: a statement with arguments costs one round trip
//     instead of two (prepare, then execute), which is a third more inbound
//     events per second on the receive path;
//   - plan_cache_mode=auto (Postgres's own default, stated so that a
//     server setting does not change it): a prepared statement is planned
//     for its parameters its first five times and then keeps a generic
//     plan when that plan costs no more. Planning every execution
//     (force_custom_plan) was a third of Postgres's CPU per applied event.
//     The statements whose generic plan would go wrong, those taking an
//     array of ids, run unprepared and so are planned each time (see
//     preparedTx).
func withSessionDefaults(dbURL string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", fmt.Errorf("parse database url: %w", err)
	}
	q := u.Query()
	for k, v := range map[string]string{"binary_parameters": "yes", "plan_cache_mode": "auto"} {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Ping reports whether Postgres answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.x.PingContext(ctx); err != nil {
		return wrapf(err, "connect to postgres")
	}
	return nil
}

// Close closes the pool.
func (db *DB) Close() error {
	return db.x.Close()
}
