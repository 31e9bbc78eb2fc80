package storage

import (
	"context"
	"fmt"
	"hash/fnv"
)

// Exec runs one statement outside any transaction: DDL such as CREATE
// DATABASE that Postgres refuses inside one.
func (db *DB) Exec(ctx context.Context, stmt string) error {
	if _, err := db.x.ExecContext(ctx, stmt); err != nil {
		return wrapf(err, "exec %q", stmt)
	}
	return nil
}

// DatabaseExists reports whether the server has a database of that name.
func (db *DB) DatabaseExists(ctx context.Context, name string) (bool, error) {
	var exists bool
	err := db.x.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name)
	if err != nil {
		return false, wrapf(err, "look up database %s", name)
	}
	return exists, nil
}

// WithAdvisoryLock runs fn while holding a session-level advisory lock named
// by key, on a connection of its own, so that processes agree on who does a
// one-off job.
func (db *DB) WithAdvisoryLock(ctx context.Context, key string, fn func() error) error {
	h := fnv.New64a()
	h.Write([]byte(key))
	id := int64(h.Sum64())
	conn, err := db.x.Connx(ctx)
	if err != nil {
		return wrapf(err, "advisory lock %q", key)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, id); err != nil {
		return wrapf(err, "advisory lock %q", key)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, id)
	if err := fn(); err != nil {
		return fmt.Errorf("under advisory lock %q: %w", key, err)
	}
	return nil
}
