package scim

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

// tokenContextKey holds the authenticated SCIM token for handlers and logs.
const tokenContextKey = "seatsync.scim_token"

// authenticate admits requests carrying a live SCIM token of the customer
// the URL names. A token of another customer is answered exactly like an
// unknown one, so that a token cannot even tell which customers exist.
func (h *Handler) authenticate(c *gin.Context) {
	header := c.GetHeader("Authorization")
	scheme, secret, _ := strings.Cut(header, " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || secret == "" {
		c.Header("WWW-Authenticate", `Bearer realm="seatsync scim"`)
		h.fail(c, &scimError{http.StatusUnauthorized, "", "send the customer's SCIM token as Authorization: Bearer <token>"})
		return
	}
	tok, err := h.db.AuthenticateSCIMToken(c.Request.Context(), secret)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && tok.CustomerExternalID != c.Param("customer")) {
		c.Header("WWW-Authenticate", `Bearer realm="seatsync scim", error="invalid_token"`)
		h.fail(c, &scimError{http.StatusUnauthorized, "", "the SCIM token is unknown, revoked, or not this customer's"})
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Set(tokenContextKey, tok)
	c.Next()
}

// token is the request's authenticated token.
func token(c *gin.Context) storage.SCIMToken {
	return c.MustGet(tokenContextKey).(storage.SCIMToken)
}

// customerRef names the token's customer to the engine.
func customerRef(c *gin.Context) storage.CustomerRef {
	return storage.CustomerRef{ExternalID: token(c).CustomerExternalID}
}

// limitRate admits each token's requests at the configured rate (see
// package ratelimit); 429 with Retry-After beyond it.
func (h *Handler) limitRate(c *gin.Context) {
	d := h.limiter.Allow(c.Request.Context(), "scim_token:"+token(c).ID)
	if !d.Checked {
		c.Next()
		return
	}
	c.Header("RateLimit-Limit", strconv.Itoa(d.Limit))
	c.Header("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	if !d.Allowed {
		c.Header("Retry-After", strconv.Itoa(d.RetryAfter))
		h.fail(c, &scimError{http.StatusTooManyRequests, "", "too many requests with this SCIM token; retry in " + strconv.Itoa(d.RetryAfter) + " s"})
		return
	}
	c.Next()
}

// logAccess writes one line per request once it is answered: the route
// pattern, never the path's ids or the body; the token's id, never the
// token.
func (h *Handler) logAccess(c *gin.Context) {
	start := time.Now()
	c.Next()
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method),
		slog.String("route", c.FullPath()),
		slog.Int("status", c.Writer.Status()),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
	}
	if v, ok := c.Get(tokenContextKey); ok {
		tok := v.(storage.SCIMToken)
		attrs = append(attrs, slog.String("scim_token_id", tok.ID), slog.String("customer", tok.CustomerExternalID))
	}
	h.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "scim request", attrs...)
}
