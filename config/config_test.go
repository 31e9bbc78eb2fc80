package config

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

// wantDefaults is spelled out rather than taken from defaults(), so that a
// changed default fails a test instead of silently agreeing with itself.
func wantDefaults() *Config {
	return &Config{
		DatabaseURL:          "postgres://postgres@127.0.0.1:5432/seatsync?sslmode=disable",
		RedisURL:             "redis://127.0.0.1:6379/0",
		HTTPAddr:             ":8080",
		WorkerAddr:           ":8081",
		OpsReadOnly:          true,
		MaxBodyBytes:         1048576,
		WorkerConcurrency:    10,
		TaskCheckInterval:    10 * time.Millisecond,
		ShutdownTimeout:      20 * time.Second,
		SweepInterval:        30 * time.Second,
		SweepAfter:           time.Minute,
		OutboundDisableAfter: 5 * 24 * time.Hour,
		OutboundRetention:    30 * 24 * time.Hour,
		OutboundMaxInFlight:  4,
		OutboundConcurrency:  20,
		OutboundSecretGrace:  24 * time.Hour,
		InvitationTTL:        7 * 24 * time.Hour,
		APIRateLimit:         20,
		APIRateBurst:         100,
		LogLevel:             slog.LevelInfo,
		LogFormat:            "json",
	}
}

func mustLoad(t *testing.T, environ []string) *Config {
	t.Helper()
	c, err := Load(environ)
	if err != nil {
		t.Fatalf("Load(%q): %v", environ, err)
	}
	return c
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		environ []string
	}{
		{"nil", nil},
		{"unrelated variables", []string{"PATH=/usr/bin", "HOME=/root", "=C:=C:\\", "NOEQUALS"}},
		{"empty values count as unset", []string{"SEATSYNC_HTTP_ADDR=", "SEATSYNC_WORKER_CONCURRENCY="}},
		{"test harness knobs", []string{"SEATSYNC_TEST_DATABASE=x"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := mustLoad(t, tt.environ); !reflect.DeepEqual(got, wantDefaults()) {
				t.Errorf("Load = %+v\nwant %+v", got, wantDefaults())
			}
			if err := wantDefaults().Validate(); err != nil {
				t.Errorf("defaults do not validate: %v", err)
			}
		})
	}
}

func TestLoadEachVariable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  string
		want func(*Config)
	}{
		{"database url", "SEATSYNC_DATABASE_URL=postgresql://u:p@db:5432/x", func(c *Config) { c.DatabaseURL = "postgresql://u:p@db:5432/x" }},
		{"redis url", "SEATSYNC_REDIS_URL=rediss://:pw@cache:6380/2", func(c *Config) { c.RedisURL = "rediss://:pw@cache:6380/2" }},
		{"redis sentinel", "SEATSYNC_REDIS_URL=redis-sentinel://s1:26379,s2:26379?master=m", func(c *Config) { c.RedisURL = "redis-sentinel://s1:26379,s2:26379?master=m" }},
		{"http addr", "SEATSYNC_HTTP_ADDR=127.0.0.1:9000", func(c *Config) { c.HTTPAddr = "127.0.0.1:9000" }},
		{"worker addr", "SEATSYNC_WORKER_ADDR=:0", func(c *Config) { c.WorkerAddr = ":0" }},
		{"ops token", "SEATSYNC_OPS_TOKEN=0123456789abcdef", func(c *Config) { c.OpsToken = "0123456789abcdef" }},
		{"ops read only", "SEATSYNC_OPS_READ_ONLY=false", func(c *Config) { c.OpsReadOnly = false }},
		{"max body bytes", "SEATSYNC_MAX_BODY_BYTES=67108864", func(c *Config) { c.MaxBodyBytes = 64 << 20 }},
		{"worker concurrency", "SEATSYNC_WORKER_CONCURRENCY=1000", func(c *Config) { c.WorkerConcurrency = 1000 }},
		{"task check interval", "SEATSYNC_TASK_CHECK_INTERVAL=1ms", func(c *Config) { c.TaskCheckInterval = time.Millisecond }},
		{"shutdown timeout", "SEATSYNC_SHUTDOWN_TIMEOUT=1m30s", func(c *Config) { c.ShutdownTimeout = 90 * time.Second }},
		{"sweep interval", "SEATSYNC_SWEEP_INTERVAL=5s", func(c *Config) { c.SweepInterval = 5 * time.Second }},
		{"sweep after zero", "SEATSYNC_SWEEP_AFTER=0s", func(c *Config) { c.SweepAfter = 0 }},
		{"log level", "SEATSYNC_LOG_LEVEL=WARN", func(c *Config) { c.LogLevel = slog.LevelWarn }},
		{"log level debug", "SEATSYNC_LOG_LEVEL=debug", func(c *Config) { c.LogLevel = slog.LevelDebug }},
		{"log format", "SEATSYNC_LOG_FORMAT=text", func(c *Config) { c.LogFormat = "text" }},
		{"outbound private", "SEATSYNC_OUTBOUND_ALLOW_PRIVATE_NETWORKS=1", func(c *Config) { c.OutboundAllowPrivateNetworks = true }},
		{"outbound max in flight", "SEATSYNC_OUTBOUND_MAX_IN_FLIGHT=64", func(c *Config) { c.OutboundMaxInFlight = 64 }},
		{"outbound concurrency", "SEATSYNC_OUTBOUND_CONCURRENCY=200", func(c *Config) { c.OutboundConcurrency = 200 }},
		{"outbound secret grace", "SEATSYNC_OUTBOUND_SECRET_GRACE=1h", func(c *Config) { c.OutboundSecretGrace = time.Hour }},
		{"invitation ttl", "SEATSYNC_INVITATION_TTL=48h", func(c *Config) { c.InvitationTTL = 48 * time.Hour }},
		{"api rate limit", "SEATSYNC_API_RATE_LIMIT=5", func(c *Config) { c.APIRateLimit = 5 }},
		{"api rate burst", "SEATSYNC_API_RATE_BURST=7", func(c *Config) { c.APIRateBurst = 7 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := wantDefaults()
			tt.want(want)
			if got := mustLoad(t, []string{tt.env}); !reflect.DeepEqual(got, want) {
				t.Errorf("Load(%q) = %+v\nwant %+v", tt.env, got, want)
			}
		})
	}
}

