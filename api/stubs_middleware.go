package api

import "github.com/gin-gonic/gin"

// Stubs owned by the middleware work (request ids, rate limits,
// idempotency keys) and the OpenAPI document; replaced by real ones.

func (a *API) getOpenAPI(c *gin.Context) { a.fail(c, errNotImplemented) }
