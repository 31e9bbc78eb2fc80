package jobs

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pipelining. Every enqueue is one Lua script call (EVALSHA) on Redis: one
// write and one read syscall and one round trip each. Under load those
// syscalls were a quarter of a receiver's CPU (pprof of `seatsync serve`
// at 64 senders). pipelinedRedis coalesces the script calls that
// concurrent enqueuers make into one pipeline: one write, one round trip,
// each call still getting its own reply, so nothing changes for asynq but
// the number of syscalls. It is the asynq client's Redis connection; every
// other command goes straight through.
//
// As with the inbox's group commit, the batching is opportunistic: an idle
// flusher takes a lone call at once, and calls made while the flushers
// wait on Redis go together in the next pipeline.
//
// Except for enqueues nobody waits on (Unhurried: the receiver's deferred
// enqueues of events already committed to the inbox). Below the rate at
// which the flushers are busy, those arrive one by one and would each pay
// a round trip of their own; a pipeline that holds only unhurried calls
// instead waits up to pipeLinger for more. The first hurried call ends the
// wait, so an enqueue someone waits on is never held back by it.
const (
	pipeFlushers = 2
	pipeMaxBatch = 128
	pipeLinger   = time.Millisecond
	pipeTimeout  = 3 * time.Second // one pipeline's budget, as one enqueue's
)

type unhurriedKey struct{}

// Unhurried marks the enqueues made with ctx as ones no caller waits on:
// they may wait up to a millisecond for company in a pipeline.
func Unhurried(ctx context.Context) context.Context {
	return context.WithValue(ctx, unhurriedKey{}, true)
}

type pipelinedRedis struct {
	redis.UniversalClient
	calls chan *scriptCall

	mu     sync.RWMutex // held for reading while sending on calls, for writing to close it
	closed bool
	wg     sync.WaitGroup
}

// scriptCall is one EVALSHA waiting for its pipeline.
type scriptCall struct {
	ctx  context.Context
	sha  string
	keys []string
	args []any
	done chan *redis.Cmd // buffered: a flusher never waits on a caller that gave up
	// unhurried: the call may wait for company (see Unhurried).
	unhurried bool
}

func newPipelinedRedis(c redis.UniversalClient) *pipelinedRedis {
	p := &pipelinedRedis{UniversalClient: c, calls: make(chan *scriptCall, pipeMaxBatch*pipeFlushers)}
	p.wg.Add(pipeFlushers)
	for range pipeFlushers {
		go p.flush()
	}
	return p
}

// EvalSha runs the script call in the next pipeline. A NOSCRIPT reply
// comes back like any other, so redis.Script.Run falls back to EVAL
// (sent directly) exactly as it would without the pipeline.
func (p *pipelinedRedis) EvalSha(ctx context.Context, sha string, keys []string, args ...any) *redis.Cmd {
	c := &scriptCall{ctx: ctx, sha: sha, keys: keys, args: args, done: make(chan *redis.Cmd, 1),
		unhurried: ctx.Value(unhurriedKey{}) != nil}
	if err := p.submit(ctx, c); err != nil {
		return failedCmd(ctx, err)
	}
	select {
	case cmd := <-c.done:
		return cmd
	case <-ctx.Done():
		// The pipeline may still run the call: the same uncertainty as a
		// timed-out single command. Task ids make a repeat harmless.
		return failedCmd(ctx, ctx.Err())
	}
}

func (p *pipelinedRedis) submit(ctx context.Context, c *scriptCall) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return redis.ErrClosed
	}
	select {
	case p.calls <- c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func failedCmd(ctx context.Context, err error) *redis.Cmd {
	cmd := redis.NewCmd(ctx)
	cmd.SetErr(err)
	return cmd
}

// Close answers the calls already taken, then closes the connection pool.
func (p *pipelinedRedis) Close() error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.calls)
	}
	p.mu.Unlock()
	p.wg.Wait()
	return p.UniversalClient.Close()
}

func (p *pipelinedRedis) flush() {
	defer p.wg.Done()
	batch := make([]*scriptCall, 0, pipeMaxBatch)
	linger := time.NewTimer(pipeLinger)
	linger.Stop()
	for first := range p.calls {
		batch = p.gather(append(batch[:0], first), linger)
		p.run(batch)
		clear(batch)
	}
}

// gather adds to batch the calls queued already, up to pipeMaxBatch; while
// every call in it is unhurried, it waits up to pipeLinger for more.
func (p *pipelinedRedis) gather(batch []*scriptCall, linger *time.Timer) []*scriptCall {
	unhurried := batch[0].unhurried
	if unhurried {
		linger.Reset(pipeLinger)
		defer linger.Stop()
	}
	for len(batch) < pipeMaxBatch {
		var c *scriptCall
		var ok bool
		select {
		case c, ok = <-p.calls:
		default:
			if !unhurried {
				return batch
			}
			select {
			case c, ok = <-p.calls:
			case <-linger.C:
				return batch
			}
		}
		if !ok {
			return batch
		}
		batch = append(batch, c)
		unhurried = unhurried && c.unhurried
	}
	return batch
}

// run sends one pipeline and answers each of its calls with its own reply.
// Calls whose caller gave up before the pipeline ran are left out of it.
func (p *pipelinedRedis) run(batch []*scriptCall) {
	live := batch[:0:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.done <- failedCmd(c.ctx, err)
			continue
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	if len(live) == 1 { // nothing to coalesce: the plain command
		c := live[0]
		c.done <- p.UniversalClient.EvalSha(c.ctx, c.sha, c.keys, c.args...)
		return
	}
	// The pipeline serves many callers, so none of their contexts may
	// cancel it; its own budget bounds it instead.
	ctx, cancel := context.WithTimeout(context.Background(), pipeTimeout)
	defer cancel()
	pipe := p.UniversalClient.Pipeline()
	cmds := make([]*redis.Cmd, len(live))
	for i, c := range live {
		cmds[i] = pipe.EvalSha(ctx, c.sha, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx) // each command carries its own error
	for i, c := range live {
		c.done <- cmds[i]
	}
}
