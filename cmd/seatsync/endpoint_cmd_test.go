package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/seatsync/seatsync/storage"
)

func TestEndpointCommand(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	environ := baseEnviron(s.dbURL, s.redis)
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"endpoint"}, args...), environ, &out)
		return out.String(), err
	}

	out, err := cli("create", "--url", "https://example.com/hook", "--event-type", "seat.assigned", "--event-type", "seat.revoked")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`endpoint ([0-9a-f-]{36}) .*\n\n(whsec_\S+)\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("create printed %q", out)
	}
	id, secret := m[1], m[2]
	if e, err := s.d.db.Endpoint(ctx, id); err != nil || e.Secret != secret || strings.Join(e.EventTypes, ",") != "seat.assigned,seat.revoked" {
		t.Errorf("stored endpoint %+v, %v", e, err)
	}

	if out, err := cli("list"); err != nil || !strings.Contains(out, id) || !strings.Contains(out, "seat.assigned,seat.revoked") || strings.Contains(out, secret) {
		t.Errorf("list: %v\n%s", err, out)
	}
	out, err = cli("rotate", id)
	if rotated := regexp.MustCompile(`\n(whsec_\S+)\n$`).FindStringSubmatch(out); err != nil || rotated == nil || rotated[1] == secret {
		t.Errorf("rotate: %v\n%s", err, out)
	}
	if out, err := cli("delete", id); err != nil || !strings.Contains(out, "Deleted webhook endpoint "+id) {
		t.Errorf("delete: %v\n%s", err, out)
	}
	if out, err := cli("list"); err != nil || strings.Contains(out, id) {
		t.Errorf("list after delete: %v\n%s", err, out)
	}
	if _, err := cli("delete", id); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("delete again: %v, want not found", err)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no action", nil, "create, list, rotate or delete"},
		{"create without url", []string{"create"}, "needs --url"},
		{"private url", []string{"create", "--url", "http://127.0.0.1/hook"}, "loopback"},
		{"unknown event type", []string{"create", "--url", "https://example.com/h", "--event-type", "seat.stolen"}, "unknown event type"},
		{"rotate without id", []string{"rotate"}, "rotate ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := cli(tc.args...); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a usage error containing %q", err, tc.want)
			}
		})
	}
	if _, err := cli("create", "--url", "https://example.com/h", "--customer", "nobody"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unknown customer: %v", err)
	}
}
