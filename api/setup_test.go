package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/api"
	"github.com/seatsync/seatsync/api/apitest"
	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
	"github.com/seatsync/seatsync/webhooks"
	"github.com/seatsync/seatsync/worker"
	"github.com/seatsync/seatsync/worker/engine"
	"github.com/seatsync/seatsync/worker/inbox"
)

// Two secrets of the "crm" source, as during a rotation.
const (
	secretOld = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretNew = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
)

// apiTest is the management API served as `seatsync serve` serves it (the
// request id first, then the webhook receiver and the API on one gin
// engine), over a database and a Redis database of the test's own, with
// what a test needs beside it: an API key, the log, the queue, and a
// worker on demand. No binary is started.
type apiTest struct {
	t      testing.TB
	db     *storage.DB
	dbURL  string
	redis  asynq.RedisClientOpt
	queue  *jobs.Client
	rdb    redis.UniversalClient
	log    *slog.Logger
	logBuf *apitest.LogBuffer
	engine *gin.Engine
	http   *httptest.Server
	key    http.Header // the test's API key
	cfg    setup
	events int // canonical events applied, which numbers their ids
}

// setup is what a test may change of the configuration the API runs with;
// the defaults are the binary's.
type setup struct {
	allowPrivate         bool
	invitationTTL        time.Duration
	rateLimit, rateBurst int
	redisDown            bool
	logLevel             slog.Level
	worker               bool
}

type option func(*setup)

// allowPrivate lets webhook endpoints point at loopback addresses, as
// SEATSYNC_OUTBOUND_ALLOW_PRIVATE_NETWORKS=true does.
func allowPrivate(s *setup) { s.allowPrivate = true }

// withWorker starts a worker with the API (startWorker).
func withWorker(s *setup) { s.worker = true }

// redisDown points the API's Redis at a port nothing listens on.
func redisDown(s *setup) { s.redisDown = true }

func withInvitationTTL(d time.Duration) option { return func(s *setup) { s.invitationTTL = d } }

func withLogLevel(l slog.Level) option { return func(s *setup) { s.logLevel = l } }

func withRateLimit(limit, burst int) option {
	return func(s *setup) { s.rateLimit, s.rateBurst = limit, burst }
}

