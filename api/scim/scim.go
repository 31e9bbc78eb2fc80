// Package scim is seatsync's SCIM 2.0 service provider (RFC 7643/7644),
// one per customer under /scim/v2/{customer}, for identity providers such
// as Okta and Microsoft Entra ID. SCIM users are seatsync users of that
// customer, and a SCIM group's members are members of the seatsync group
// named by its displayName, so automatic assignment seats them. Every write
// goes through the seat engine in one transaction, as the management API's
// do.
package scim

import (
	"context"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/api/ratelimit"
	"github.com/seatsync/seatsync/storage"
)

// Engine is what the SCIM service needs of the seat engine: the writes of
// users and group memberships, with their seat consequences.
type Engine interface {
	UpsertUser(ctx context.Context, tx *storage.Tx, in storage.UserInput, at time.Time) (bool, error)
	DeactivateUser(ctx context.Context, tx *storage.Tx, customer storage.CustomerRef, externalID string, at time.Time) (bool, error)
	ChangeUserGroup(ctx context.Context, tx *storage.Tx, customer storage.CustomerRef, userExternalID, group string, member bool, at time.Time) (bool, error)
}

// Options are the service's dependencies and settings.
type Options struct {
	DB     *storage.DB
	Engine Engine
	Redis  redis.UniversalClient // rate limits
	Log    *slog.Logger
	// RateLimit is each token's sustained requests per second, RateBurst
	// how many it may make at once.
	RateLimit, RateBurst int
}

// Handler serves the SCIM routes.
type Handler struct {
	db      *storage.DB
	engine  Engine
	limiter *ratelimit.Limiter
	log     *slog.Logger
}

// New returns the service over o.
func New(o Options) *Handler {
	return &Handler{
		db: o.DB, engine: o.Engine, log: o.Log,
		limiter: ratelimit.New(o.Redis, o.RateLimit, o.RateBurst, o.Log),
	}
}

// BasePath is where a customer's service provider lives; {customer} is the
// customer's external id.
const BasePath = "/scim/v2/:customer"

// Register mounts every route on r. All of them, discovery included, need
// the customer's SCIM token.
func (h *Handler) Register(r gin.IRouter) {
	g := r.Group(BasePath, h.logAccess, h.authenticate, h.limitRate)
	g.GET("/ServiceProviderConfig", h.serviceProviderConfig)
	g.GET("/ResourceTypes", h.resourceTypes)
	g.GET("/ResourceTypes/:name", h.resourceType)
	g.GET("/Schemas", h.schemas)
	g.GET("/Schemas/:uri", h.schema)

	g.POST("/Users", h.createUser)
	g.GET("/Users", h.listUsers)
	g.GET("/Users/:id", h.getUser)
	g.PUT("/Users/:id", h.replaceUser)
	g.PATCH("/Users/:id", h.patchUser)
	g.DELETE("/Users/:id", h.deleteUser)

	g.POST("/Groups", h.createGroup)
	g.GET("/Groups", h.listGroups)
	g.GET("/Groups/:id", h.getGroup)
	g.PUT("/Groups/:id", h.replaceGroup)
	g.PATCH("/Groups/:id", h.patchGroup)
	g.DELETE("/Groups/:id", h.deleteGroup)
}
