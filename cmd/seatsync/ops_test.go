package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestOperatorRoutes(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.startWorker()
	e := userEvent("evt_metrics", time.Now())
	s.send(e)
	s.waitProcessed("crm", e.id)
	basic := func(user, pass string) http.Header {
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.SetBasicAuth(user, pass)
		return req.Header
	}

	tests := []struct {
		name   string
		path   string
		header http.Header
		want   int
	}{
		{"dashboard without token", "/ops/queues", nil, http.StatusUnauthorized},
		{"dashboard with wrong token", "/ops/queues", bearer("wrong"), http.StatusUnauthorized},
		{"dashboard with bearer token", "/ops/queues", bearer(opsToken), http.StatusOK},
		{"dashboard with basic password", "/ops/queues/", basic("ops", opsToken), http.StatusOK},
		{"dashboard API with token", "/ops/queues/api/queues", bearer(opsToken), http.StatusOK},
		{"health", "/healthz", nil, http.StatusOK},
		{"ready", "/readyz", nil, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if a := s.get(tc.path, tc.header); a.status != tc.want {
				t.Errorf("GET %s = %d, want %d", tc.path, a.status, tc.want)
			}
		})
	}

	t.Run("read-only dashboard refuses changes", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodDelete, s.http.URL+"/ops/queues/api/queues/inbound", nil)
		req.Header = bearer(opsToken)
		if a := s.do(req); a.status < 400 {
			t.Errorf("DELETE queue = %d, want refused", a.status)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		resp, err := http.Get(s.http.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		for _, series := range []string{
			`seatsync_inbound_events_total{outcome="enqueued",source="crm"} 1`,
			`seatsync_event_apply_seconds_count{outcome="applied",source="crm"} 1`,
			`seatsync_inbound_receive_seconds_count{source="crm"} 1`,
			`asynq_queue_size{queue="inbound"}`,
		} {
			if !strings.Contains(string(body), series) {
				t.Errorf("/metrics lacks %s", series)
			}
		}
	})
}

func TestOperatorRoutesOffWithoutToken(t *testing.T) {
	t.Parallel()
	s := newStack(t, "SEATSYNC_OPS_TOKEN=")
	if a := s.get("/ops/queues", bearer("")); a.status != http.StatusNotFound || errorCode(a) != "ops_disabled" {
		t.Errorf("answer %d %v, want 404 ops_disabled", a.status, a.body)
	}
}

func TestReadinessFailsWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	s := newStack(t, "SEATSYNC_REDIS_URL=redis://127.0.0.1:1/0")
	a := s.get("/readyz", nil)
	if a.status != http.StatusServiceUnavailable || a.body["redis"] != "unreachable" || a.body["postgres"] != "ok" {
		t.Errorf("readyz = %d %v", a.status, a.body)
	}
}
