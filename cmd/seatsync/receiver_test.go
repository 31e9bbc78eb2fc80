package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/storage/storagetest"
)

func userEvent(id string, at time.Time) event {
	return event{id: id, typ: "user.upserted", at: at,
		data: `{"customer_external_id":"acme","external_id":"u1","email":"jane@acme.test","name":"Jane"}`}
}

func TestReceiverAnswers(t *testing.T) {
	s := newStack(t)
	now := time.Now()
	valid := userEvent("evt_valid", now)

	tests := []struct {
		name       string
		path       string
		header     func() http.Header
		body       []byte
		wantStatus int
		wantBody   string // status of a 2xx, error code otherwise
	}{
		{
			name: "new event", path: "/v1/webhooks/crm", body: valid.body(),
			header:     func() http.Header { return signed(t, secretNew, valid.id, now, valid.body()) },
			wantStatus: http.StatusAccepted, wantBody: "enqueued",
		},
		{
			name: "redelivery", path: "/v1/webhooks/crm", body: valid.body(),
			header:     func() http.Header { return signed(t, secretNew, valid.id, now.Add(time.Second), valid.body()) },
			wantStatus: http.StatusAccepted, wantBody: "duplicate",
		},
		{
			name: "signed with the rotated-out secret", path: "/v1/webhooks/crm",
			body: userEvent("evt_old_secret", now).body(),
			header: func() http.Header {
				return signed(t, secretOld, "evt_old_secret", now, userEvent("evt_old_secret", now).body())
			},
			wantStatus: http.StatusAccepted, wantBody: "enqueued",
		},
		{
			name: "unknown event type", path: "/v1/webhooks/crm",
			body: event{id: "evt_unknown", typ: "invoice.paid", at: now, data: `{}`}.body(),
			header: func() http.Header {
				return signed(t, secretNew, "evt_unknown", now, event{id: "evt_unknown", typ: "invoice.paid", at: now, data: `{}`}.body())
			},
			wantStatus: http.StatusAccepted, wantBody: "ignored",
		},
		{
			name: "wrong secret", path: "/v1/webhooks/crm", body: valid.body(),
			header: func() http.Header {
				return signed(t, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "evt_x", now, valid.body())
			},
			wantStatus: http.StatusUnauthorized, wantBody: "invalid_signature",
		},
		{
			name: "tampered body", path: "/v1/webhooks/crm", body: bytes.Replace(valid.body(), []byte("Jane"), []byte("Mallory"), 1),
			header:     func() http.Header { return signed(t, secretNew, "evt_tampered", now, valid.body()) },
			wantStatus: http.StatusUnauthorized, wantBody: "invalid_signature",
		},
		{
			name: "missing signature", path: "/v1/webhooks/crm", body: valid.body(),
			header:     func() http.Header { return http.Header{"Webhook-Id": {"evt_nosig"}} },
			wantStatus: http.StatusUnauthorized,
		},
		{
			name: "timestamp too old", path: "/v1/webhooks/crm", body: valid.body(),
			header:     func() http.Header { return signed(t, secretNew, "evt_old", now.Add(-6*time.Minute), valid.body()) },
			wantStatus: http.StatusUnauthorized, wantBody: "timestamp_out_of_tolerance",
		},
		{
			name: "malformed JSON", path: "/v1/webhooks/crm", body: []byte(`{"type":`),
			header:     func() http.Header { return signed(t, secretNew, "evt_bad", now, []byte(`{"type":`)) },
			wantStatus: http.StatusBadRequest, wantBody: "malformed_event",
		},
		{
			name: "missing required field", path: "/v1/webhooks/crm",
			body: event{id: "evt_nouser", typ: "user.upserted", at: now, data: `{"customer_external_id":"acme"}`}.body(),
			header: func() http.Header {
				return signed(t, secretNew, "evt_nouser", now, event{id: "evt_nouser", typ: "user.upserted", at: now, data: `{"customer_external_id":"acme"}`}.body())
			},
			wantStatus: http.StatusBadRequest, wantBody: "malformed_event",
		},
		{
			name: "unknown source", path: "/v1/webhooks/nope", body: valid.body(),
			header:     func() http.Header { return signed(t, secretNew, valid.id, now, valid.body()) },
			wantStatus: http.StatusNotFound, wantBody: "unknown_source",
		},
		{
			name: "body over the limit", path: "/v1/webhooks/crm",
			body:       []byte(`{"pad":"` + strings.Repeat("x", 5000) + `"}`),
			header:     func() http.Header { return http.Header{} },
			wantStatus: http.StatusRequestEntityTooLarge, wantBody: "body_too_large",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := s.post(tc.path, tc.header(), tc.body)
			if a.status != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %v)", a.status, tc.wantStatus, a.body)
			}
			got := status(a)
			if a.status >= 300 {
				got = errorCode(a)
			}
			if tc.wantBody != "" && got != tc.wantBody {
				t.Errorf("answer = %q, want %q (body %v)", got, tc.wantBody, a.body)
			}
		})
	}
	// Nothing rejected may have reached the inbox.
	for _, id := range []string{"evt_x", "evt_tampered", "evt_old", "evt_bad", "evt_nouser", "evt_unknown"} {
		if _, err := s.d.db.InboxEventByID(t.Context(), "crm", id); err == nil {
			t.Errorf("rejected or ignored event %s was recorded", id)
		}
	}
	if strings.Contains(s.logBuf.String(), "Jane") || strings.Contains(s.logBuf.String(), secretNew) {
		t.Error("the log contains a body or a secret")
	}
}

func TestReceiverUnavailable(t *testing.T) {
	redis := jobstest.New(t)
	closedRedis := "redis://127.0.0.1:1/0"
	closedPostgres := "postgres://postgres@127.0.0.1:1/seatsync?sslmode=disable&connect_timeout=1"

	t.Run("postgres and redis down", func(t *testing.T) {
		s := newStackOn(t, closedPostgres, redis, "SEATSYNC_REDIS_URL="+closedRedis)
		a := s.send(userEvent("evt_lost", time.Now()))
		if a.status != http.StatusServiceUnavailable || errorCode(a) != "unavailable" || a.header.Get("Retry-After") == "" {
			t.Fatalf("answer = %d %v, want 503 unavailable with Retry-After", a.status, a.body)
		}
	})

	t.Run("postgres down, redis up", func(t *testing.T) {
		receiver := newStackOn(t, closedPostgres, redis)
		e := userEvent("evt_queue_only", time.Now())
		if a := receiver.send(e); a.status != http.StatusAccepted || status(a) != "enqueued" {
			t.Fatalf("answer = %d %v, want 202 enqueued", a.status, a.body)
		}
		// A worker with a working database records and applies it.
		worker := newStackOn(t, storagetest.NewURL(t), redis)
		worker.startWorker()
		if got := worker.waitProcessed("crm", e.id); got.Status != "applied" {
			t.Fatalf("event status = %q (%s), want applied", got.Status, got.Error)
		}
	})
}
