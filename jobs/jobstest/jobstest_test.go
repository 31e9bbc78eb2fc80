package jobstest_test

import (
	"context"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/jobs/jobstest"
)

// TestEachTestItsOwnEmptyDatabase: tests running at once get databases
// that are empty and not each other's.
func TestEachTestItsOwnEmptyDatabase(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	for _, name := range []string{"a", "b", "c", "d"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			opt := jobstest.New(t)
			mu.Lock()
			if seen[jobstest.URL(opt)] {
				t.Errorf("%s handed out twice at once", jobstest.URL(opt))
			}
			seen[jobstest.URL(opt)] = true
			mu.Unlock()
			rc := redis.NewClient(&redis.Options{Addr: opt.Addr, DB: opt.DB})
			defer rc.Close()
			ctx := context.Background()
			if n, err := rc.DBSize(ctx).Result(); err != nil || n != 0 {
				t.Fatalf("a new database holds %d keys (%v)", n, err)
			}
			// Left behind on purpose: the next test handed this index
			// must find it empty all the same.
			if err := rc.Set(ctx, "left-behind", name, 0).Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestFlushEmptiesTheDatabase(t *testing.T) {
	t.Parallel()
	opt := jobstest.New(t)
	rc := redis.NewClient(&redis.Options{Addr: opt.Addr, DB: opt.DB})
	defer rc.Close()
	ctx := context.Background()
	if err := rc.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	jobstest.Flush(t, opt)
	if n, err := rc.DBSize(ctx).Result(); err != nil || n != 0 {
		t.Fatalf("after Flush the database holds %d keys (%v)", n, err)
	}
}
