package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/webhooks"
)

// The receive floor: what the receiver costs on this machine before it
// makes anything durable. `loadgen -serve-floor ADDR` serves seatsync's
// own receiver handler (body limit, signature check, parsing to canonical
// events, metrics, receipt) under gin, over an inbox that answers every
// event as recorded before, so that nothing reaches Postgres or Redis.
// .ci/perf loads it exactly as it loads `seatsync serve`; what separates
// the two figures is the inbox write and the enqueue that every event
// needs, and the work around them.

// knownInbox is the floor's inbox: every event is a redelivery, which the
// receiver answers without enqueueing it.
type knownInbox struct{}

func (knownInbox) Record(context.Context, jobs.ApplyEvent) (bool, error) { return false, nil }

// floorMaxBody is seatsync's default SEATSYNC_MAX_BODY_BYTES.
const floorMaxBody = 1 << 20

// serveFloor serves the floor receiver on addr until ctx ends.
func serveFloor(ctx context.Context, addr, secret string) error {
	if host, _, err := net.SplitHostPort(addr); err != nil || !loopback(host) {
		return errors.New("-serve-floor must be a loopback address: this tool only loads the local machine")
	}
	h, err := floorHandler(secret)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// floorHandler is the floor receiver for source "demo" (kind standard,
// signed with secret).
func floorHandler(secret string) (http.Handler, error) {
	format, err := webhooks.NewKind("standard", []string{secret}, 0)
	if err != nil {
		return nil, fmt.Errorf("-secret: %w", err)
	}
	receiver := webhooks.NewReceiver([]webhooks.Source{{Name: "demo", Kind: "standard", Format: format}},
		knownInbox{}, nil, floorMaxBody, webhooks.NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler))
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	receiver.Register(r)
	return r, nil
}
