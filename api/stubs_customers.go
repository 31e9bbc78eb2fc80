package api

import "github.com/gin-gonic/gin"

// Stubs owned by the customers/users/orders/seats work; replaced by real handlers.

func (a *API) listCustomers(c *gin.Context) { a.fail(c, errNotImplemented) }
func (a *API) putCustomer(c *gin.Context)   { a.fail(c, errNotImplemented) }
func (a *API) listUsers(c *gin.Context)     { a.fail(c, errNotImplemented) }
func (a *API) putUser(c *gin.Context)       { a.fail(c, errNotImplemented) }
func (a *API) putOrder(c *gin.Context)      { a.fail(c, errNotImplemented) }
func (a *API) cancelOrder(c *gin.Context)   { a.fail(c, errNotImplemented) }
func (a *API) getSeat(c *gin.Context)       { a.fail(c, errNotImplemented) }
func (a *API) putSeat(c *gin.Context)       { a.fail(c, errNotImplemented) }
func (a *API) batchAssign(c *gin.Context)   { a.fail(c, errNotImplemented) }
