package storage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

const maxTxAttempts = 5

// Tx is an open transaction. Its methods are the writes that must commit
// together with the inbox row that caused them.
type Tx struct {
	x         preparedTx
	customers map[CustomerRef]string // resolved in this transaction
	created   []string               // external ids of the customers it created
	grown     map[string]int64       // elastic lines' seat.pool_updated of growth written in it (elastic.go)
	// afterCommit runs once the transaction has committed (AfterCommit).
	afterCommit []func(context.Context)
}

// AfterCommit has fn run after the transaction commits, and never when it
// rolls back: follow-up work outside the database (enqueuing a task) that
// must not happen for a change that did not. fn must be safe to lose, in a
// crash right after the commit, say: something else must catch up with it.
func (tx *Tx) AfterCommit(fn func(context.Context)) {
	tx.afterCommit = append(tx.afterCommit, fn)
}

// InTx runs fn in a transaction. It rolls back when fn returns an error or
// panics, returns the commit error, and retries the whole of fn on
// serialization failures and deadlocks, so fn must not have effects outside
// the transaction.
func (db *DB) InTx(ctx context.Context, fn func(*Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.tryTx(ctx, fn)
		if err == nil || !retryable(err) || attempt == maxTxAttempts {
			return err
		}
		backoff := time.Duration(attempt*attempt)*5*time.Millisecond + rand.N(5*time.Millisecond)
		select {
		case <-ctx.Done():
			return fmt.Errorf("retry transaction: %w", ctx.Err())
		case <-time.After(backoff):
		}
	}
}

func (db *DB) tryTx(ctx context.Context, fn func(*Tx) error) (err error) {
	x, err := db.x.BeginTxx(ctx, nil)
	if err != nil {
		return wrapf(err, "begin transaction")
	}
	defer func() {
		if p := recover(); p != nil {
			_ = x.Rollback()
			panic(p)
		}
	}()
	tx := &Tx{x: preparedTx{Tx: x, stmts: db.stmts}}
	if err := fn(tx); err != nil {
		_ = x.Rollback()
		return err
	}
	if err := x.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, f := range tx.afterCommit {
		f(ctx)
	}
	return nil
}
