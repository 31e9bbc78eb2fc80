package storage

import (
	"database/sql/driver"
	"errors"
	"net"
	"syscall"
	"testing"

	"github.com/lib/pq"
)

// TestTranslateUnavailable: the failures of a Postgres that cannot be
// reached, or is going away, are ErrUnavailable, which the API answers 503;
// rule violations keep their own sentinels.
func TestTranslateUnavailable(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"connection refused", refused, ErrUnavailable},
		{"bad connection", driver.ErrBadConn, ErrUnavailable},
		{"admin shutdown", &pq.Error{Code: "57P01"}, ErrUnavailable},
		{"cannot connect now", &pq.Error{Code: "57P03"}, ErrUnavailable},
		{"connection failure", &pq.Error{Code: "08006"}, ErrUnavailable},
		{"too many connections", &pq.Error{Code: "53300"}, ErrUnavailable},
		{"unique violation", &pq.Error{Code: "23505"}, ErrConflict},
		{"syntax error", &pq.Error{Code: "42601"}, nil},
	}
	for _, tt := range tests {
		got := translate(tt.err)
		if tt.want == nil {
			if errors.Is(got, ErrUnavailable) || errors.Is(got, ErrConflict) || errors.Is(got, ErrNotFound) {
				t.Errorf("%s: translate() = %v, want no sentinel", tt.name, got)
			}
			continue
		}
		if !errors.Is(got, tt.want) {
			t.Errorf("%s: translate() = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !errors.Is(translate(refused), syscall.ECONNREFUSED) {
		t.Error("the cause is lost")
	}
}
