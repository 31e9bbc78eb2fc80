// Command loadgen sends signed canonical events to a seatsync receiver on
// this machine and reports the rate it sustained, next to a raw asynq
// enqueue rate measured in the same run, so the figure reads as a ratio.
// Every run is bounded in requests and in time.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hibiken/asynq"

	"github.com/seatsync/seatsync/webhooks"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type options struct {
	url         string
	secret      string
	concurrency int
	duration    time.Duration
	max         int64
	rate        float64
	prefix      string
	baseline    string
	urls        []string // -url split on commas, sent to in turn
	uniqueUsers bool
	customers   int64
	acked       string
	signer      *webhooks.StandardSigner // of -secret
	timeout     time.Duration            // of one request
}

const maxDuration = 2 * time.Minute

func run(ctx context.Context, args []string, stdout io.Writer) error {
	var o options
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080/v1/webhooks/demo", "receiver URL of a standard source (loopback only); several, comma-separated, are sent to in turn")
	fs.StringVar(&o.secret, "secret", os.Getenv("SEATSYNC_SOURCE_DEMO_SECRETS"), "whsec_ secret of that source")
	fs.IntVar(&o.concurrency, "c", 16, "concurrent senders")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "how long to send (at most 2m)")
	fs.Int64Var(&o.max, "n", 500000, "stop after this many requests")
	fs.Float64Var(&o.rate, "rate", 0, "requests per second in total (0: as fast as the receiver answers)")
	fs.StringVar(&o.prefix, "prefix", fmt.Sprintf("load_%d", time.Now().UnixNano()), "prefix of the event ids")
	fs.StringVar(&o.baseline, "baseline-redis", "", "also measure raw asynq enqueues/s against this Redis URL (use a spare DB index)")
	fs.BoolVar(&o.uniqueUsers, "unique-users", false, "one new user per event (so applied effects can be counted) instead of 5,000 users updated in turn")
	fs.Int64Var(&o.customers, "customers", 100, "customers the users are spread over (1: one customer, as an identity provider's import)")
	fs.StringVar(&o.acked, "acked", "", "write the id of every event answered 202 to this file, one a line")
	bodySize := fs.Bool("body-size", false, "print the size in bytes of the bodies sent, and exit")
	floor := fs.String("serve-floor", "", "instead of sending, serve seatsync's receiver handler for source demo on this loopback address, over an inbox that answers every event as recorded before (the receive path's floor; see floor.go), until interrupted")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *floor != "" {
		return serveFloor(ctx, *floor, o.secret)
	}
	if *bodySize {
		fmt.Fprintln(stdout, len(eventBody(nil, &o, 1, time.Now())))
		return nil
	}
	if o.duration > maxDuration || o.duration <= 0 || o.concurrency < 1 || o.customers < 1 {
		return fmt.Errorf("-d must be in (0, %s], and -c and -customers at least 1", maxDuration)
	}
	o.urls = strings.Split(o.url, ",")
	for _, raw := range o.urls {
		if u, err := url.Parse(raw); err != nil || u.Scheme != "http" || !loopback(u.Hostname()) {
			return errors.New("-url must be an http URL of a loopback address: this tool only loads the local machine")
		}
	}
	signer, err := webhooks.NewStandardSigner(o.secret)
	if err != nil {
		return fmt.Errorf("-secret: %w", err)
	}
	o.signer, o.timeout = signer, requestTimeout
	res, err := send(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "receive: %s\n", res)
	if o.baseline == "" {
		return nil
	}
	raw, err := enqueueBaseline(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "asynq enqueue baseline: %s\n", raw)
	fmt.Fprintf(stdout, "ratio receive/enqueue: %.3f\n", res.perSecond()/raw.perSecond())
	return nil
}

// loopback tells whether host (a name or an address, without its port) is
// this machine, the only one this tool loads.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// result is what one phase measured.
type result struct {
	n         int64
	elapsed   time.Duration
	statuses  map[int]int64
	errors    int64
	latencies []time.Duration
	// longest time between two consecutive 202s, measured at their
	// answers: under a steady rate, the time without acceptance.
	longestGap time.Duration
}

func (r result) perSecond() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r result) String() string {
	s := fmt.Sprintf("%d in %.1fs = %.0f/s", r.n, r.elapsed.Seconds(), r.perSecond())
	if len(r.latencies) > 0 {
		slices.Sort(r.latencies)
		q := func(p float64) time.Duration { return r.latencies[int(p*float64(len(r.latencies)-1))] }
		s += fmt.Sprintf(", latency p50 %s p99 %s", q(.5).Round(10*time.Microsecond), q(.99).Round(10*time.Microsecond))
	}
	if len(r.statuses) > 0 {
		s += fmt.Sprintf(", statuses %v", r.statuses)
	}
	if r.errors > 0 {
		s += fmt.Sprintf(", %d transport errors", r.errors)
	}
	if r.longestGap > 0 {
		s += fmt.Sprintf(", longest time without a 202 %s", r.longestGap.Round(time.Millisecond))
	}
	return s
}

