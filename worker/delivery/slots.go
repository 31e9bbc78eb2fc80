package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// endpointSlots bounds the deliveries in flight to one endpoint across
// every worker process, so that a slow or dead endpoint can hold at most
// a few of the worker's goroutines and never delays the others. A slot is
// a sorted-set member that expires with its holder's task deadline, so a
// crashed worker's slots free themselves.
type endpointSlots struct {
	rdb redis.UniversalClient
	max int
}

var acquireSlot = redis.NewScript(`
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
if redis.call("ZCARD", KEYS[1]) < tonumber(ARGV[2]) then
	redis.call("ZADD", KEYS[1], ARGV[3], ARGV[4])
	redis.call("PEXPIREAT", KEYS[1], ARGV[3])
	return 1
end
return 0`)

// acquire takes a slot for holder until deadline; ok is false when the
// endpoint already has max deliveries in flight.
func (s endpointSlots) acquire(ctx context.Context, endpointID, holder string, deadline time.Time) (release func(), ok bool, err error) {
	key := "seatsync:endpoint-slots:" + endpointID
	now := time.Now().UnixMilli()
	got, err := acquireSlot.Run(ctx, s.rdb, []string{key}, now, s.max, deadline.UnixMilli(), holder).Int()
	if err != nil {
		return nil, false, fmt.Errorf("acquire delivery slot of endpoint %s: %w", endpointID, err)
	}
	if got == 0 {
		return nil, false, nil
	}
	return func() { s.rdb.ZRem(context.WithoutCancel(ctx), key, holder) }, true, nil
}
