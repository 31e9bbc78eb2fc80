// Package api is the management API under /v1: JSON over HTTP,
// authenticated with API keys, with one table from storage sentinels to
// status codes and error codes.
package api

import (
	"log/slog"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
)

// API serves the management routes.
type API struct {
	db    *storage.DB
	queue *jobs.Client // resent deliveries
	// allowPrivateNetworks admits webhook endpoint URLs on loopback and
	// private addresses (SEATSYNC_OUTBOUND_ALLOW_PRIVATE_NETWORKS).
	allowPrivateNetworks bool
	log                  *slog.Logger
}

// New returns the API over db, enqueueing on queue.
func New(db *storage.DB, queue *jobs.Client, allowPrivateNetworks bool, log *slog.Logger) *API {
	return &API{db: db, queue: queue, allowPrivateNetworks: allowPrivateNetworks, log: log}
}

// Register mounts every route on r behind API key authentication.
func (a *API) Register(r gin.IRouter) {
	v1 := r.Group("/v1", a.authenticate)
	v1.GET("/customers/:customer", a.getCustomer)
	v1.GET("/customers/:customer/users/:user", a.getUser)
	v1.GET("/customers/:customer/seat-usage", a.getSeatUsage)
	v1.GET("/orders/:order", a.getOrder)
	v1.GET("/orders/:order/seats", a.listOrderSeats)

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