func TestLoadFirstOccurrenceWins(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, []string{"SEATSYNC_HTTP_ADDR=:1", "SEATSYNC_HTTP_ADDR=:2"})
	if c.HTTPAddr != ":1" {
		t.Errorf("HTTPAddr = %q, want %q as os.Getenv would return", c.HTTPAddr, ":1")
	}
}

func TestLoadBadValues(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  string
		want string // besides the variable name
	}{
		{"database url scheme", "SEATSYNC_DATABASE_URL=mysql://db/x", `"mysql://db/x" is not a URL with scheme postgres`},
		{"database url unparseable", "SEATSYNC_DATABASE_URL=postgres://db:port/x", "not a valid URL"},
		{"database url bad escape", "SEATSYNC_DATABASE_URL=postgres://u:pa%zzss@db/x", "not a valid URL: bad %-escape"},
		{"database url dsn", "SEATSYNC_DATABASE_URL=host=db dbname=x", "is not a URL"},
		{"redis url scheme", "SEATSYNC_REDIS_URL=http://cache", `"http://cache" is not a URL with scheme redis`},
		{"http addr no port", "SEATSYNC_HTTP_ADDR=8080", `"8080" is not host:port`},
		{"http addr named port", "SEATSYNC_HTTP_ADDR=:http", `":http" is not host:port`},
		{"worker addr port range", "SEATSYNC_WORKER_ADDR=:70000", `":70000" is not host:port`},
		{"ops token short", "SEATSYNC_OPS_TOKEN=short", "at least 16 characters"},
		{"ops token spaces", "SEATSYNC_OPS_TOKEN=0123456789abcdef ", "white space"},
		{"ops read only", "SEATSYNC_OPS_READ_ONLY=yes", `"yes" is not a boolean`},
		{"max body bytes text", "SEATSYNC_MAX_BODY_BYTES=1MB", `"1MB" is not an integer`},
		{"max body bytes zero", "SEATSYNC_MAX_BODY_BYTES=0", "0 is out of range (1..67108864)"},
		{"max body bytes huge", "SEATSYNC_MAX_BODY_BYTES=67108865", "67108865 is out of range"},
		{"worker concurrency text", "SEATSYNC_WORKER_CONCURRENCY=abc", `"abc" is not an integer`},
		{"worker concurrency zero", "SEATSYNC_WORKER_CONCURRENCY=0", "0 is out of range (1..1000)"},
		{"worker concurrency big", "SEATSYNC_WORKER_CONCURRENCY=1001", "1001 is out of range"},
		{"worker concurrency overflow", "SEATSYNC_WORKER_CONCURRENCY=99999999999999999999", "is not an integer"},
		{"task check interval unitless", "SEATSYNC_TASK_CHECK_INTERVAL=50", `"50" is not a duration`},
		{"task check interval small", "SEATSYNC_TASK_CHECK_INTERVAL=500us", "500µs is out of range (1ms..10s)"},
		{"task check interval big", "SEATSYNC_TASK_CHECK_INTERVAL=11s", "11s is out of range"},
		{"shutdown timeout zero", "SEATSYNC_SHUTDOWN_TIMEOUT=0s", "must be greater than zero"},
		{"shutdown timeout text", "SEATSYNC_SHUTDOWN_TIMEOUT=soon", `"soon" is not a duration`},
		{"sweep interval negative", "SEATSYNC_SWEEP_INTERVAL=-1s", "must be greater than zero"},
		{"sweep after negative", "SEATSYNC_SWEEP_AFTER=-1m", "must not be negative"},
		{"log level", "SEATSYNC_LOG_LEVEL=verbose", `"verbose" is not a log level`},
		{"log format", "SEATSYNC_LOG_FORMAT=xml", `"xml" is not a log format`},
		{"outbound private", "SEATSYNC_OUTBOUND_ALLOW_PRIVATE_NETWORKS=on", `"on" is not a boolean`},
		{"outbound max in flight zero", "SEATSYNC_OUTBOUND_MAX_IN_FLIGHT=0", "0 is out of range (1..1000)"},
		{"outbound max in flight big", "SEATSYNC_OUTBOUND_MAX_IN_FLIGHT=1001", "1001 is out of range (1..1000)"},
		{"outbound max in flight text", "SEATSYNC_OUTBOUND_MAX_IN_FLIGHT=four", `"four" is not an integer`},
		{"outbound concurrency zero", "SEATSYNC_OUTBOUND_CONCURRENCY=0", "0 is out of range (1..1000)"},
		{"outbound concurrency big", "SEATSYNC_OUTBOUND_CONCURRENCY=1001", "1001 is out of range (1..1000)"},
		{"outbound secret grace short", "SEATSYNC_OUTBOUND_SECRET_GRACE=30s", "30s is out of range (1m0s..720h0m0s)"},
		{"outbound secret grace long", "SEATSYNC_OUTBOUND_SECRET_GRACE=721h", "721h0m0s is out of range"},
		{"outbound secret grace unitless", "SEATSYNC_OUTBOUND_SECRET_GRACE=24", `"24" is not a duration`},
		{"unknown variable", "SEATSYNC_DATABSE_URL=postgres://db/x", "unknown variable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load([]string{tt.env})
			if err == nil {
				t.Fatalf("Load(%q) = %+v, want an error", tt.env, c)
			}
			if c != nil {
				t.Errorf("Load returned a Config alongside an error")
			}
			name, _, _ := strings.Cut(tt.env, "=")
			if msg := err.Error(); !strings.HasPrefix(msg, name+": ") || !strings.Contains(msg, tt.want) {
				t.Errorf("Load(%q) error = %q, want it to start with %q and contain %q", tt.env, msg, name+": ", tt.want)
			}
		})
	}
}

