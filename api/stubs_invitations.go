package api

import "github.com/gin-gonic/gin"

// Stubs owned by the invitations work; replaced by real handlers.

func (a *API) invite(c *gin.Context)           { a.fail(c, errNotImplemented) }
func (a *API) resendInvitation(c *gin.Context) { a.fail(c, errNotImplemented) }
func (a *API) revokeInvitation(c *gin.Context) { a.fail(c, errNotImplemented) }
func (a *API) getClaim(c *gin.Context)         { a.fail(c, errNotImplemented) }
func (a *API) claim(c *gin.Context)            { a.fail(c, errNotImplemented) }
