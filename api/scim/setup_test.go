package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
	"github.com/seatsync/seatsync/worker/engine"
)

// bundle is a SCIM router over a database of the test's own, with one
// customer ("acme") and its token.
type bundle struct {
	t        testing.TB
	db       *storage.DB
	engine   *engine.Engine
	router   *gin.Engine
	customer string
	token    string
	logs     *bytes.Buffer
}

func setup(t testing.TB) *bundle {
	t.Helper()
	gin.SetMode(gin.TestMode)
	db := storagetest.NewDB(t)
	rdb := jobstest.New(t).MakeRedisClient().(redis.UniversalClient)
	t.Cleanup(func() { rdb.Close() })
	var logs bytes.Buffer
	b := &bundle{t: t, db: db, engine: engine.New(), router: gin.New(), customer: "acme", logs: &logs}
	New(Options{
		DB: db, Engine: b.engine, Redis: rdb, Log: slog.New(slog.NewJSONHandler(&logs, nil)),
		RateLimit: 10000, RateBurst: 10000,
	}).Register(b.router)
	b.token = b.addCustomer("acme")
	return b
}

// addCustomer creates a customer and returns a SCIM token of its.
func (b *bundle) addCustomer(externalID string) string {
	b.t.Helper()
	ctx := context.Background()
	err := b.db.InTx(ctx, func(tx *storage.Tx) error {
		_, err := b.engine.UpsertCustomer(ctx, tx, storage.CustomerInput{ExternalID: externalID, Name: externalID}, time.Now())
		return err
	})
	if err != nil {
		b.t.Fatal(err)
	}
	_, secret, err := b.db.CreateSCIMToken(ctx, externalID, "test")
	if err != nil {
		b.t.Fatal(err)
	}
	return secret
}

// reply is an answer of the router.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request to the acme service provider; path is relative to
// its base URL.
func (b *bundle) do(method, path, body string) reply {
	b.t.Helper()
	return b.doAs(b.token, "/scim/v2/"+b.customer+path, method, body)
}

// doAs sends a request with a token to an absolute path.
func (b *bundle) doAs(token, path, method, body string) reply {
	b.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	w := httptest.NewRecorder()
	b.router.ServeHTTP(w, req)
	out := reply{status: w.Code, header: w.Header(), raw: w.Body.String()}
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &out.body); err != nil {
			b.t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, path, err, w.Body.String())
		}
		if ct := w.Header().Get("Content-Type"); ct != contentType {
			b.t.Errorf("%s %s: Content-Type %q, want %s", method, path, ct, contentType)
		}
	}
	if out.status >= 500 {
		b.t.Errorf("%s %s: %d %s\nlog: %s", method, path, out.status, out.raw, b.logs.String())
	}
	return out
}

// must fails the test unless the answer has status want.
func (b *bundle) must(want int, method, path, body string) map[string]any {
	b.t.Helper()
	r := b.do(method, path, body)
	if r.status != want {
		b.t.Fatalf("%s %s: %d %s, want %d", method, path, r.status, r.raw, want)
	}
	return r.body
}

// createUser provisions a user and returns its SCIM id.
func (b *bundle) createUser(userName string) string {
	b.t.Helper()
	body, _ := json.Marshal(map[string]any{
		"schemas": []string{userSchema}, "userName": userName, "active": true,
		"emails": []any{map[string]any{"value": userName, "type": "work", "primary": true}},
	})
	return b.must(http.StatusCreated, http.MethodPost, "/Users", string(body))["id"].(string)
}

// checkSCIMError checks an answer is a SCIM error of status and scimType.
func checkSCIMError(t testing.TB, r reply, status int, scimType string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d: %s", r.status, status, r.raw)
		return
	}
	schemas, _ := r.body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != errorSchema {
		t.Errorf("schemas = %v, want the Error schema", r.body["schemas"])
	}
	if r.body["status"] != strconv.Itoa(status) {
		t.Errorf("status field %v, want %q", r.body["status"], strconv.Itoa(status))
	}
	if got, _ := r.body["scimType"].(string); got != scimType {
		t.Errorf("scimType %q, want %q: %s", got, scimType, r.raw)
	}
}
