// Package jobstest connects tests to the real Redis. Each test package
// passes its own DB index, so packages that run at the same time never see
// each other's queues; tests within a package that use Redis must not run
// in parallel.
package jobstest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// AddrVar overrides the Redis address the tests use.
const AddrVar = "SEATSYNC_TEST_REDIS_ADDR"

// Redis flushes DB index db and returns options for it.
func Redis(t testing.TB, db int) asynq.RedisClientOpt {
	t.Helper()
	addr := os.Getenv(AddrVar)
	if addr == "" {
		addr = "127.0.0.1:6379"
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
