package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// apiClient is a stack with an API key, for tests of the management API.
type apiClient struct {
	*stack
	key http.Header
}

func newAPIClient(t *testing.T, extra ...string) *apiClient {
	t.Helper()
	s := newStack(t, extra...)
	_, secret, err := s.d.db.CreateAPIKey(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{stack: s, key: bearer(secret)}
}

// call sends a JSON request with the API key ("" body: none).
func (e *apiClient) call(method, path, body string) answer {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.http.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header = e.key.Clone()
	req.Header.Set("Content-Type", "application/json")
	return e.do(req)
}

// must calls and fails the test unless the answer has status want.
func (e *apiClient) must(want int, method, path, body string) map[string]any {
	e.t.Helper()
	a := e.call(method, path, body)
	if a.status != want {
		e.t.Fatalf("%s %s: %d %v, want %d", method, path, a.status, a.body, want)
	}
	return a.body
}

func listData(body map[string]any) []map[string]any {
	var out []map[string]any
	for _, d := range body["data"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

func listPagination(body map[string]any) (hasMore bool, next any) {
	p := body["meta"].(map[string]any)["pagination"].(map[string]any)
	return p["has_more"].(bool), p["next"]
}
