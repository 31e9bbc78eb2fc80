package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/webhooks"
)

// maxBody bounds a management API request body.
const maxBody = 64 << 10

// readJSON decodes a request body of at most maxBody bytes holding one JSON
// object into v, with errors every write route answers the same way.
// Unknown fields are refused, so that a misspelt field of an update is an
// error and not a silent no-op.
func readJSON(c *gin.Context, v any) error { return readJSONUpTo(c, v, maxBody) }

// readJSONUpTo is readJSON with a limit of the route's own, for the few
// bodies that are long lists by design. Every error is one sentence naming
// the field as the caller wrote it; encoding/json's own text, which names Go
// types, never reaches the answer.
func readJSONUpTo(c *gin.Context, v any, limit int64) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	var tooLarge *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge):
		return &apiError{http.StatusRequestEntityTooLarge, "body_too_large",
			fmt.Sprintf("the request body is over the limit of %d bytes", limit)}
	case errors.As(err, &netErr) && netErr.Timeout():
		return &apiError{http.StatusRequestTimeout, "request_timeout",
			"the request body did not arrive in time; send the request again"}
	case err != nil:
		return &apiError{http.StatusBadRequest, "malformed_json", "the request body could not be read; send the request again"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		// One value only: anything after it but white space is malformed.
		if err = dec.Decode(&json.RawMessage{}); errors.Is(err, io.EOF) {
			return nil
		} else if err == nil {
			return &apiError{http.StatusBadRequest, "malformed_json", "the request body holds more than one JSON value; send exactly one object"}
		}
	}
	// A field of the wrong type or name is the caller's parameter at
	// fault; anything else is a body that is not one JSON object.
	field, message := webhooks.DescribeJSONError(body, v, err, "")
	if field != "" {
		return invalidParameter(field, message)
	}
	return &apiError{http.StatusBadRequest, "malformed_json", message}
}

// upsertStatus is a PUT's answer status: 201 when it created the object.
func upsertStatus(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}
