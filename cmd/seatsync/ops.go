package main

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynqmon"
)

const opsQueuesPath = "/ops/queues"

// mountOps serves the Asynq dashboard behind SEATSYNC_OPS_TOKEN. Without a
// token the dashboard is off: queue contents are customer data.
func (d *deps) mountOps(r *gin.Engine) {
	if d.cfg.OpsToken == "" {
		d.log.Warn("SEATSYNC_OPS_TOKEN is not set; the dashboard at " + opsQueuesPath + " is disabled")
		r.Any("/ops/*path", func(c *gin.Context) {
			c.AbortWithStatusJSON(http.StatusNotFound, gin.H{"error": gin.H{
				"code": "ops_disabled", "message": "set SEATSYNC_OPS_TOKEN to enable the operator routes"}})
		})
		return
	}
	mon := asynqmon.New(asynqmon.Options{
		RootPath:     opsQueuesPath,
		RedisConnOpt: d.redis,
		ReadOnly:     d.cfg.OpsReadOnly,
	})
	d.closers = append(d.closers, mon.Close)
	ops := r.Group("/ops", opsAuth(d.cfg.OpsToken))
	ops.Any("/queues", gin.WrapH(mon))
	ops.Any("/queues/*path", gin.WrapH(mon))
}

// opsAuth admits the operator token as a Bearer token, or as the password
// of HTTP Basic authentication so that a browser can open the dashboard.
func opsAuth(token string) gin.HandlerFunc {
	want := []byte(token)
	return func(c *gin.Context) {
		got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok {
			_, got, ok = c.Request.BasicAuth()
		}
		if ok && subtle.ConstantTimeCompare([]byte(got), want) == 1 {
			c.Next()
			return
		}
		c.Header("WWW-Authenticate", `Basic realm="seatsync ops"`)
		c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": gin.H{
			"code": "unauthorized", "message": "send the operator token (SEATSYNC_OPS_TOKEN) as a Bearer token or Basic password"}})
	}
}
