package api_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
)

// apiRoutes lists the management API's routes as the server really has
// them, as "METHOD /path" with gin's :params: every route under /v1 but the
// webhook receiver's.
func apiRoutes(t *testing.T, s *apiTest) []gin.RouteInfo {
	t.Helper()
	var out []gin.RouteInfo
	for _, r := range s.engine.Routes() {
		if strings.HasPrefix(r.Path, "/v1/") && !strings.HasPrefix(r.Path, "/v1/webhooks/") {
			out = append(out, r)
		}
	}
	if len(out) < 30 {
		t.Fatalf("only %d management API routes: %v", len(out), out)
	}
	return out
}

var ginParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// loadOpenAPI fetches the served document and validates it.
func loadOpenAPI(t *testing.T, s *apiTest) *openapi3.T {
	t.Helper()
	resp, err := http.Get(s.http.URL + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /v1/openapi.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("the OpenAPI document does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	return doc
}

func TestOpenAPIDocumentMatchesRoutes(t *testing.T) {
	t.Parallel()
	s := newAPITest(t)
	doc := loadOpenAPI(t, s)

	var routes []string
	for _, r := range apiRoutes(t, s) {
		routes = append(routes, r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}"))
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	for _, r := range routes {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in the OpenAPI document", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("the OpenAPI document has %s, which the server does not serve", d)
		}
	}
}

// TestOpenAPIDocumentsTheCommonAnswers checks what every operation must
// say, so that an operation added by hand does not forget it.
func TestOpenAPIDocumentsTheCommonAnswers(t *testing.T) {
	t.Parallel()
	s := newAPITest(t)
	doc := loadOpenAPI(t, s)
	public := []string{"GET /v1/openapi.json", "GET /v1/claims/{token}"}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			isPublic := slices.Contains(public, name)
			if isPublic != (op.Security != nil && len(*op.Security) == 0) {
				t.Errorf("%s: public=%v but security=%v", name, isPublic, op.Security)
			}
			if op.Responses.Value("500") == nil {
				t.Errorf("%s: no 500 answer", name)
			}
			for status, r := range op.Responses.Map() {
				if r.Value.Headers["X-Request-Id"] == nil {
					t.Errorf("%s %s: no X-Request-Id header", name, status)
				}
			}
			for _, p := range ginParam.FindAllStringSubmatch(strings.NewReplacer("{", ":", "}", "").Replace(path), -1) {
				if op.Parameters.GetByInAndName("path", p[1]) == nil {
					t.Errorf("%s: path parameter %s is not described", name, p[1])
				}
			}
			if isPublic {
				continue
			}
			if op.Responses.Value("401") == nil {
				t.Errorf("%s: no 401 answer", name)
			}
			if r := op.Responses.Value("429"); r == nil || r.Value.Headers["Retry-After"] == nil {
				t.Errorf("%s: no 429 answer with Retry-After", name)
			}
			if method == http.MethodPost && op.Parameters.GetByInAndName("header", "Idempotency-Key") == nil {
				t.Errorf("%s: no Idempotency-Key header", name)
			}
		}
	}
}
