package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

// The tests of this package share Redis DB 1 and so never run in parallel.
const redisDB = 1

// Two secrets, as during a rotation.
const (
	secretOld = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretNew = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
	opsToken  = "test-ops-token-0123456789"
)

// stack is a seatsync wired exactly as `seatsync all` wires it, against a
// database of the test's own and Redis DB 1.
type stack struct {
	t      testing.TB
	d      *deps
	http   *httptest.Server
	redis  asynq.RedisClientOpt
	dbURL  string
	logBuf *bytes.Buffer
}

func baseEnviron(dbURL string, redis asynq.RedisClientOpt) []string {
	return []string{
		"SEATSYNC_DATABASE_URL=" + dbURL,
		"SEATSYNC_REDIS_URL=" + jobstest.URL(redis),
		"SEATSYNC_SOURCE_CRM_KIND=standard",
		"SEATSYNC_SOURCE_CRM_SECRETS=" + secretOld + "," + secretNew,
		"SEATSYNC_OPS_TOKEN=" + opsToken,
		"SEATSYNC_MAX_BODY_BYTES=4096",
		"SEATSYNC_TASK_CHECK_INTERVAL=10ms",
		"SEATSYNC_SHUTDOWN_TIMEOUT=5s",
		"SEATSYNC_LOG_LEVEL=debug",
	}
}

// override replaces or adds the K=V entries of extra in base.
func override(base, extra []string) []string {
	out := slices.Clone(base)
	for _, kv := range extra {
		name, _, _ := strings.Cut(kv, "=")
		out = slices.DeleteFunc(out, func(e string) bool { return strings.HasPrefix(e, name+"=") })
		out = append(out, kv)
	}
	return out
}

// newStack starts the HTTP side; call startWorker for the worker.
func newStack(t testing.TB, extra ...string) *stack {
	t.Helper()
	redis := jobstest.Redis(t, redisDB)
	dbURL := storagetest.NewURL(t)
	return newStackOn(t, dbURL, redis, extra...)
}

func newStackOn(t testing.TB, dbURL string, redis asynq.RedisClientOpt, extra ...string) *stack {
	t.Helper()
	var logs bytes.Buffer
	env := &environment{environ: override(baseEnviron(dbURL, redis), extra), stdout: &logs}
	d, err := connect(env)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	sources, err := d.sources()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d.mainRouter(sources))
	t.Cleanup(func() {
		srv.Close()
		d.close()
	})
	return &stack{t: t, d: d, http: srv, redis: redis, dbURL: dbURL, logBuf: &logs}
}

// startWorker runs a worker until the test ends.
func (s *stack) startWorker() {
	s.t.Helper()
	w := s.d.newWorker()
	if err := w.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(w.Shutdown)
}

// event is one canonical event delivery.
type event struct {
	id   string
	typ  string
	at   time.Time
	data string
}

func (e event) body() []byte {
	return []byte(fmt.Sprintf(`{"type":%q,"timestamp":%q,"data":%s}`, e.typ, e.at.UTC().Format(time.RFC3339Nano), e.data))
}

// signed signs body with the official Standard Webhooks library, so the
// receiver is checked against it rather than against itself.
func signed(t testing.TB, secret, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := wh.Sign(id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("webhook-signature", sig)
	return h
}

type answer struct {
	status int
	body   map[string]any
	header http.Header
}

func (s *stack) post(path string, h http.Header, body []byte) answer {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.http.URL+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header = h
	return s.do(req)
}

func (s *stack) get(path string, h http.Header) answer {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.http.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if h != nil {
		req.Header = h
	}
	return s.do(req)
}

func (s *stack) do(req *http.Request) answer {
	s.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	checkOpenAPI(s.t, req, resp, raw)
	a := answer{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// send delivers e to the crm source, signed now with the newest secret.
func (s *stack) send(e event) answer {
	s.t.Helper()
	body := e.body()
	return s.post("/v1/webhooks/crm", signed(s.t, secretNew, e.id, time.Now(), body), body)
}

// waitProcessed waits until the event's inbox row has left "received".
func (s *stack) waitProcessed(source, id string) storage.InboxEvent {
	s.t.Helper()
	// Generous: an event that refers to one not applied yet is retried
	// with growing delays, and the race detector slows everything down.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ev, err := s.d.db.InboxEventByID(context.Background(), source, id)
		if err == nil && ev.Status != storage.InboxReceived {
			return ev
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("event %s/%s not processed in time (status %q, %v); log:\n%s", source, id, ev.Status, err, s.logBuf)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func status(a answer) string {
	s, _ := a.body["status"].(string)
	return s
}

func errorCode(a answer) string {
	e, _ := a.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}
