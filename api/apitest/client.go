package apitest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Bearer is the Authorization header of an API key.
func Bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// NewRequest is a JSON request to url with the headers of key ("" body:
// none).
func NewRequest(t testing.TB, method, url string, key http.Header, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = key.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

// Send sends req, checks the answer against the OpenAPI document (when it
// is the management API's) and returns its status, headers and body
// decoded as a JSON object (nil when it is not one).
func Send(t testing.TB, req *http.Request) (status int, header http.Header, body map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	CheckOpenAPI(t, req, resp, raw)
	_ = json.Unmarshal(raw, &body)
	return resp.StatusCode, resp.Header, body
}

// Must sends req and fails the test unless the answer has status want;
// it returns the answer's body.
func Must(t testing.TB, want int, req *http.Request) map[string]any {
	t.Helper()
	status, _, body := Send(t, req)
	if status != want {
		t.Fatalf("%s %s: %d %v, want %d", req.Method, req.URL.RequestURI(), status, body, want)
	}
	return body
}

// ErrorCode is an error answer's code ("" when body is no error).
func ErrorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// ListData is the items of a list answer.
func ListData(body map[string]any) []map[string]any {
	var out []map[string]any
	for _, d := range body["data"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

// ListPagination is a list answer's pagination.
func ListPagination(body map[string]any) (hasMore bool, next any) {
	p := body["meta"].(map[string]any)["pagination"].(map[string]any)
	return p["has_more"].(bool), p["next"]
}
