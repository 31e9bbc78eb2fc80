package scim

import (
	"fmt"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// target is where a PATCH operation applies (RFC 7644 §3.5.2): an
// attribute of the resource or of an extension schema, optionally the
// elements of a multi-valued attribute that match a filter, optionally one
// sub-attribute.
type target struct {
	schema string // "" for the resource's core schema, else the extension's URN
	attr   string
	filter filter.Expression
	sub    string
}

// maxPathLength bounds a PATCH path: the parser's work grows with it.
const maxPathLength = 512

// parsePath reads a PATCH path of a resource whose core schema is core.
// The parser may fail in ways of its own on hostile input; any failure is
// an invalidPath, never a 500.
func parsePath(raw, core string) (t target, err error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxPathLength {
		return target{}, invalidPath(fmt.Sprintf("path must be 1 to %d characters", maxPathLength))
	}
	// A bare extension URN names the whole extension object.
	if isSchemaURN(raw) {
		return target{attr: canonical(raw)}, nil
	}
	defer func() {
		if r := recover(); r != nil {
			t, err = target{}, invalidPath("path is not a SCIM attribute path")
		}
	}()
	p, perr := filter.ParsePath([]byte(raw))
	if perr != nil {
		return target{}, invalidPath("path is not a SCIM attribute path: " + clip(raw))
	}
	t = target{attr: canonical(p.AttributePath.AttributeName), filter: p.ValueExpression}
	if uri := p.AttributePath.URI(); uri != "" && !strings.EqualFold(uri, core) {
		t.schema = canonical(uri)
	}
	if s := p.AttributePath.SubAttributeName(); s != "" {
		t.sub = canonical(s)
	}
	if s := p.SubAttributeName(); s != "" {
		if t.sub != "" {
			return target{}, invalidPath("path has two sub-attributes: " + clip(raw))
		}
		t.sub = canonical(s)
	}
	if t.attr == "" {
		return target{}, invalidPath("path names no attribute: " + clip(raw))
	}
	return t, nil
}

// isSchemaURN reports whether s is a schema's URN rather than an attribute
// path within one.
func isSchemaURN(s string) bool {
	for _, urn := range []string{userSchema, groupSchema, enterpriseUser} {
		if strings.EqualFold(s, urn) {
			return true
		}
	}
	return false
}

// clip shortens client text quoted in an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
