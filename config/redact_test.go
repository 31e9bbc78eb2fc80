package config

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestLogValueRedacts(t *testing.T) {
	t.Parallel()
	const (
		token  = "ops-token-0123456789abcdef"
		dbPass = "db-pa55word"
		rdPass = "redis-pa55word"
		qPass  = "query-pa55word"
	)
	for _, tt := range []struct {
		name    string
		environ []string
		secrets []string
		want    map[string]any // top-level keys of the logged "config" object
	}{
		{"all secrets set", []string{
			"SEATSYNC_OPS_TOKEN=" + token,
			"SEATSYNC_DATABASE_URL=postgres://app:" + dbPass + "@db:5432/seatsync?sslmode=require&sslpassword=" + qPass,
			"SEATSYNC_REDIS_URL=redis://:" + rdPass + "@cache:6379/1",
			"SEATSYNC_SOURCE_CRM_KIND=standard",
			"SEATSYNC_SOURCE_CRM_SECRETS=" + testSecret1 + "," + testSecret2,
		}, []string{token, dbPass, rdPass, qPass, testSecret1, testSecret2,
			strings.TrimPrefix(testSecret1, "whsec_")}, map[string]any{
			"ops_token":    "[redacted]",
			"database_url": "postgres://app:xxxxx@db:5432/seatsync?sslmode=require&sslpassword=xxxxx",
			"redis_url":    "redis://:xxxxx@cache:6379/1",
			"sources":      map[string]any{"crm": map[string]any{"kind": "standard", "secrets": 2.0, "tolerance": "kind default"}},
		}},
		{"password in query only", []string{
			"SEATSYNC_DATABASE_URL=postgres://db/seatsync?password=" + qPass,
		}, []string{qPass}, map[string]any{
			"ops_token":    "",
			"database_url": "postgres://db/seatsync?password=xxxxx",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustLoad(t, tt.environ)
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
			out := buf.String()
			for _, s := range tt.secrets {
				if strings.Contains(out, s) {
					t.Errorf("log line contains secret %q:\n%s", s, out)
				}
			}
			var line struct{ Config map[string]any }
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("decode %s: %v", out, err)
			}
			for k, want := range tt.want {
				got, _ := json.Marshal(line.Config[k])
				wantJSON, _ := json.Marshal(want)
				if !bytes.Equal(got, wantJSON) {
					t.Errorf("config.%s = %s, want %s", k, got, wantJSON)
				}
			}
			if line.Config["worker_concurrency"] != 10.0 || line.Config["sweep_after"] != "1m0s" {
				t.Errorf("non-secret fields missing or wrong: %s", out)
			}
		})
	}
}

func TestRedactURLUnparseable(t *testing.T) {
	t.Parallel()
	if got := redactURL("postgres://u:p%zz@db/x"); got != redacted {
		t.Errorf("redactURL = %q, want %q", got, redacted)
	}
}
