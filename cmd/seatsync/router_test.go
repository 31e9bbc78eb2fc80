package main

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/seatsync/seatsync/api"
)

// TestRequestIDOutsideTheAPI: the binary's router gives a request id to
// the answers of its own routes too, not only to the API's (whose request
// ids the api package tests), because api.RequestID goes first.
func TestRequestIDOutsideTheAPI(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	generated := regexp.MustCompile(`^[0-9a-f]{32}$`)
	a := s.get("/healthz", nil)
	if id := a.header.Get(api.RequestIDHeader); a.status != http.StatusOK || !generated.MatchString(id) {
		t.Errorf("health: status %d, X-Request-Id %q", a.status, id)
	}
}
