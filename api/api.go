// Package api is the management API under /v1: JSON over HTTP,
// authenticated with API keys, with one table from storage sentinels to
// status codes and error codes.
package api

import (
	"log/slog"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

// API serves the management routes.
type API struct {
	db  *storage.DB
	log *slog.Logger
}

// New returns the API over db.
func New(db *storage.DB, log *slog.Logger) *API {
	return &API{db: db, log: log}
}

// Register mounts every route on r behind API key authentication.
func (a *API) Register(r gin.IRouter) {
	v1 := r.Group("/v1", a.authenticate)
	v1.GET("/customers/:customer", a.getCustomer)
	v1.GET("/customers/:customer/users/:user", a.getUser)
	v1.GET("/customers/:customer/seat-usage", a.getSeatUsage)
	v1.GET("/orders/:order", a.getOrder)
	v1.GET("/orders/:order/seats", a.listOrderSeats)
}
