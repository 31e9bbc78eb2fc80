package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/seatsync/seatsync/api/apitest"
	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

// allowPrivateEnv lets webhook endpoints point at the tests' loopback
// subscribers.
const allowPrivateEnv = "SEATSYNC_OUTBOUND_ALLOW_PRIVATE_NETWORKS=true"

// Two secrets, as during a rotation.
const (
	secretOld = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretNew = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
	opsToken  = "test-ops-token-0123456789"
)

// stack is a seatsync wired exactly as `seatsync all` wires it, against a
// database and a Redis database of the test's own.
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
	redis := jobstest.New(t)
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

func (e event) body() []byte { return apitest.EventBody(e.typ, e.at, e.data) }

var (
	signed   = apitest.Signed
	bearer   = apitest.Bearer
	listData = apitest.ListData
)

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

// do sends req; apitest checks every management API answer against the
// OpenAPI document.
func (s *stack) do(req *http.Request) answer {
	s.t.Helper()
	status, header, body := apitest.Send(s.t, req)
	return answer{status: status, body: body, header: header}
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
	return apitest.WaitProcessed(s.t, s.d.db, source, id, s.logBuf)
}

func status(a answer) string {
	s, _ := a.body["status"].(string)
	return s
}

func errorCode(a answer) string { return apitest.ErrorCode(a.body) }

// apiClient is a stack with an API key, for the end-to-end tests that
// drive the management API; the API's own tests are in package api.
type apiClient struct {
	*stack
	key http.Header
}

func newAPIClient(t *testing.T, extra ...string) *apiClient {
	t.Helper()
	s := newStack(t, extra...)
	_, secret, err := s.d.db.CreateAPIKey(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{stack: s, key: bearer(secret)}
}

// call sends a JSON request with the API key ("" body: none).
func (e *apiClient) call(method, path, body string) answer {
	e.t.Helper()
	return e.do(apitest.NewRequest(e.t, method, e.http.URL+path, e.key, body))
}

// must calls and fails the test unless the answer has status want.
func (e *apiClient) must(want int, method, path, body string) map[string]any {
	e.t.Helper()
	return apitest.Must(e.t, want, apitest.NewRequest(e.t, method, e.http.URL+path, e.key, body))
}
