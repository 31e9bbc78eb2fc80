// Package api is the management API under /v1: JSON over HTTP,
// authenticated with API keys, with one table from storage and engine
// sentinels to status codes and error codes. Every write goes through the
// seat engine, in one transaction, so a change made here follows the same
// rules and emits the same events as one that arrives as a webhook.
package api

import (
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/api/ratelimit"
	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/webhooks"
	"github.com/seatsync/seatsync/worker/engine"
)

// Options are the API's dependencies and settings.
type Options struct {
	DB     *storage.DB
	Queue  *jobs.Client          // resent deliveries, replayed events
	Redis  redis.UniversalClient // rate limits
	Engine *engine.Engine
	Log    *slog.Logger
	// AllowPrivateNetworks admits webhook endpoint URLs on loopback and
	// private addresses (SEATSYNC_OUTBOUND_ALLOW_PRIVATE_NETWORKS).
	AllowPrivateNetworks bool
	// SecretGrace is how long a rotated-out endpoint secret keeps signing
	// (SEATSYNC_OUTBOUND_SECRET_GRACE); zero means webhooks.DefaultSecretGrace.
	SecretGrace time.Duration
	// InvitationTTL is how long an invitation can be claimed.
	InvitationTTL time.Duration
	// RateLimit is each API key's sustained requests per second, RateBurst
	// how many it may make at once.
	RateLimit, RateBurst int
}

// API serves the management routes.
type API struct {
	db                   *storage.DB
	queue                *jobs.Client
	redis                redis.UniversalClient
	engine               *engine.Engine
	log                  *slog.Logger
	allowPrivateNetworks bool
	secretGrace          time.Duration
	invitationTTL        time.Duration
	rateLimit, rateBurst int
	limiter              *ratelimit.Limiter
	now                  func() time.Time
}

// New returns the API over o.
func New(o Options) *API {
	if o.SecretGrace <= 0 {
		o.SecretGrace = webhooks.DefaultSecretGrace
	}
	return &API{
		db: o.DB, queue: o.Queue, redis: o.Redis, engine: o.Engine, log: o.Log,
		allowPrivateNetworks: o.AllowPrivateNetworks, secretGrace: o.SecretGrace, invitationTTL: o.InvitationTTL,
		rateLimit: o.RateLimit, rateBurst: o.RateBurst, now: time.Now,
		limiter: ratelimit.New(o.Redis, o.RateLimit, o.RateBurst, o.Log),
	}
}

// Register mounts every route on r. Claims can be read without a key, so
// that the product's invitation page can show one; everything else needs
// an API key and counts against its rate limit. checkParams runs before
// any handler, so a value of the URL that storage cannot hold is a 400
// naming the parameter and never reaches a query.
func (a *API) Register(r gin.IRouter) {
	public := r.Group("/v1", a.logAccess, a.checkParams)
	public.GET("/openapi.json", a.getOpenAPI)
	public.GET("/claims/:token", a.getClaim)

	v1 := r.Group("/v1", a.logAccess, a.authenticate, a.limitRate, a.checkParams, a.idempotent)
	v1.GET("/customers", a.listCustomers)
	v1.GET("/customers/:customer", a.getCustomer)
	v1.PUT("/customers/:customer", a.putCustomer)
	v1.GET("/customers/:customer/users", a.listUsers)
	v1.GET("/customers/:customer/users/:user", a.getUser)
	v1.PUT("/customers/:customer/users/:user", a.putUser)
	v1.GET("/customers/:customer/seat-usage", a.getSeatUsage)
	v1.GET("/customers/:customer/auto-assign", a.listAutoAssign)
	v1.PUT("/customers/:customer/auto-assign/:product", a.putAutoAssign)
	v1.DELETE("/customers/:customer/auto-assign/:product", a.deleteAutoAssign)
	v1.POST("/customers/:customer/seats/add", a.addSeat)
	v1.POST("/customers/:customer/seats/remove", a.removeSeat)
	v1.POST("/customers/:customer/scim-tokens", a.createSCIMToken)
	v1.GET("/customers/:customer/scim-tokens", a.listSCIMTokens)
	v1.DELETE("/customers/:customer/scim-tokens/:id", a.revokeSCIMToken)

	v1.GET("/orders/:order", a.getOrder)
	v1.PUT("/orders/:order", a.putOrder)
	v1.POST("/orders/:order/cancel", a.cancelOrder)
	v1.GET("/orders/:order/seats", a.listOrderSeats)
	v1.GET("/orders/:order/seats/:seat", a.getSeat)
	v1.PUT("/orders/:order/seats/:seat", a.putSeat)
	v1.POST("/orders/:order/seat-assignments", a.batchAssign)
	v1.PUT("/orders/:order/pending-removals", a.putPendingRemovals)

	v1.POST("/orders/:order/seats/:seat/invite", a.invite)
	v1.POST("/orders/:order/seats/:seat/invite/resend", a.resendInvitation)
	v1.DELETE("/orders/:order/seats/:seat/invite", a.revokeInvitation)
	v1.POST("/claims/:token", a.claim)

	v1.GET("/events", a.listEvents)
	v1.GET("/events/:event", a.getEvent)
	v1.POST("/events/:event/replay", a.replayEvent)

	v1.POST("/webhook-endpoints", a.createEndpoint)
	v1.GET("/webhook-endpoints", a.listEndpoints)
	v1.GET("/webhook-endpoints/:endpoint", a.getEndpoint)
	v1.PATCH("/webhook-endpoints/:endpoint", a.updateEndpoint)
	v1.DELETE("/webhook-endpoints/:endpoint", a.deleteEndpoint)
	v1.POST("/webhook-endpoints/:endpoint/rotate-secret", a.rotateEndpointSecret)
	v1.POST("/webhook-endpoints/:endpoint/resend", a.resendFailed)
	v1.GET("/webhook-endpoints/:endpoint/deliveries", a.listDeliveries)
	v1.GET("/messages/:message/deliveries", a.listMessageDeliveries)
	v1.GET("/webhook-endpoints/:endpoint/deliveries/:delivery/attempts", a.listAttempts)
	v1.POST("/webhook-endpoints/:endpoint/deliveries/:delivery/resend", a.resendDelivery)
}
