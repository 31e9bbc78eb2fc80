package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "seatsync.env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigFile(t *testing.T) {
	t.Parallel()
	path := writeFile(t, `# comment
SEATSYNC_HTTP_ADDR=:9000
SEATSYNC_WORKER_CONCURRENCY=5
export SEATSYNC_SOURCE_CRM_KIND=standard
SEATSYNC_OPS_TOKEN='from-the-file-0123456789'
UNRELATED=ignored
`)
	c := mustLoad(t, []string{
		"SEATSYNC_CONFIG_FILE=" + path,
		"SEATSYNC_HTTP_ADDR=:9100",                   // the environment wins
		"SEATSYNC_SOURCE_CRM_SECRETS=" + testSecret1, // completes the file's source
		"SEATSYNC_OPS_TOKEN=",                        // empty means unset, so the file's value stays
	})
	want := wantDefaults()
	want.HTTPAddr = ":9100"
	want.WorkerConcurrency = 5
	want.OpsToken = "from-the-file-0123456789"
	if c.HTTPAddr != want.HTTPAddr || c.WorkerConcurrency != want.WorkerConcurrency || c.OpsToken != want.OpsToken {
		t.Errorf("got addr %q, concurrency %d, token %q; want %q, %d, %q",
			c.HTTPAddr, c.WorkerConcurrency, c.OpsToken, want.HTTPAddr, want.WorkerConcurrency, want.OpsToken)
	}
	if s, ok := c.Source("crm"); !ok || len(s.Secrets) != 1 || s.Secrets[0] != testSecret1 {
		t.Errorf(`Source("crm") = %+v, %v; want it assembled from file and environment`, s, ok)
	}
}

func TestLoadConfigFileErrors(t *testing.T) {
	t.Parallel()
	const secret = "super-secret-value-in-file"
	for _, tt := range []struct {
		name     string
		path     func(t *testing.T) string
		want     []string
		mustNot  string
		failFast bool // the file error alone, nothing about other variables
	}{
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope.env") },
			[]string{"SEATSYNC_CONFIG_FILE:", "nope.env", "no such file"}, "", true},
		{"directory", func(t *testing.T) string { return t.TempDir() },
			[]string{"SEATSYNC_CONFIG_FILE:"}, "", true},
		{"malformed", func(t *testing.T) string { return writeFile(t, "SEATSYNC_OPS_TOKEN=\""+secret+"\n") },
			[]string{"SEATSYNC_CONFIG_FILE:", "is not a valid dotenv file"}, secret, true},
		{"unknown variable in file", func(t *testing.T) string { return writeFile(t, "SEATSYNC_DATABSE_URL=postgres://db\n") },
			[]string{"SEATSYNC_DATABSE_URL: unknown variable"}, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load([]string{"SEATSYNC_CONFIG_FILE=" + tt.path(t), "SEATSYNC_WORKER_CONCURRENCY=abc"})
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not contain %q:\n%s", w, msg)
				}
			}
			if tt.mustNot != "" && strings.Contains(msg, tt.mustNot) {
				t.Errorf("error quotes the file's contents:\n%s", msg)
			}
			if got := strings.Contains(msg, "SEATSYNC_WORKER_CONCURRENCY"); got == tt.failFast {
				t.Errorf("mentions other variables = %v, want %v:\n%s", got, !tt.failFast, msg)
			}
		})
	}
}
