package main

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/seatsync/seatsync/api"
	"github.com/seatsync/seatsync/api/scim"
	"github.com/seatsync/seatsync/webhooks"
	"github.com/seatsync/seatsync/worker"
	"github.com/seatsync/seatsync/worker/engine"
	"github.com/seatsync/seatsync/worker/inbox"
)

// baseRouter serves what every process serves: health, readiness, metrics.
func (d *deps) baseRouter() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// Every answer carries a request id, 404s and panics included, so the
	// id goes first.
	r.Use(api.RequestID)
	r.Use(gin.CustomRecovery(func(c *gin.Context, err any) {
		d.log.ErrorContext(c.Request.Context(), "panic serving request", "method", c.Request.Method, "path", c.FullPath(), "panic", err)
		c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": gin.H{"code": "internal", "message": "internal error",
			"details": gin.H{"request_id": api.RequestIDFrom(c.Request.Context())}}})
	}))
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", d.ready)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{})))
	return r
}

// mainRouter is `serve`'s: the base routes plus the webhook receiver, the
// management API, the SCIM service providers and the operators' dashboard.
func (d *deps) mainRouter(sources []webhooks.Source) *gin.Engine {
	r := d.baseRouter()
	batcher := inbox.NewBatcher(d.db, d.reg)
	d.closers = append(d.closers, batcher.Close) // closed after the receiver's stop below, before the pool
	receiver := webhooks.NewReceiver(sources, batcher, d.queue,
		d.cfg.MaxBodyBytes, webhooks.NewMetrics(d.reg), d.log)
	// Stopped after the HTTP server, before the queue client: the events
	// acknowledged last are enqueued before the process exits.
	d.closers = append(d.closers, receiver.DeferEnqueue())
	receiver.Register(r)
	seats := engine.New()
	seats.UseScheduleQueue(worker.ScheduleQueue{Queue: d.queue}) // a PUT /v1/orders that schedules enqueues its task
	api.New(api.Options{
		DB: d.db, Queue: d.queue, Redis: d.rdb, Engine: seats, Log: d.log,
		AllowPrivateNetworks: d.cfg.OutboundAllowPrivateNetworks, SecretGrace: d.cfg.OutboundSecretGrace, InvitationTTL: d.cfg.InvitationTTL,
		RateLimit: d.cfg.APIRateLimit, RateBurst: d.cfg.APIRateBurst,
	}).Register(r)
	// SCIM tokens share the API keys' rate settings: an identity provider
	// is one more client of the same service.
	scim.New(scim.Options{
		DB: d.db, Engine: seats, Redis: d.rdb, Log: d.log,
		RateLimit: d.cfg.APIRateLimit, RateBurst: d.cfg.APIRateBurst,
	}).Register(r)
	d.mountOps(r)
	return r
}

// ready answers 200 only when both Postgres and Redis answer, so a load
// balancer sends traffic to a process that can make events durable.
func (d *deps) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	status, checks := http.StatusOK, gin.H{"postgres": "ok", "redis": "ok"}
	if err := d.db.Ping(ctx); err != nil {
		d.log.Warn("readiness: postgres", "error", err)
		status, checks["postgres"] = http.StatusServiceUnavailable, "unreachable"
	}
	if err := d.rdb.Ping(ctx).Err(); err != nil {
		d.log.Warn("readiness: redis", "error", err)
		status, checks["redis"] = http.StatusServiceUnavailable, "unreachable"
	}
	c.JSON(status, checks)
}

// sources builds a verifier for every configured source.
func (d *deps) sources() ([]webhooks.Source, error) {
	out := make([]webhooks.Source, 0, len(d.cfg.Sources))
	for _, s := range d.cfg.Sources {
		format, err := webhooks.NewKind(s.Kind, s.Secrets, s.Tolerance)
		if err != nil {
			return nil, configErr("SEATSYNC_SOURCE_"+strings.ToUpper(s.Name)+"_SECRETS", err)
		}
		out = append(out, webhooks.Source{Name: s.Name, Kind: s.Kind, Format: format})
	}
	return out, nil
}
