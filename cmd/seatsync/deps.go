package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynq/x/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/api"
	"github.com/seatsync/seatsync/config"
	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
)

// environment is what a subcommand gets from the outside world.
type environment struct {
	environ []string
	stdout  io.Writer
}

// load reads the configuration and builds the logger it asks for.
func (e *environment) load() (*config.Config, *slog.Logger, error) {
	cfg, err := config.Load(e.environ)
	if err != nil {
		return nil, nil, fmt.Errorf("configuration:\n%w", err)
	}
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewJSONHandler(e.stdout, opts)
	if cfg.LogFormat == "text" {
		h = slog.NewTextHandler(e.stdout, opts)
	}
	// Lines logged with a request's context carry its request_id.
	log := slog.New(api.WithRequestIDs(h))
	// go-redis reports connection trouble through its own package-level
	// logger; route it, once per process, into ours rather than onto bare
	// stderr.
	redisLoggerOnce.Do(func() { redis.SetLogger(redisLogger{log.With("component", "redis")}) })
	return cfg, log, nil
}

var redisLoggerOnce sync.Once

// redisLogger is go-redis's logger interface over slog.
type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, fmt.Sprintf(format, v...))
}

// deps are the connections the long-running subcommands share, built by
// hand here rather than by a framework so that the wiring reads top down.
type deps struct {
	cfg     *config.Config
	log     *slog.Logger
	db      *storage.DB
	redis   asynq.RedisConnOpt
	rdb     redis.UniversalClient // shared: readiness checks, rate limits, delivery slots
	queue   *jobs.Client
	reg     *prometheus.Registry
	closers []func() error
}

func connect(env *environment) (*deps, error) {
	cfg, log, err := env.load()
	if err != nil {
		return nil, err
	}
	db, err := storage.Open(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("SEATSYNC_DATABASE_URL: %w", err)
	}
	redisOpt, err := asynq.ParseRedisURI(cfg.RedisURL)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("SEATSYNC_REDIS_URL: %w", err)
	}
	rdb, ok := redisOpt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		db.Close()
		return nil, errors.New("SEATSYNC_REDIS_URL: unsupported redis client")
	}
	inspector := asynq.NewInspector(redisOpt)
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		metrics.NewQueueMetricsCollector(inspector),
	)
	d := &deps{cfg: cfg, log: log, db: db, redis: redisOpt, rdb: rdb, queue: jobs.NewClient(redisOpt), reg: reg}
	d.closers = append(d.closers, d.queue.Close, inspector.Close, rdb.Close, db.Close)
	return d, nil
}

// warnIfDown logs, without failing, a backend that does not answer at start:
// the receiver can still take events through the other one, and the
// connections are retried on use.
func (d *deps) warnIfDown(ctx context.Context) {
	if err := d.db.Ping(ctx); err != nil {
		d.log.Warn("postgres is not reachable yet", "error", err)
	}
	if err := d.rdb.Ping(ctx).Err(); err != nil {
		d.log.Warn("redis is not reachable yet", "error", err)
	}
}

func (d *deps) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		if err := d.closers[i](); err != nil {
			d.log.Warn("close", "error", err)
		}
	}
}
