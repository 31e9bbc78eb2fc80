package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"
)

// maxBody bounds a management API request body.
const maxBody = 64 << 10

// readJSON decodes a request body of at most maxBody bytes holding one JSON
// object into v, with errors every write route answers the same way.
// Unknown fields are refused, so that a misspelt field of an update is an
// error and not a silent no-op.
func readJSON(c *gin.Context, v any) error { return readJSONUpTo(c, v, maxBody) }

// readJSONUpTo is readJSON with a limit of the route's own, for the few
// bodies that are long lists by design.
func readJSONUpTo(c *gin.Context, v any, limit int64) error {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		// One value only: anything after it but white space is malformed.
		if err = dec.Decode(&json.RawMessage{}); errors.Is(err, io.EOF) {
			return nil
		} else if err == nil {
			err = errors.New("data after the JSON object")
		}
	}
	var tooLarge *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return &apiError{http.StatusRequestEntityTooLarge, "body_too_large",
			fmt.Sprintf("the request body is over the limit of %d bytes", limit)}
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return invalidParameter(typeErr.Field, fmt.Sprintf("%s: want a JSON %s, not a %s",
			typeErr.Field, jsonKind(typeErr.Type.Kind()), typeErr.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalidParameter(field, fmt.Sprintf("unknown field %q", field))
	}
	return &apiError{http.StatusBadRequest, "malformed_json", "the request body is not a JSON object: " + err.Error()}
}

// jsonKind names a Go kind as JSON does.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return "number"
}

// upsertStatus is a PUT's answer status: 201 when it created the object.
func upsertStatus(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}