func newAPITest(t testing.TB, opts ...option) *apiTest {
	t.Helper()
	cfg := setup{invitationTTL: 7 * 24 * time.Hour, rateLimit: 20, rateBurst: 100, logLevel: slog.LevelDebug}
	for _, o := range opts {
		o(&cfg)
	}
	redisOpt := asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond} // nothing listens on port 1
	if !cfg.redisDown {
		redisOpt = jobstest.New(t)
	}
	dbURL := storagetest.NewURL(t)
	db, err := storage.Open(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	at := &apiTest{t: t, db: db, dbURL: dbURL, redis: redisOpt, queue: jobs.NewClient(redisOpt), logBuf: &apitest.LogBuffer{}, cfg: cfg}
	at.log = slog.New(api.WithRequestIDs(slog.NewJSONHandler(at.logBuf, &slog.HandlerOptions{Level: cfg.logLevel})))
	rdb := redisOpt.MakeRedisClient().(redis.UniversalClient)
	at.rdb = rdb

	gin.SetMode(gin.ReleaseMode)
	at.engine = gin.New()
	at.engine.Use(api.RequestID)
	crm, err := webhooks.NewKind("standard", []string{secretOld, secretNew}, 0)
	if err != nil {
		t.Fatal(err)
	}
	webhooks.NewReceiver([]webhooks.Source{{Name: "crm", Kind: "standard", Format: crm}}, inbox.New(db, at.queue), at.queue,
		4096, webhooks.NewMetrics(prometheus.NewRegistry()), at.log).Register(at.engine)
	api.New(api.Options{
		DB: db, Queue: at.queue, Redis: rdb, Engine: engine.New(), Log: at.log,
		AllowPrivateNetworks: cfg.allowPrivate, SecretGrace: webhooks.DefaultSecretGrace, InvitationTTL: cfg.invitationTTL,
		RateLimit: cfg.rateLimit, RateBurst: cfg.rateBurst,
	}).Register(at.engine)
	at.http = httptest.NewServer(at.engine)
	t.Cleanup(func() {
		at.http.Close()
		at.queue.Close()
		rdb.Close()
		db.Close()
	})

	_, secret, err := db.CreateAPIKey(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	at.key = apitest.Bearer(secret)
	if cfg.worker {
		at.startWorker()
	}
	return at
}

// startWorker runs an in-process worker, configured as the binary's, until
// the test ends: for tests of what the API hands to the worker (replays,
// resends) and of state that events put in place.
func (at *apiTest) startWorker() {
	at.t.Helper()
	w := worker.New(worker.Options{
		Concurrency:       10,
		TaskCheckInterval: 10 * time.Millisecond,
		ShutdownTimeout:   5 * time.Second,
		SweepInterval:     30 * time.Second,
		SweepAfter:        time.Minute,
		DisableAfter:      5 * 24 * time.Hour,
		Retention:         30 * 24 * time.Hour,
	}, at.redis, at.rdb, at.db, at.queue, webhooks.NewSender(15*time.Second, at.cfg.allowPrivate, 10),
		worker.NewMetrics(prometheus.NewRegistry()), at.log)
	if err := w.Start(); err != nil {
		at.t.Fatal(err)
	}
	at.t.Cleanup(w.Shutdown)
}

// answer is an HTTP answer with its JSON body.
type answer struct {
	status int
	body   map[string]any
	header http.Header
}

// do sends req; apitest checks every answer against the OpenAPI document.
func (at *apiTest) do(req *http.Request) answer {
	at.t.Helper()
	status, header, body := apitest.Send(at.t, req)
	return answer{status: status, body: body, header: header}
}

// call sends a JSON request with the test's API key ("" body: none).
func (at *apiTest) call(method, path, body string) answer {
	at.t.Helper()
	return at.do(apitest.NewRequest(at.t, method, at.http.URL+path, at.key, body))
}

// callWith is call with extra headers.
func (at *apiTest) callWith(method, path, body string, h http.Header) answer {
	at.t.Helper()
	req := apitest.NewRequest(at.t, method, at.http.URL+path, at.key, body)
	for k, v := range h {
		req.Header[k] = v
	}
	return at.do(req)
}

// must calls and fails the test unless the answer has status want.
func (at *apiTest) must(want int, method, path, body string) map[string]any {
	at.t.Helper()
	return apitest.Must(at.t, want, apitest.NewRequest(at.t, method, at.http.URL+path, at.key, body))
}

// get and post send exactly the headers given, no API key unless in h.
func (at *apiTest) get(path string, h http.Header) answer {
	at.t.Helper()
	req := apitest.NewRequest(at.t, http.MethodGet, at.http.URL+path, h, "")
	req.Header.Del("Content-Type")
	return at.do(req)
}

func (at *apiTest) post(path string, h http.Header, body []byte) answer {
	at.t.Helper()
	req := apitest.NewRequest(at.t, http.MethodPost, at.http.URL+path, h, string(body))
	req.Header = h.Clone()
	return at.do(req)
}

// send delivers e to the crm source, signed now with the newest secret.
func (at *apiTest) send(e apitest.Event) answer {
	at.t.Helper()
	body := e.Body()
	return at.post("/v1/webhooks/crm", apitest.Signed(at.t, secretNew, e.ID, time.Now(), body), body)
}

// sendAndWait sends a canonical event, fails the test unless it was
// enqueued, and waits until it left received; it returns the inbox row.
func (at *apiTest) sendAndWait(id, typ string, when time.Time, data string) storage.InboxEvent {
	at.t.Helper()
	if a := at.send(apitest.Event{ID: id, Type: typ, At: when, Data: data}); status(a) != "enqueued" {
		at.t.Fatalf("send %s: %d %v", id, a.status, a.body)
	}
	return at.waitProcessed("crm", id)
}

// apply sends a canonical event and fails the test unless the worker
// applied it.
func (at *apiTest) apply(typ string, when time.Time, data string) {
	at.t.Helper()
	at.events++
	if got := at.sendAndWait(fmt.Sprintf("evt_%d", at.events), typ, when, data); got.Status != storage.InboxApplied {
		at.t.Fatalf("%s: status %q error %q", typ, got.Status, got.Error)
	}
}

// waitProcessed waits until the event's inbox row has left "received".
func (at *apiTest) waitProcessed(source, id string) storage.InboxEvent {
	at.t.Helper()
	return apitest.WaitProcessed(at.t, at.db, source, id, at.logBuf)
}

// checkInvariants fails the test for every rule of SPEC §1 broken.
func (at *apiTest) checkInvariants() {
	at.t.Helper()
	storagetest.CheckInvariants(at.t, at.db)
}

// revokedKey creates an API key, revokes it and returns its secret.
func (at *apiTest) revokedKey() string {
	at.t.Helper()
	ctx := context.Background()
	k, secret, err := at.db.CreateAPIKey(ctx, "old")
	if err != nil {
		at.t.Fatal(err)
	}
	if err := at.db.RevokeAPIKey(ctx, k.ID); err != nil {
		at.t.Fatal(err)
	}
	return secret
}

// keyID is the id of the test's API key.
func (at *apiTest) keyID() string {
	at.t.Helper()
	k, err := at.db.AuthenticateAPIKey(context.Background(), strings.TrimPrefix(at.key.Get("Authorization"), "Bearer "))
	if err != nil {
		at.t.Fatal(err)
	}
	return k.ID
}

// logLines parses the JSON log lines written so far.
func (at *apiTest) logLines() []map[string]any {
	at.t.Helper()
	var out []map[string]any
	for _, raw := range bytes.Split(bytes.TrimSpace(at.logBuf.Bytes()), []byte("\n")) {
		var line map[string]any
		if err := json.Unmarshal(raw, &line); err != nil {
			at.t.Fatalf("log line %q: %v", raw, err)
		}
		out = append(out, line)
	}
	return out
}

func (at *apiTest) logLinesWith(msg, requestID string) []map[string]any {
	at.t.Helper()
	var out []map[string]any
	for _, l := range at.logLines() {
		if l["msg"] == msg && l["request_id"] == requestID {
			out = append(out, l)
		}
	}
	return out
}

func status(a answer) string {
	s, _ := a.body["status"].(string)
	return s
}

func errorCode(a answer) string { return apitest.ErrorCode(a.body) }

var (
	bearer         = apitest.Bearer
	listData       = apitest.ListData
	listPagination = apitest.ListPagination
)
