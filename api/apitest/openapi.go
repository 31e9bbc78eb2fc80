// Package apitest holds what the tests of the management API share, in the
// api package and in the binary's end-to-end tests: a client that checks
// every answer against the OpenAPI document the API serves.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/seatsync/seatsync/api"
)

// The document is loaded once per test binary: every answer of every test
// is checked against it, and loading it for each would dominate the run.
var openAPIRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIDocument())
	if err != nil {
		return nil, err
	}
	return legacy.NewRouter(doc) // validates the document too
})

// isManagementAPI tells the management API's paths from the webhook
// receiver's, which the document does not describe.
func isManagementAPI(path string) bool {
	return strings.HasPrefix(path, "/v1/") && !strings.HasPrefix(path, "/v1/webhooks/")
}

// CheckOpenAPI fails the test unless the answer to req is one the OpenAPI
// document allows: a documented status, documented headers and a body that
// matches the status's schema, with no field the schema does not declare.
// It is called for every request the tests send, so that the document
// cannot drift from what the handlers answer. Errorf rather than Fatalf:
// answers arrive on goroutines of concurrency tests too, and the test is
// worth finishing to see every mismatch at once.
func CheckOpenAPI(t testing.TB, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	if !isManagementAPI(req.URL.Path) {
		return
	}
	fail := func(reason string) {
		t.Helper()
		t.Errorf("%s %s answered %d, which the OpenAPI document does not allow: %s\nbody: %s",
			req.Method, req.URL.RequestURI(), resp.StatusCode, strings.TrimSpace(reason), clip(body))
	}
	router, err := openAPIRouter()
	if err != nil {
		t.Errorf("the OpenAPI document does not load: %v", err)
		return
	}
	// The document's server is "/": find the operation by the path alone.
	req = req.Clone(context.Background())
	req.URL.Scheme, req.URL.Host = "", ""
	route, params, err := router.FindRoute(req)
	if err != nil {
		// TestOpenAPIDocumentMatchesRoutes holds the document's operations
		// and the server's routes one to one, so a request that matches no
		// operation matches no route either, and gin's own 404 (or 405) is
		// the right answer to it. Any other answer is one to explain.
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			fail("no documented operation: " + err.Error())
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		fail(err.Error())
		return
	}
	documented := route.Operation.Responses.Status(resp.StatusCode).Value
	if len(documented.Content) == 0 {
		if len(body) > 0 {
			fail("the document describes no body for this status")
		}
		return
	}
	media := documented.Content.Get(resp.Header.Get("Content-Type"))
	if media == nil || media.Schema == nil {
		return // ValidateResponse has already refused an undocumented type
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		fail("the body is not JSON: " + err.Error())
		return
	}
	if extra := undocumentedFields(media.Schema.Value, v, "$"); len(extra) > 0 {
		fail("fields the schema does not declare: " + strings.Join(extra, ", "))
	}
	// Clients branch on codes, so each status lists the codes it carries,
	// and a rejected batch's description the codes of its entries.
	if desc := documented.Description; desc != nil {
		_, listed, _ := strings.Cut(*desc, "Codes:")
		code, entries := answeredCodes(v)
		if code != "" && !strings.Contains(listed, "`"+code+"`") {
			fail(fmt.Sprintf("code %s is not among this status's codes in the document (%q)", code, *desc))
		}
		for _, c := range entries {
			if !strings.Contains(*desc, "`"+c+"`") {
				fail(fmt.Sprintf("entry code %s is not in this status's description (%q)", c, *desc))
			}
		}
	}
}

// answeredCodes returns an error answer's code, and the codes of the
// entries it details (a rejected batch's).
func answeredCodes(v any) (code string, entries []string) {
	body, _ := v.(map[string]any)
	e, _ := body["error"].(map[string]any)
	code, _ = e["code"].(string)
	details, _ := e["details"].(map[string]any)
	list, _ := details["entries"].([]any)
	for _, entry := range list {
		if m, _ := entry.(map[string]any); m != nil {
			if c, ok := m["code"].(string); ok {
				entries = append(entries, c)
			}
		}
	}
	return code, entries
}

// undocumentedFields lists, once each, the fields of v that its schema
// does not declare. JSON Schema admits fields a schema does not name, and
// the document does not close its answers with additionalProperties: false,
// so that a field can be added without breaking clients that validate; the
// tests hold the handlers to the document more strictly than that, so that
// no field goes undocumented. Array indexes are written [] so that a field
// undocumented in every item of a list is reported once.
func undocumentedFields(s *openapi3.Schema, v any, at string) []string {
	found := map[string]bool{}
	walkUndocumented(schemaParts(s), v, at, found)
	out := make([]string, 0, len(found))
	for f := range found {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// walkUndocumented walks v with every schema it must match at once: a
// field declared by one part of an allOf is declared for the whole.
func walkUndocumented(parts []*openapi3.Schema, v any, at string, found map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for name, fv := range v {
			var sub []*openapi3.Schema
			open := false
			for _, p := range parts {
				if ps := p.Properties[name]; ps != nil {
					sub = append(sub, schemaParts(ps.Value)...)
				}
				// A map (additionalProperties) is open by design.
				if ap := p.AdditionalProperties; ap.Schema != nil || (ap.Has != nil && *ap.Has) {
					open = true
				}
			}
			switch {
			case len(sub) > 0:
				walkUndocumented(sub, fv, at+"."+name, found)
			case !open && describesFields(parts):
				found[at+"."+name] = true
			}
		}
	case []any:
		var items []*openapi3.Schema
		for _, p := range parts {
			if p.Items != nil {
				items = append(items, schemaParts(p.Items.Value)...)
			}
		}
		for _, item := range v {
			walkUndocumented(items, item, at+"[]", found)
		}
	}
}

// schemaParts flattens s and the schemas it is composed of.
func schemaParts(s *openapi3.Schema) []*openapi3.Schema {
	if s == nil {
		return nil
	}
	out := []*openapi3.Schema{s}
	for _, refs := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, r := range refs {
			out = append(out, schemaParts(r.Value)...)
		}
	}
	return out
}

// describesFields reports whether any part names fields; an object schema
// that names none (such as the document itself, or a provider's payload)
// is not checked field by field.
func describesFields(parts []*openapi3.Schema) bool {
	for _, p := range parts {
		if len(p.Properties) > 0 {
			return true
		}
	}
	return false
}

// clip bounds a body quoted in a failure.
func clip(b []byte) string {
	const limit = 2000
	if len(b) <= limit {
		return string(b)
	}
	return string(b[:limit]) + "…"
}
