package scim

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

// Schema URNs of the messages this service speaks.
const (
	errorSchema    = "urn:ietf:params:scim:api:messages:2.0:Error"
	listSchema     = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	patchOpSchema  = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	userSchema     = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupSchema    = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

// scimError is an error answered as a SCIM Error message (RFC 7644 §3.12).
type scimError struct {
	status   int
	scimType string // "" for statuses that have none (404, 401, 413, 429)
	detail   string
}

func (e *scimError) Error() string { return e.detail }

func invalidFilter(detail string) error {
	return &scimError{http.StatusBadRequest, "invalidFilter", detail}
}
func invalidValue(detail string) error {
	return &scimError{http.StatusBadRequest, "invalidValue", detail}
}
func invalidSyntax(detail string) error {
	return &scimError{http.StatusBadRequest, "invalidSyntax", detail}
}
func invalidPath(detail string) error {
	return &scimError{http.StatusBadRequest, "invalidPath", detail}
}
func noTarget(detail string) error { return &scimError{http.StatusBadRequest, "noTarget", detail} }
func uniqueness(detail string) error {
	return &scimError{http.StatusConflict, "uniqueness", detail}
}
func notFound(detail string) error { return &scimError{http.StatusNotFound, "", detail} }

// fail answers err as a SCIM error. Storage's sentinels are translated
// here, once; anything else is unexpected, logged once and answered 500
// without its internals.
func (h *Handler) fail(c *gin.Context, err error) {
	var se *scimError
	switch {
	case errors.As(err, &se):
	case errors.Is(err, storage.ErrNotFound):
		se = &scimError{http.StatusNotFound, "", "resource not found"}
	case errors.Is(err, storage.ErrConflict):
		se = &scimError{http.StatusConflict, "uniqueness", "a resource with this unique attribute already exists"}
	default:
		h.log.ErrorContext(c.Request.Context(), "scim request failed", "method", c.Request.Method, "route", c.FullPath(), "error", err)
		se = &scimError{http.StatusInternalServerError, "", "internal error"}
	}
	body := gin.H{"schemas": []string{errorSchema}, "status": strconv.Itoa(se.status), "detail": se.detail}
	if se.scimType != "" {
		body["scimType"] = se.scimType
	}
	writeSCIM(c, se.status, body)
	c.Abort()
}
