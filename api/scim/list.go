package scim

import (
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// Pagination (RFC 7644 §3.4.2.4): startIndex is 1-based, count defaults
// to and is capped at maxResults, as ServiceProviderConfig says.
const maxResults = 200

// page is a list request's window.
type page struct {
	startIndex, count int
}

// parsePage reads startIndex and count; values below the minimum are
// raised to it, as the RFC says, and non-numbers are invalidValue.
func parsePage(c *gin.Context) (page, error) {
	p := page{startIndex: 1, count: maxResults}
	for _, q := range []struct {
		name string
		dst  *int
		min  int
	}{{"startIndex", &p.startIndex, 1}, {"count", &p.count, 0}} {
		raw, ok := queryParam(c, q.name)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return page{}, invalidValue(q.name + " must be an integer")
		}
		*q.dst = max(n, q.min)
	}
	p.count = min(p.count, maxResults)
	return p, nil
}

// queryParam reads a query parameter whose name is case-insensitive, as
// SCIM's are (Okta sends startIndex, some clients StartIndex).
func queryParam(c *gin.Context, name string) (string, bool) {
	for k, v := range c.Request.URL.Query() {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

// listResponse is a ListResponse message; zero matches is an empty list,
// not an error.
func listResponse(p page, total int, resources []any) gin.H {
	if resources == nil {
		resources = []any{}
	}
	return gin.H{
		"schemas":      []string{listSchema},
		"totalResults": total,
		"startIndex":   p.startIndex,
		"itemsPerPage": len(resources),
		"Resources":    resources,
	}
}

// excludesMembers reports excludedAttributes=members (Entra reads groups
// so, to keep large groups cheap), or attributes naming others only.
func excludesMembers(c *gin.Context) bool {
	if raw, ok := queryParam(c, "excludedAttributes"); ok && namesAttribute(raw, "members") {
		return true
	}
	if raw, ok := queryParam(c, "attributes"); ok && strings.TrimSpace(raw) != "" && !namesAttribute(raw, "members") {
		return true
	}
	return false
}

func namesAttribute(list, name string) bool {
	for _, a := range strings.Split(list, ",") {
		a = strings.TrimSpace(a)
		if strings.EqualFold(a, name) || strings.EqualFold(a, groupSchema+":"+name) {
			return true
		}
	}
	return false
}
