package config

import (
	"log/slog"
	"net/url"
	"strings"
	"time"
)

const redacted = "[redacted]"

// LogValue lets the configuration be logged at start-up, which operators need
// to see what a process is running with, without leaking credentials: the ops
// token shows only whether it is set, sources show how many secrets they hold,
// and URL passwords are masked.
func (c *Config) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("<nil>")
	}
	token := ""
	if c.OpsToken != "" {
		token = redacted
	}
	sources := make([]slog.Attr, 0, len(c.Sources))
	for _, s := range c.Sources {
		sources = append(sources, slog.GroupAttrs(s.Name,
			slog.String("kind", s.Kind),
			slog.Int("secrets", len(s.Secrets)),
			slog.String("tolerance", toleranceString(s.Tolerance)),
		))
	}
	return slog.GroupValue(
		slog.String("database_url", redactURL(c.DatabaseURL)),
		slog.String("redis_url", redactURL(c.RedisURL)),
		slog.String("http_addr", c.HTTPAddr),
		slog.String("worker_addr", c.WorkerAddr),
		slog.String("ops_token", token),
		slog.Bool("ops_read_only", c.OpsReadOnly),
		slog.Int64("max_body_bytes", c.MaxBodyBytes),
		slog.Int("worker_concurrency", c.WorkerConcurrency),
		slog.String("task_check_interval", c.TaskCheckInterval.String()),
		slog.String("shutdown_timeout", c.ShutdownTimeout.String()),
		slog.String("sweep_interval", c.SweepInterval.String()),
		slog.String("sweep_after", c.SweepAfter.String()),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("log_format", c.LogFormat),
		slog.Bool("outbound_allow_private_networks", c.OutboundAllowPrivateNetworks),
		slog.String("outbound_disable_after", c.OutboundDisableAfter.String()),
		slog.String("outbound_retention", c.OutboundRetention.String()),
		slog.Int("outbound_max_in_flight", c.OutboundMaxInFlight),
		slog.Int("outbound_concurrency", c.OutboundConcurrency),
		slog.String("outbound_secret_grace", c.OutboundSecretGrace.String()),
		slog.String("invitation_ttl", c.InvitationTTL.String()),
		slog.Int("api_rate_limit", c.APIRateLimit),
		slog.Int("api_rate_burst", c.APIRateBurst),
		slog.GroupAttrs("sources", sources...),
	)
}

// redactURL masks the userinfo password and any password-like query
// parameter (lib/pq accepts ?password= and ?sslpassword=).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redacted // unparseable: the password could be anywhere
	}
	q := u.Query()
	masked := false
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			q[k] = []string{"xxxxx"}
			masked = true
		}
	}
	if masked {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

func toleranceString(d time.Duration) string {
	if d == 0 {
		return "kind default"
	}
	return d.String()
}