func TestLoadJoinsAllErrors(t *testing.T) {
	t.Parallel()
	_, err := Load([]string{
		"SEATSYNC_WORKER_CONCURRENCY=abc",     // parse error
		"SEATSYNC_SWEEP_INTERVAL=0s",          // Validate error
		"SEATSYNC_DATABSE_URL=postgres://db",  // unknown variable
		"SEATSYNC_SOURCE_CRM_SECRETS=whsec_x", // source without kind
	})
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	var lines []string
	for l := range strings.Lines(err.Error()) {
		lines = append(lines, strings.TrimSpace(l))
	}
	if len(lines) != 4 {
		t.Fatalf("got %d error lines, want 4:\n%v", len(lines), err)
	}
	for _, want := range []string{
		"SEATSYNC_WORKER_CONCURRENCY:", "SEATSYNC_SWEEP_INTERVAL:",
		"SEATSYNC_DATABSE_URL:", "SEATSYNC_SOURCE_CRM_SECRETS:",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
	if _, ok := err.(interface{ Unwrap() []error }); !ok {
		t.Errorf("error %T is not a joined error", err)
	}
}

func TestValidateHandBuilt(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		mutate func(*Config)
		want   []string // empty: valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"zero config", func(c *Config) { *c = Config{} }, []string{
			envDatabaseURL, envRedisURL, envHTTPAddr, envWorkerAddr, envMaxBodyBytes,
			envWorkerConcurrency, envTaskCheckInterval, envShutdownTimeout, envSweepInterval, envLogFormat,
		}},
		{"duplicate source", func(c *Config) {
			s := Source{Name: "crm", Kind: "standard", Secrets: []string{testSecret1}, Tolerance: time.Minute}
			c.Sources = []Source{s, s}
		}, []string{`source "crm": defined twice`}},
		{"upper case source name", func(c *Config) {
			c.Sources = []Source{{Name: "CRM", Kind: "standard", Secrets: []string{testSecret1}, Tolerance: time.Minute}}
		}, []string{`source "CRM": name must match`}},
		{"sub-second tolerance", func(c *Config) {
			c.Sources = []Source{{Name: "crm", Kind: "standard", Secrets: []string{testSecret1}, Tolerance: time.Millisecond}}
		}, []string{"SEATSYNC_SOURCE_CRM_TOLERANCE: 1ms is out of range (1s..1h0m0s)"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := wantDefaults()
			tt.mutate(c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate = nil, want errors")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}
