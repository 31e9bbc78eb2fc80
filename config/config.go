// Package config turns the process environment, plus an optional dotenv-style
// file, into one validated Config.
//
// Everything seatsync needs at start-up is read here and nowhere else, so that
// a bad deployment fails before any connection is opened, with one message per
// problem naming the variable at fault. Only cmd imports this package; the
// packages it wires receive plain values, never a Config.
package config

import (
	"errors"
	"log/slog"
	"time"
)

// Names of the variables, kept together so that the parser, the validator and
// the unknown-variable check cannot drift apart.
const (
	envPrefix     = "SEATSYNC_"
	envTestPrefix = "SEATSYNC_TEST_" // test-harness knobs, never ours to reject
	envConfigFile = "SEATSYNC_CONFIG_FILE"

	envDatabaseURL          = "SEATSYNC_DATABASE_URL"
	envRedisURL             = "SEATSYNC_REDIS_URL"
	envHTTPAddr             = "SEATSYNC_HTTP_ADDR"
	envWorkerAddr           = "SEATSYNC_WORKER_ADDR"
	envOpsToken             = "SEATSYNC_OPS_TOKEN"
	envOpsReadOnly          = "SEATSYNC_OPS_READ_ONLY"
	envMaxBodyBytes         = "SEATSYNC_MAX_BODY_BYTES"
	envWorkerConcurrency    = "SEATSYNC_WORKER_CONCURRENCY"
	envTaskCheckInterval    = "SEATSYNC_TASK_CHECK_INTERVAL"
	envShutdownTimeout      = "SEATSYNC_SHUTDOWN_TIMEOUT"
	envSweepInterval        = "SEATSYNC_SWEEP_INTERVAL"
	envSweepAfter           = "SEATSYNC_SWEEP_AFTER"
	envLogLevel             = "SEATSYNC_LOG_LEVEL"
	envLogFormat            = "SEATSYNC_LOG_FORMAT"
	envOutboundAllowPrivate = "SEATSYNC_OUTBOUND_ALLOW_PRIVATE_NETWORKS"
	envOutboundDisableAfter = "SEATSYNC_OUTBOUND_DISABLE_AFTER"
	envOutboundRetention    = "SEATSYNC_OUTBOUND_RETENTION"
	envOutboundMaxInFlight  = "SEATSYNC_OUTBOUND_MAX_IN_FLIGHT"
	envOutboundConcurrency  = "SEATSYNC_OUTBOUND_CONCURRENCY"
	envOutboundSecretGrace  = "SEATSYNC_OUTBOUND_SECRET_GRACE"
	envInvitationTTL        = "SEATSYNC_INVITATION_TTL"
	envAPIRateLimit         = "SEATSYNC_API_RATE_LIMIT"
	envAPIRateBurst         = "SEATSYNC_API_RATE_BURST"
)

