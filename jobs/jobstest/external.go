package jobstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// leaseTTL bounds how long a lease outlives a test binary that died
// without releasing it.
const leaseTTL = 30 * time.Minute

// leaseExternal takes a database index of the Redis at addr for t, by
// setting a lease key in DB 0 that no other test binary holds, and gives
// it back when t ends. DB 0 keeps the leases and is never handed out.
func leaseExternal(t testing.TB, addr string) (int, error) {
	ctx := context.Background()
	rc := redis.NewClient(&redis.Options{Addr: addr})
	n := databases(ctx, rc)
	token := make([]byte, 8)
	_, _ = rand.Read(token)
	owner := hex.EncodeToString(token)
	for deadline := time.Now().Add(waitForIndex); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for db := 1; db < n; db++ {
			key := "seatsync-test:lease:" + strconv.Itoa(db)
			ok, err := rc.SetNX(ctx, key, owner, leaseTTL).Result()
			if err != nil {
				rc.Close()
				return 0, fmt.Errorf("lease a database of %s: %w", addr, err)
			}
			if ok {
				t.Cleanup(func() {
					defer rc.Close()
					if rc.Get(ctx, key).Val() == owner {
						rc.Del(ctx, key)
					}
				})
				return db, nil
			}
		}
	}
	rc.Close()
	return 0, fmt.Errorf("all %d databases of %s stayed leased for %s", n-1, addr, waitForIndex)
}

// databases is how many database indexes the server has: 16 unless it is
// configured otherwise, or does not say.
func databases(ctx context.Context, rc *redis.Client) int {
	v, err := rc.ConfigGet(ctx, "databases").Result()
	if err == nil {
		if n, err := strconv.Atoi(v["databases"]); err == nil && n > 1 {
			return n
		}
	}
	return 16
}
