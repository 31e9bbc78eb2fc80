package api

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestCheckIdempotencyKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []string
		ok     bool
	}{
		{"uuid", []string{"6f1c0e9a-3b1d-4e4f-9b8a-7c6d5e4f3a2b"}, true},
		{"printable punctuation and spaces", []string{"order 42: retry #1 ~!"}, true},
		{"longest", []string{strings.Repeat("k", 255)}, true},
		{"empty", []string{""}, false},
		{"too long", []string{strings.Repeat("k", 256)}, false},
		{"tab", []string{"a\tb"}, false},
		{"non-ASCII", []string{"clé"}, false},
		{"several", []string{"a", "b"}, false},
	}
	for _, tt := range tests {
		err := checkIdempotencyKey(tt.values)
		var de *detailedError
		switch {
		case tt.ok && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case !tt.ok && (!errors.As(err, &de) || de.code != "invalid_parameter" || de.details["parameter"] != IdempotencyKeyHeader):
			t.Errorf("%s: %v, want invalid_parameter naming the header", tt.name, err)
		}
	}
}

func TestRequestHashTellsRequestsApart(t *testing.T) {
	t.Parallel()
	base := requestHash("POST", "/v1/a", []byte(`{}`))
	if !bytes.Equal(base, requestHash("POST", "/v1/a", []byte(`{}`))) {
		t.Fatal("the same request hashes differently")
	}
	others := map[string][]byte{
		"method":         requestHash("PUT", "/v1/a", []byte(`{}`)),
		"path":           requestHash("POST", "/v1/b", []byte(`{}`)),
		"body":           requestHash("POST", "/v1/a", []byte(`{ }`)),
		"moved boundary": requestHash("POST", "/v1/a{", []byte(`}`)),
	}
	for name, h := range others {
		if bytes.Equal(base, h) {
			t.Errorf("another %s hashes the same", name)
		}
	}
}