// Config is the whole start-up configuration. Build it with Load; a Config
// built by hand should pass Validate before use.
type Config struct {
	DatabaseURL       string        // SEATSYNC_DATABASE_URL
	RedisURL          string        // SEATSYNC_REDIS_URL
	HTTPAddr          string        // SEATSYNC_HTTP_ADDR
	WorkerAddr        string        // SEATSYNC_WORKER_ADDR: health and metrics of a standalone worker
	OpsToken          string        // SEATSYNC_OPS_TOKEN; empty disables /ops
	OpsReadOnly       bool          // SEATSYNC_OPS_READ_ONLY: asynqmon cannot delete or retry tasks
	MaxBodyBytes      int64         // SEATSYNC_MAX_BODY_BYTES
	WorkerConcurrency int           // SEATSYNC_WORKER_CONCURRENCY
	TaskCheckInterval time.Duration // SEATSYNC_TASK_CHECK_INTERVAL: how often an idle worker polls Redis
	ShutdownTimeout   time.Duration // SEATSYNC_SHUTDOWN_TIMEOUT
	SweepInterval     time.Duration // SEATSYNC_SWEEP_INTERVAL
	SweepAfter        time.Duration // SEATSYNC_SWEEP_AFTER: age at which an unapplied inbox event is re-enqueued
	LogLevel          slog.Level    // SEATSYNC_LOG_LEVEL
	LogFormat         string        // SEATSYNC_LOG_FORMAT: "json" or "text"

	// OutboundAllowPrivateNetworks (SEATSYNC_OUTBOUND_ALLOW_PRIVATE_NETWORKS)
	// lets subscriber endpoints resolve to loopback or private addresses; off
	// by default because it turns outbound webhooks into an SSRF vector.
	OutboundAllowPrivateNetworks bool
	// OutboundDisableAfter (SEATSYNC_OUTBOUND_DISABLE_AFTER, default 120h)
	// disables an endpoint that has failed every delivery for that long.
	OutboundDisableAfter time.Duration
	// OutboundRetention (SEATSYNC_OUTBOUND_RETENTION, default 720h) is how
	// long outbound message bodies are kept for resending.
	OutboundRetention time.Duration
	// OutboundMaxInFlight (SEATSYNC_OUTBOUND_MAX_IN_FLIGHT, default 4, 1..1000)
	// bounds the deliveries in flight to any one endpoint across every
	// worker, so that a slow or dead endpoint holds at most that many
	// worker slots. Raise it for a few fast subscribers with much traffic.
	OutboundMaxInFlight int
	// OutboundConcurrency (SEATSYNC_OUTBOUND_CONCURRENCY, default 20,
	// 1..1000) is how many deliveries a worker process makes at once, on
	// goroutines apart from WorkerConcurrency's inbound ones: a hanging
	// endpoint holds at most OutboundMaxInFlight of them.
	OutboundConcurrency int
	// OutboundSecretGrace (SEATSYNC_OUTBOUND_SECRET_GRACE, default 24h,
	// 1m..720h) is how long a rotated-out endpoint secret keeps signing.
	OutboundSecretGrace time.Duration

	// InvitationTTL (SEATSYNC_INVITATION_TTL, default 168h) is how long an
	// invitation token can be claimed.
	InvitationTTL time.Duration
	// APIRateLimit (SEATSYNC_API_RATE_LIMIT, default 20) is how many
	// management API requests per second each API key may make on average,
	// with bursts of up to APIRateBurst (SEATSYNC_API_RATE_BURST, default 100).
	APIRateLimit int
	APIRateBurst int

	Sources []Source // sorted by Name
}

// Source is one inbound webhook provider, served at /v1/webhooks/<Name>.
type Source struct {
	Name      string        // lower case, from SEATSYNC_SOURCE_<NAME>_KIND
	Kind      string        // signature scheme; only "standard" for now
	Secrets   []string      // several, so a secret can be rotated without downtime
	Tolerance time.Duration // accepted clock skew of the signed timestamp; 0 means the kind's own default
}

func defaults() *Config {
	return &Config{
		DatabaseURL:          "postgres://postgres@127.0.0.1:5432/seatsync?sslmode=disable",
		RedisURL:             "redis://127.0.0.1:6379/0",
		HTTPAddr:             ":8080",
		WorkerAddr:           ":8081",
		OpsReadOnly:          true,
		MaxBodyBytes:         1 << 20,
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

// Load builds a Config from environ, given in the "KEY=value" form of
// os.Environ. It takes the whole list rather than a lookup function because
// sources are named by the variables themselves and must be enumerated, and
// because rejecting unknown SEATSYNC_ variables needs to see all of them.
//
// A variable set to the empty string counts as unset, since compose files and
// templates render missing values that way. If SEATSYNC_CONFIG_FILE names a
// dotenv-style file, its values fill in whatever the environment leaves unset.
//
// On failure Load returns every problem at once, joined with errors.Join, so
// an operator fixes a deployment in one round trip instead of one per restart.
func Load(environ []string) (*Config, error) {
	env, err := readEnv(environ)
	if err != nil {
		// Without the file every later message could be a false alarm.
		return nil, err
	}
	keys := sortedKeys(env)

	c := defaults()
	errs := c.parseScalars(env)
	var sourceErrs []error
	c.Sources, sourceErrs = parseSources(env, keys)
	errs = append(errs, sourceErrs...)
	errs = append(errs, unknownVars(keys)...)
	errs = append(errs, c.problems()...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate reports every problem with c, joined with errors.Join, or nil.
func (c *Config) Validate() error {
	return errors.Join(c.problems()...)
}

// Source returns the source served at /v1/webhooks/<name>. The match is
// exact: names are lower case, and a differently cased path is a different URL.
func (c *Config) Source(name string) (Source, bool) {
	for _, s := range c.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}
