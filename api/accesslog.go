package api

import (
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

// logAccess writes one line per management API request once it is
// answered: the route pattern rather than the path, so that lines group by
// route and no id in a path (an invitation token) reaches the log; the key's
// id, never the key; never a body. The request_id comes with the context.
func (a *API) logAccess(c *gin.Context) {
	start := time.Now()
	c.Next()
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method),
		slog.String("route", c.FullPath()),
		slog.Int("status", c.Writer.Status()),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
	}
	if key, ok := c.Get(apiKeyContextKey); ok {
		attrs = append(attrs, slog.String("api_key_id", key.(storage.APIKey).ID))
	}
	a.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "api request", attrs...)
}
