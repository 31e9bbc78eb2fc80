package config

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// readEnv turns environ into a map and merges the optional config file under
// it. Empty values are dropped so that "set but empty" means "unset" both in
// the environment and in the file.
func readEnv(environ []string) (map[string]string, error) {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			continue
		}
		// The first occurrence wins, as it does for os.Getenv.
		if _, dup := env[k]; !dup {
			env[k] = v
		}
	}

	path := env[envConfigFile]
	if path == "" {
		return env, nil
	}
	file, err := godotenv.Read(path)
	if err != nil {
		if _, ok := errors.AsType[*fs.PathError](err); ok {
			return nil, fmt.Errorf("%s: %w", envConfigFile, err)
		}
		// The parser quotes the offending text, which may be a secret.
		return nil, fmt.Errorf("%s: %q is not a valid dotenv file (details withheld: they may quote secrets)", envConfigFile, path)
	}
	for k, v := range file {
		if _, set := env[k]; !set && v != "" {
			env[k] = v
		}
	}
	return env, nil
}

func sortedKeys(env map[string]string) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// scalarVars pairs each plain variable with a parser writing into c. Ranges are
// checked later by Validate, so that a hand-built Config gets the same checks.
func (c *Config) scalarVars() []struct {
	name  string
	parse func(string) error
} {
	return []struct {
		name  string
		parse func(string) error
	}{
		{envDatabaseURL, setString(&c.DatabaseURL)},
		{envRedisURL, setString(&c.RedisURL)},
		{envHTTPAddr, setString(&c.HTTPAddr)},
		{envWorkerAddr, setString(&c.WorkerAddr)},
		{envOpsToken, setString(&c.OpsToken)},
		{envOpsReadOnly, setBool(&c.OpsReadOnly)},
		{envMaxBodyBytes, setInt(&c.MaxBodyBytes)},
		{envWorkerConcurrency, setInt(&c.WorkerConcurrency)},
		{envTaskCheckInterval, setDuration(&c.TaskCheckInterval)},
		{envShutdownTimeout, setDuration(&c.ShutdownTimeout)},
		{envSweepInterval, setDuration(&c.SweepInterval)},
		{envSweepAfter, setDuration(&c.SweepAfter)},
		{envLogLevel, setLevel(&c.LogLevel)},
		{envLogFormat, setLower(&c.LogFormat)},
		{envOutboundAllowPrivate, setBool(&c.OutboundAllowPrivateNetworks)},
		{envOutboundDisableAfter, setDuration(&c.OutboundDisableAfter)},
		{envOutboundRetention, setDuration(&c.OutboundRetention)},
		{envOutboundMaxInFlight, setInt(&c.OutboundMaxInFlight)},
		{envOutboundConcurrency, setInt(&c.OutboundConcurrency)},
		{envOutboundSecretGrace, setDuration(&c.OutboundSecretGrace)},
		{envInvitationTTL, setDuration(&c.InvitationTTL)},
		{envAPIRateLimit, setInt(&c.APIRateLimit)},
		{envAPIRateBurst, setInt(&c.APIRateBurst)},
	}
}

func (c *Config) parseScalars(env map[string]string) []error {
	var errs []error
	for _, v := range c.scalarVars() {
		raw, ok := env[v.name]
		if !ok {
			continue
		}
		if err := v.parse(raw); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", v.name, err))
		}
	}
	return errs
}

// unknownVars rejects SEATSYNC_ variables nobody reads: a misspelt name would
// otherwise silently leave its default in place.
func unknownVars(keys []string) []error {
	known := map[string]bool{envConfigFile: true}
	for _, v := range (&Config{}).scalarVars() {
		known[v.name] = true
	}
	var errs []error
	for _, k := range keys {
		switch {
		case !strings.HasPrefix(k, envPrefix), known[k],
			strings.HasPrefix(k, envTestPrefix),
			strings.HasPrefix(k, sourcePrefix): // parseSources judges these
			continue
		}
		errs = append(errs, fmt.Errorf("%s: unknown variable", k))
	}
	return errs
}

func setString(dst *string) func(string) error {
	return func(s string) error { *dst = s; return nil }
}

func setLower(dst *string) func(string) error {
	return func(s string) error { *dst = strings.ToLower(s); return nil }
}

func setBool(dst *bool) func(string) error {
	return func(s string) error {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a boolean (use true or false)", s)
		}
		*dst = b
		return nil
	}
}

func setInt[T int | int64](dst *T) func(string) error {
	return func(s string) error {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || int64(T(n)) != n {
			return fmt.Errorf("%q is not an integer", s)
		}
		*dst = T(n)
		return nil
	}
}

func setDuration(dst *time.Duration) func(string) error {
	return func(s string) error {
		d, err := parseDuration(s)
		if err != nil {
			return err
		}
		*dst = d
		return nil
	}
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. 500ms, 30s, 5m)", s)
	}
	return d, nil
}

func setLevel(dst *slog.Level) func(string) error {
	return func(s string) error {
		switch strings.ToLower(s) {
		case "debug":
			*dst = slog.LevelDebug
		case "info":
			*dst = slog.LevelInfo
		case "warn":
			*dst = slog.LevelWarn
		case "error":
			*dst = slog.LevelError
		default:
			return fmt.Errorf("%q is not a log level (debug, info, warn or error)", s)
		}
		return nil
	}
}