// loop runs o.concurrency goroutines, each calling the function newWorker
// made for it, until the duration, the request budget or the context ends,
// pacing to o.rate when set. A worker of its own lets each goroutine keep
// its connections and buffers without locks.
func loop(ctx context.Context, o options, newWorker func() func(seq int64) time.Duration) result {
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var (
		seq   atomic.Int64
		mu    sync.Mutex
		lat   []time.Duration
		wg    sync.WaitGroup
		start = time.Now()
	)
	// At a set rate, request n is due at start + (n-1)/rate, and a sender
	// that is late sends at once: the offered load stays at the rate on
	// average however the receiver or the scheduler lag (a ticker drops
	// the ticks nobody took in time, and sent a fifth less than asked on a
	// busy machine).
	due := func(n int64) time.Duration { return time.Duration(float64(n-1) * float64(time.Second) / o.rate) }
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn := newWorker()
			var mine []time.Duration
			for ctx.Err() == nil {
				n := seq.Add(1)
				if n > o.max {
					break
				}
				if o.rate > 0 {
					if wait := time.Until(start.Add(due(n))); wait > 0 {
						select {
						case <-time.After(wait):
						case <-ctx.Done():
							continue
						}
					}
				}
				mine = append(mine, fn(n))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return result{n: int64(len(lat)), elapsed: time.Since(start), latencies: lat}
}

// eventBody appends the canonical event of request seq to dst. By default
// 100 customers of 50 users each: events of one customer serialise on its
// row lock, as they must, so one customer alone would measure that lock
// rather than seatsync. It is built by appends, as it is on every request.
func eventBody(dst []byte, o *options, seq int64, now time.Time) []byte {
	user := seq % 5000
	if o.uniqueUsers {
		user = seq
	}
	b := append(dst, `{"type":"user.upserted","timestamp":"`...)
	b = now.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","data":{"customer_external_id":"load`...)
	b = strconv.AppendInt(b, seq%o.customers, 10)
	b = append(b, `","external_id":"u`...)
	b = strconv.AppendInt(b, user, 10)
	b = append(b, `","email":"u`...)
	b = strconv.AppendInt(b, user, 10)
	b = append(b, `@load.test","name":"Load `...)
	b = strconv.AppendInt(b, seq, 10)
	return append(b, `"}}`...)
}

// send loads the receivers and tallies their answers.
func send(ctx context.Context, o options) (result, error) {
	targets, err := parseTargets(o.urls)
	if err != nil {
		return result{}, err
	}
	var (
		mu      sync.Mutex
		senders []*sender
	)
	res := loop(ctx, o, func() func(int64) time.Duration {
		s := newSender(&o, targets)
		mu.Lock()
		senders = append(senders, s)
		mu.Unlock()
		return s.send
	})
	all := tally{statuses: map[int]int64{}}
	for _, s := range senders {
		all.merge(s.tally)
	}
	res.statuses, res.errors = all.statuses, all.errors
	slices.SortFunc(all.ackedAt, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(all.ackedAt); i++ {
		res.longestGap = max(res.longestGap, all.ackedAt[i].Sub(all.ackedAt[i-1]))
	}
	if o.acked != "" {
		if err := writeAcked(o.acked, o.prefix, all.acked); err != nil {
			return res, fmt.Errorf("-acked: %w", err)
		}
	}
	return res, nil
}

// writeAcked writes the ids of the events answered 202, in sequence order.
func writeAcked(path, prefix string, seqs []int64) error {
	slices.Sort(seqs)
	var b []byte
	for _, seq := range seqs {
		b = append(eventID(b, prefix, seq), '\n')
	}
	return os.WriteFile(path, b, 0o600)
}

// enqueueBaseline enqueues tasks of the same size with unique task IDs
// straight into asynq, the floor under seatsync's own enqueue.
func enqueueBaseline(ctx context.Context, o options) (result, error) {
	opt, err := asynq.ParseRedisURI(o.baseline)
	if err != nil {
		return result{}, fmt.Errorf("-baseline-redis: %w", err)
	}
	client := asynq.NewClient(opt)
	defer client.Close()
	payload := bytes.Repeat([]byte("x"), 420)
	const queue = "loadgen_baseline"
	o.rate = 0
	var failed atomic.Int64
	enqueue := func(seq int64) time.Duration {
		start := time.Now()
		t := asynq.NewTask("loadgen:baseline", payload, asynq.TaskID(fmt.Sprintf("%s_%d", o.prefix, seq)), asynq.Queue(queue))
		if _, err := client.Enqueue(t); err != nil {
			failed.Add(1)
		}
		return time.Since(start)
	}
	res := loop(ctx, o, func() func(int64) time.Duration { return enqueue })
	res.errors = failed.Load()
	inspector := asynq.NewInspector(opt)
	defer inspector.Close()
	_ = inspector.DeleteQueue(queue, true)
	return res, nil
}
