package api

import "github.com/gin-gonic/gin"

// Stubs owned by the automatic-assignment and inbound-events work; replaced by real handlers.

func (a *API) listEvents(c *gin.Context)       { a.fail(c, errNotImplemented) }
func (a *API) getEvent(c *gin.Context)         { a.fail(c, errNotImplemented) }
func (a *API) replayEvent(c *gin.Context)      { a.fail(c, errNotImplemented) }
