package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/lib/pq"
	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/storage/storagetest"
)

// The light version of `make scaleout` (.ci/scaleout), small enough for
// the suite: a Redis master, a replica and three sentinels on loopback
// ports of the test's own, two receivers and two workers wired as two
// `seatsync all` with SEATSYNC_REDIS_URL=redis-sentinel://…, a steady
// ingest over both receivers, and the master SIGKILLed part way. Every
// acknowledged event must be applied, and have its effect: each event
// creates a user of its own, so the users counted are the effects (the
// inbox claim keeps each event to one apply; TestApplyOnceUnderConcurrent-
// Deliveries in worker/inbox tests that).
func TestSentinelFailoverLosesNothing(t *testing.T) {
	t.Parallel()
	redis := startSentinels(t)
	dbURL := storagetest.NewURL(t)
	env := []string{"SEATSYNC_REDIS_URL=" + redis.url,
		// A task the failover lost (replication is asynchronous) is still in
		// the inbox: the sweeper enqueues it again.
		"SEATSYNC_SWEEP_INTERVAL=1s", "SEATSYNC_SWEEP_AFTER=2s",
		"SEATSYNC_LOG_LEVEL=warn"}
	// Two of everything, as two `seatsync all` processes.
	stacks := []*stack{newStackOn(t, dbURL, asynq.RedisClientOpt{}, env...), newStackOn(t, dbURL, asynq.RedisClientOpt{}, env...)}
	for _, s := range stacks {
		s.startWorker()
	}

	const rate, before, after = 50, 2 * time.Second, 4 * time.Second
	send := newSteadySender(stacks, rate)
	time.Sleep(before)
	redis.killMaster(t)
	redis.waitFailover(t)
	time.Sleep(after)
	acked, refused := send.stop()
	t.Logf("%d events acknowledged, %d refused (503) while Redis failed over", len(acked), refused)
	if len(acked) < rate*int(before/time.Second) {
		t.Fatalf("only %d events acknowledged", len(acked))
	}

	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var unapplied int
		if err := db.QueryRow(`SELECT count(*) FROM inbox_events WHERE status <> 'applied'`).Scan(&unapplied); err != nil {
			t.Fatal(err)
		}
		if unapplied == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events still not applied 30 s after the load", unapplied)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var missing, applied, users int
	err = db.QueryRow(`
		SELECT (SELECT count(*) FROM unnest($1::text[]) AS a(id) WHERE NOT EXISTS (
		            SELECT 1 FROM inbox_events e WHERE e.source = 'crm' AND e.event_id = a.id AND e.status = 'applied')),
		       (SELECT count(*) FROM inbox_events),
		       (SELECT count(*) FROM users)`, pq.StringArray(acked)).Scan(&missing, &applied, &users)
	if err != nil {
		t.Fatal(err)
	}
	if missing != 0 || users != applied || applied < len(acked) {
		t.Errorf("%d acknowledged, %d of them not applied; %d inbox rows applied, %d users created (want one per event)",
			len(acked), missing, applied, users)
	}
}

// steadySender posts user.upserted events of new users at a fixed rate
// from its own goroutine, to the stacks' receivers in turn, noting which
// were acknowledged.
type steadySender struct {
	done    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	acked   []string
	refused int
}

func newSteadySender(stacks []*stack, rate int) *steadySender {
	ss := &steadySender{done: make(chan struct{})}
	client := &http.Client{Timeout: 10 * time.Second}
	ss.wg.Go(func() {
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-ss.done:
				return
			case <-tick.C:
			}
			id := fmt.Sprintf("evt_failover_%d", n)
			e := event{id: id, typ: "user.upserted", at: time.Now(),
				data: fmt.Sprintf(`{"customer_external_id":"acme","external_id":"u%d","email":"u%d@acme.test"}`, n, n)}
			body := e.body()
			s := stacks[n%len(stacks)]
			req, _ := http.NewRequest(http.MethodPost, s.http.URL+"/v1/webhooks/crm", bytes.NewReader(body))
			req.Header = signed(s.t, secretNew, id, time.Now(), body)
			resp, err := client.Do(req)
			if err != nil {
				continue // not acknowledged: a provider would retry it
			}
			resp.Body.Close()
			ss.mu.Lock()
			switch resp.StatusCode {
			case http.StatusAccepted:
				ss.acked = append(ss.acked, id)
			case http.StatusServiceUnavailable:
				ss.refused++
			}
			ss.mu.Unlock()
		}
	})
	return ss
}

func (ss *steadySender) stop() (acked []string, refused int) {
	close(ss.done)
	ss.wg.Wait()
	return ss.acked, ss.refused
}

// sentinels is a Redis master, a replica and three sentinels watching them.
type sentinels struct {
	url        string
	master     *exec.Cmd
	masterPort string
	sentinel0  string // address of the first sentinel
}

const sentinelMaster = "seatsync"

func startSentinels(t *testing.T) *sentinels {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is needed (Debian's redis-server package)")
	}
	dir := t.TempDir()
	ports := freePorts(t, 5)
	server := func(name string, port int, extra string) *exec.Cmd {
		conf := filepath.Join(dir, name+".conf")
		text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsave \"\"\nappendonly no\n%s\n", port, dir, extra)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{conf}
		if strings.Contains(extra, "sentinel monitor") {
			args = append(args, "--sentinel")
		}
		cmd := exec.Command("redis-server", args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	master := server("master", ports[0], "")
	server("replica", ports[1], fmt.Sprintf("replicaof 127.0.0.1 %d", ports[0]))
	replica := redis.NewClient(&redis.Options{Addr: addr(ports[1])})
	defer replica.Close()
	waitFor(t, "the replica in sync", func(ctx context.Context) bool {
		info, err := replica.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up")
	})
	var addrs []string
	for i, port := range ports[2:] {
		server(fmt.Sprintf("sentinel%d", i), port, fmt.Sprintf(
			"sentinel monitor %[1]s 127.0.0.1 %[2]d 2\nsentinel down-after-milliseconds %[1]s 1000\nsentinel failover-timeout %[1]s 5000",
			sentinelMaster, ports[0]))
		addrs = append(addrs, addr(port))
	}
	r := &sentinels{url: "redis-sentinel://" + strings.Join(addrs, ",") + "?master=" + sentinelMaster,
		master: master, masterPort: fmt.Sprint(ports[0]), sentinel0: addrs[0]}
	waitFor(t, "the sentinels", func(ctx context.Context) bool { return r.named(ctx) == r.masterPort })
	return r
}

// named is the port of the master as the first sentinel names it.
func (r *sentinels) named(ctx context.Context) string {
	c := redis.NewSentinelClient(&redis.Options{Addr: r.sentinel0})
	defer c.Close()
	got, err := c.GetMasterAddrByName(ctx, sentinelMaster).Result()
	if err != nil || len(got) != 2 {
		return ""
	}
	return got[1]
}

func (r *sentinels) killMaster(t *testing.T) {
	t.Helper()
	if err := r.master.Process.Kill(); err != nil {
		t.Fatal(err)
	}
}

func (r *sentinels) waitFailover(t *testing.T) {
	t.Helper()
	waitFor(t, "the sentinels to fail over", func(ctx context.Context) bool {
		p := r.named(ctx)
		return p != "" && p != r.masterPort
	})
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

func addr(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

func waitFor(t *testing.T, what string, ok func(ctx context.Context) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		done := ok(ctx)
		cancel()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
