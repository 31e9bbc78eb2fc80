package api

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// maxParamLen bounds a path parameter or query value: every one of them is
// an identifier, a cursor, a filter or a small number, and none is longer
// than an external id may be.
const maxParamLen = maxIDLen

// checkParams refuses, before any handler asks storage, a path parameter or
// query value that no stored object can carry: empty path segments, values
// over maxParamLen bytes, and text Postgres refuses (a NUL byte, invalid
// UTF-8) or that no identifier holds (control characters). Without it each
// of those reached a query and came back as a 500. It is the one check of
// the URL's values; handlers still decide what a well-formed value means.
func (a *API) checkParams(c *gin.Context) {
	for _, p := range c.Params {
		if err := checkURLValue(p.Key, p.Value, true); err != nil {
			a.fail(c, err)
			return
		}
	}
	query := c.Request.URL.Query()
	for _, key := range slices.Sorted(maps.Keys(query)) {
		if checkURLValue("query", key, false) != nil {
			a.fail(c, invalidParameter("query", fmt.Sprintf(
				"a query parameter name must be valid UTF-8 of at most %d bytes without control characters", maxParamLen)))
			return
		}
		for _, v := range query[key] {
			if err := checkURLValue(key, v, false); err != nil {
				a.fail(c, err)
				return
			}
		}
	}
	c.Next()
}

// checkURLValue checks one value of the URL, named name. A path parameter
// must not be empty; an empty query value is the handler's to judge (for
// most filters it means "no filter").
func checkURLValue(name, v string, required bool) error {
	switch {
	case v == "" && required:
		return invalidParameter(name, name+" must not be empty")
	case len(v) > maxParamLen:
		return invalidParameter(name, fmt.Sprintf("%s is %d bytes long; the limit is %d", clipped(name), len(v), maxParamLen))
	case !utf8.ValidString(v):
		return invalidParameter(name, clipped(name)+" is not valid UTF-8; percent-encode the UTF-8 bytes of the text")
	case strings.ContainsRune(v, 0):
		return invalidParameter(name, clipped(name)+" contains a NUL byte (%00), which no identifier holds")
	case strings.ContainsFunc(v, unicode.IsControl):
		return invalidParameter(name, clipped(name)+" contains control characters, which no identifier holds")
	}
	return nil
}
