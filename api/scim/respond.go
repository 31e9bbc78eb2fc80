package scim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"
)

// contentType is what every SCIM answer is (RFC 7644 §3.1).
const contentType = "application/scim+json"

// maxBody bounds a request body: a group PUT with a thousand members fits
// many times over.
const maxBody = 1 << 20

// writeSCIM answers v as SCIM JSON.
func writeSCIM(c *gin.Context, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"schemas":["`+errorSchema+`"],"status":"500","detail":"internal error"}`)
	}
	c.Data(status, contentType, b)
}

// readObject decodes a request body holding one JSON object, numbers kept
// as written. Clients send application/scim+json or application/json; the
// body is read as JSON either way.
func readObject(c *gin.Context) (map[string]any, error) {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	dec.UseNumber()
	var doc map[string]any
	err := dec.Decode(&doc)
	if err == nil {
		if err = dec.Decode(&json.RawMessage{}); errors.Is(err, io.EOF) {
			err = nil
		} else if err == nil {
			err = errors.New("data after the JSON object")
		}
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, &scimError{http.StatusRequestEntityTooLarge, "", "the request body is over the limit of " + strconv.Itoa(maxBody) + " bytes"}
	case err != nil:
		return nil, invalidSyntax("the request body is not a JSON object: " + err.Error())
	case doc == nil:
		return nil, invalidSyntax("the request body is not a JSON object")
	}
	return doc, nil
}

// location is the absolute URL of a resource, for meta.location and the
// Location header: identity providers store it.
func location(c *gin.Context, kind, id string) string {
	return base(c) + "/" + kind + "/" + url.PathEscape(id)
}

// base is the absolute URL of the customer's service provider.
func base(c *gin.Context) string {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	if p := c.GetHeader("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + c.Request.Host + "/scim/v2/" + url.PathEscape(c.Param("customer"))
}
