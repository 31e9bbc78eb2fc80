// Package jobstest gives each test an empty Redis database of its own, so
// that tests which use the queue can run in parallel, within a package and
// across packages, without seeing each other's tasks.
//
// By default each test binary starts a private redis-server on a free
// loopback port (no persistence, 64 databases) the first time a test asks
// for Redis, and hands each test one of its database indexes, emptied
// first and taken back when the test ends. Asynq has no key prefix, so a
// database index is the unit of isolation. The kernel stops the server
// when the test binary exits. With SEATSYNC_TEST_REDIS_ADDR set, the tests
// use that Redis instead, and lease its indexes through keys in DB 0 so
// that test binaries running at the same time still never share one.
package jobstest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// AddrVar names an external Redis for the tests ("host:port"), instead of
// a private server per test binary.
const AddrVar = "SEATSYNC_TEST_REDIS_ADDR"

// waitForIndex bounds how long a test waits for a free database index
// when more tests than indexes hold one at once.
const waitForIndex = 2 * time.Minute

// New returns options for an empty Redis database that no other test uses
// until t ends.
func New(t testing.TB) asynq.RedisClientOpt {
	t.Helper()
	var (
		addr string
		db   int
		err  error
	)
	if external := os.Getenv(AddrVar); external != "" {
		addr = external
		db, err = leaseExternal(t, external)
	} else {
		addr, db, err = leasePrivate(t)
	}
	if err != nil {
		t.Fatalf("redis for the test: %v", err)
	}
	opt := asynq.RedisClientOpt{Addr: addr, DB: db}
	Flush(t, opt)
	return opt
}

// Flush empties the Redis DB of opt, as if Redis had lost its data.
func Flush(t testing.TB, opt asynq.RedisClientOpt) {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: opt.Addr, DB: opt.DB})
	defer rc.Close()
	if err := rc.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("flush redis db %d: %v", opt.DB, err)
	}
}

// URL is opt as a SEATSYNC_REDIS_URL value.
func URL(opt asynq.RedisClientOpt) string {
	return fmt.Sprintf("redis://%s/%d", opt.Addr, opt.DB)
}
