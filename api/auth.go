package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

// apiKeyContextKey holds the authenticated key for handlers and logs.
const apiKeyContextKey = "seatsync.api_key"

// authenticate admits requests that carry a live API key as a Bearer token.
func (a *API) authenticate(c *gin.Context) {
	secret, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || secret == "" {
		c.Header("WWW-Authenticate", `Bearer realm="seatsync"`)
		a.fail(c, &apiError{http.StatusUnauthorized, "missing_api_key", "send an API key as Authorization: Bearer <key>"})
		return
	}
	key, err := a.db.AuthenticateAPIKey(c.Request.Context(), secret)
	if errors.Is(err, storage.ErrNotFound) {
		c.Header("WWW-Authenticate", `Bearer realm="seatsync", error="invalid_token"`)
		a.fail(c, &apiError{http.StatusUnauthorized, "invalid_api_key", "the API key is unknown or revoked"})
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	c.Set(apiKeyContextKey, key)
	c.Next()
}
