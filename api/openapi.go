package api

import (
	"bytes"
	_ "embed" // the OpenAPI document
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIDocument describes every route of Register. It is a file of its
// own, not generated from the handlers, so that it reads and diffs as the
// contract it is; a test fails when a route is missing from it.
//
//go:embed openapi.json
var openAPIDocument []byte

// getOpenAPI serves the OpenAPI 3 document. It is public, like API docs.
func (a *API) getOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openAPIDocument)
}

// OpenAPIDocument returns a copy of the document served at
// /v1/openapi.json, so that tests can check answers against it without a
// request of their own, and without being able to change what is served.
func OpenAPIDocument() []byte {
	return bytes.Clone(openAPIDocument)
}
