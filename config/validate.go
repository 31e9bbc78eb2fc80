package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	// maxMaxBodyBytes caps what a receiver buffers per request; webhook
	// payloads are kilobytes, and the receiver reads the body into memory.
	maxMaxBodyBytes = 64 << 20
	minOpsTokenLen  = 16
)

// problems lists everything wrong with c, in a stable order. Load appends
// these to its parse errors; the fields a parse error was about still hold
// their defaults, so no problem is reported twice.
func (c *Config) problems() []error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(checkURL(envDatabaseURL, c.DatabaseURL, "postgres", "postgresql"))
	add(checkURL(envRedisURL, c.RedisURL, "redis", "rediss", "redis-socket", "redis-sentinel"))
	add(checkAddr(envHTTPAddr, c.HTTPAddr))
	add(checkAddr(envWorkerAddr, c.WorkerAddr))
	add(checkOpsToken(c.OpsToken))
	add(inRange(envMaxBodyBytes, c.MaxBodyBytes, 1, maxMaxBodyBytes))
	add(inRange(envWorkerConcurrency, c.WorkerConcurrency, 1, 1000))
	add(inRange(envTaskCheckInterval, c.TaskCheckInterval, time.Millisecond, 10*time.Second))
	add(positive(envShutdownTimeout, c.ShutdownTimeout))
	add(positive(envSweepInterval, c.SweepInterval))
	add(positive(envOutboundDisableAfter, c.OutboundDisableAfter))
	add(positive(envOutboundRetention, c.OutboundRetention))
	add(inRange(envOutboundMaxInFlight, c.OutboundMaxInFlight, 1, 1000))
	add(inRange(envOutboundConcurrency, c.OutboundConcurrency, 1, 1000))
	add(inRange(envOutboundSecretGrace, c.OutboundSecretGrace, time.Minute, 30*24*time.Hour))
	add(inRange(envInvitationTTL, c.InvitationTTL, time.Minute, 365*24*time.Hour))
	add(inRange(envAPIRateLimit, c.APIRateLimit, 1, 100000))
	add(inRange(envAPIRateBurst, c.APIRateBurst, 1, 100000))
	if c.SweepAfter < 0 {
		add(fmt.Errorf("%s: %v must not be negative", envSweepAfter, c.SweepAfter))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		add(fmt.Errorf("%s: %q is not a log format (json or text)", envLogFormat, c.LogFormat))
	}

	seen := make(map[string]bool, len(c.Sources))
	for _, s := range c.Sources {
		if seen[s.Name] {
			add(fmt.Errorf("source %q: defined twice", s.Name))
			continue
		}
		seen[s.Name] = true
		errs = append(errs, s.problems()...)
	}
	return errs
}

// checkURL quotes the URL only with its password masked, and not at all when
// it does not parse, since then nobody can tell where the password is.
func checkURL(name, raw string, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err // drop the quoted URL
		}
		if _, ok := errors.AsType[url.EscapeError](err); ok {
			err = errors.New("bad %-escape") // it quotes the bytes, maybe of the password
		}
		return fmt.Errorf("%s: not a valid URL: %w", name, err)
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return nil
		}
	}
	return fmt.Errorf("%s: %q is not a URL with scheme %s", name, redactURL(raw), strings.Join(schemes, ", "))
}

func checkAddr(name, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		// A numeric port only: service names depend on /etc/services.
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		return fmt.Errorf("%s: %q is not host:port (e.g. :8080 or 127.0.0.1:8080)", name, addr)
	}
	return nil
}

func checkOpsToken(token string) error {
	switch {
	case token == "":
		return nil // /ops is disabled
	case utf8.RuneCountInString(token) < minOpsTokenLen:
		return fmt.Errorf("%s: must be at least %d characters", envOpsToken, minOpsTokenLen)
	case strings.TrimSpace(token) != token:
		// Almost always a copy-paste accident, and no client would send it.
		return fmt.Errorf("%s: must not begin or end with white space", envOpsToken)
	}
	return nil
}

func inRange[T int | int64 | time.Duration](name string, v, lo, hi T) error {
	if v < lo || v > hi {
		return fmt.Errorf("%s: %v is out of range (%v..%v)", name, v, lo, hi)
	}
	return nil
}

func positive(name string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s: %v must be greater than zero", name, d)
	}
	return nil
}
