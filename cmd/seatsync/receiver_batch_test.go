package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/storage/storagetest"
)

// sendAll delivers every event at once from its own goroutine and returns
// the answers in the same order.
func (s *stack) sendAll(evs []event) []answer {
	s.t.Helper()
	out := make([]answer, len(evs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, e := range evs {
		wg.Go(func() {
			<-start
			body := e.body()
			req, _ := http.NewRequest(http.MethodPost, s.http.URL+"/v1/webhooks/crm", bytes.NewReader(body))
			req.Header = signed(s.t, secretNew, e.id, time.Now(), body)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				s.t.Errorf("send %s: %v", e.id, err)
				return
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			out[i] = answer{status: resp.StatusCode, header: resp.Header}
			_ = json.Unmarshal(raw, &out[i].body)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// Concurrent deliveries share inbox batches; each still gets its own
// answer: of the deliveries of one event exactly one is enqueued.
func TestReceiverBatchesConcurrentDeliveries(t *testing.T) {
	s := newStack(t)
	now := time.Now()
	var evs []event
	for i := range 30 {
		e := userEvent(fmt.Sprintf("evt_batch_%d", i), now)
		evs = append(evs, e)
		if i%3 == 0 { // every third one delivered three times at once
			evs = append(evs, e, e)
		}
	}
	answers := s.sendAll(evs)
	enqueued := map[string]int{}
	for i, a := range answers {
		if a.status != http.StatusAccepted {
			t.Fatalf("%s: %d %v", evs[i].id, a.status, a.body)
		}
		switch status(a) {
		case "enqueued":
			enqueued[evs[i].id]++
		case "duplicate":
		default:
			t.Errorf("%s: status %q", evs[i].id, status(a))
		}
	}
	for i := range 30 {
		id := fmt.Sprintf("evt_batch_%d", i)
		if enqueued[id] != 1 {
			t.Errorf("%s: enqueued %d times, want once", id, enqueued[id])
		}
		if _, err := s.d.db.InboxEventByID(t.Context(), "crm", id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}

// A batch whose insert fails answers each of its requests as a failed
// single insert did: through the queue alone while Redis takes it, 503 when
// neither does.
func TestReceiverBatchFailure(t *testing.T) {
	redis := jobstest.New(t)
	closedPostgres := "postgres://postgres@127.0.0.1:1/seatsync?sslmode=disable&connect_timeout=1"
	events := func(prefix string) []event {
		var evs []event
		for i := range 20 {
			evs = append(evs, userEvent(fmt.Sprintf("%s_%d", prefix, i), time.Now()))
		}
		return evs
	}

	t.Run("postgres down, redis up", func(t *testing.T) {
		s := newStackOn(t, closedPostgres, redis)
		evs := events("evt_q")
		inspector := asynq.NewInspector(redis)
		defer inspector.Close()
		for i, a := range s.sendAll(evs) {
			if a.status != http.StatusAccepted || status(a) != "enqueued" {
				t.Errorf("%s: %d %v, want 202 enqueued", evs[i].id, a.status, a.body)
			}
			if _, err := inspector.GetTaskInfo(jobs.QueueInbound, "crm:"+evs[i].id); err != nil {
				t.Errorf("%s is not in the queue: %v", evs[i].id, err)
			}
		}
	})

	t.Run("postgres and redis down", func(t *testing.T) {
		s := newStackOn(t, closedPostgres, redis, "SEATSYNC_REDIS_URL=redis://127.0.0.1:1/0")
		evs := events("evt_lost")
		for i, a := range s.sendAll(evs) {
			if a.status != http.StatusServiceUnavailable || errorCode(a) != "unavailable" {
				t.Errorf("%s: %d %v, want 503 unavailable", evs[i].id, a.status, a.body)
			}
		}
	})
}

// A receiver killed (SIGKILL, no shutdown) while requests wait on their
// batch loses no acknowledged event: every 202 it sent is in the inbox or
// on the queue.
func TestReceiverKilledMidBatchLosesNoAcknowledgedEvent(t *testing.T) {
	dbURL := storagetest.NewURL(t)
	redis := jobstest.New(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = override(os.Environ(), override(baseEnviron(dbURL, redis), []string{
		serveProcessVar + "=1", "SEATSYNC_HTTP_ADDR=127.0.0.1:0", "SEATSYNC_LOG_LEVEL=info",
	}))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := serverAddr(t, stdout)

	// Senders deliver new events until the process dies under them.
	var (
		mu    sync.Mutex
		acked []string
		seq   atomic.Int64
		wg    sync.WaitGroup
	)
	const enough = 400
	enoughAcked := make(chan struct{})
	var once sync.Once
	client := &http.Client{Timeout: 10 * time.Second}
	for range 32 {
		wg.Go(func() {
			for {
				e := userEvent(fmt.Sprintf("evt_kill_%d", seq.Add(1)), time.Now())
				body := e.body()
				req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/webhooks/crm", bytes.NewReader(body))
				req.Header = signed(t, secretNew, e.id, time.Now(), body)
				resp, err := client.Do(req)
				if err != nil {
					return // the process is gone
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					continue
				}
				mu.Lock()
				acked = append(acked, e.id)
				if len(acked) >= enough {
					once.Do(func() { close(enoughAcked) })
				}
				mu.Unlock()
			}
		})
	}
	select {
	case <-enoughAcked:
	case <-time.After(2 * time.Minute):
		t.Fatalf("receiver did not acknowledge %d events; stderr:\n%s", enough, stderr.String())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	d := newStackOn(t, dbURL, redis).d
	inspector := asynq.NewInspector(redis)
	defer inspector.Close()
	for _, id := range acked {
		if _, err := d.db.InboxEventByID(t.Context(), "crm", id); err == nil {
			continue
		}
		if _, err := inspector.GetTaskInfo(jobs.QueueInbound, "crm:"+id); err != nil {
			t.Errorf("acknowledged event %s is neither in the inbox nor on the queue", id)
		}
	}
	t.Logf("%d events acknowledged before the kill, %d sent", len(acked), seq.Load())
}

// serverAddr reads the process's log until it says where it listens, then
// keeps draining it so the process never blocks on its output.
func serverAddr(t *testing.T, stdout io.Reader) string {
	t.Helper()
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 64*1024), 1<<20)
	for lines.Scan() {
		if !strings.Contains(lines.Text(), "seatsync started") {
			continue
		}
		var l struct{ Addr string }
		if err := json.Unmarshal(lines.Bytes(), &l); err != nil || l.Addr == "" {
			t.Fatalf("start line %q: %v", lines.Text(), err)
		}
		go func() { _, _ = io.Copy(io.Discard, stdout) }()
		return l.Addr
	}
	t.Fatalf("the serve process ended before it listened: %v", lines.Err())
	return ""
}

// The receiver answers once an event's inbox row is committed and enqueues
// it in the background; a graceful stop enqueues every event it
// acknowledged before the process lets go of Redis.
func TestReceiverStopEnqueuesEveryAcknowledgedEvent(t *testing.T) {
	redis := jobstest.New(t)
	dbURL := storagetest.NewURL(t)
	env := &environment{environ: baseEnviron(dbURL, redis), stdout: io.Discard}
	d, err := connect(env)
	if err != nil {
		t.Fatal(err)
	}
	sources, err := d.sources()
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, d: d, http: httptest.NewServer(d.mainRouter(sources)), redis: redis, dbURL: dbURL}
	var evs []event
	for i := range 60 {
		evs = append(evs, userEvent(fmt.Sprintf("evt_stop_%d", i), time.Now()))
	}
	for i, a := range s.sendAll(evs) {
		if a.status != http.StatusAccepted || status(a) != "enqueued" {
			t.Fatalf("%s: %d %v, want 202 enqueued", evs[i].id, a.status, a.body)
		}
	}
	s.http.Close() // as runUntilDone: intake first, then the connections
	d.close()

	inspector := asynq.NewInspector(redis)
	defer inspector.Close()
	for _, e := range evs {
		if _, err := inspector.GetTaskInfo(jobs.QueueInbound, "crm:"+e.id); err != nil {
			t.Errorf("acknowledged event %s is not on the queue after the stop: %v", e.id, err)
		}
	}
}
