package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/seatsync/seatsync/webhooks"
	"github.com/seatsync/seatsync/worker"
)

// withDeps makes a subcommand that takes no arguments and works on the
// shared connections, closed when it returns.
func withDeps(fn func(ctx context.Context, d *deps) error) func(*flag.FlagSet) func(context.Context, *environment, []string) error {
	return func(*flag.FlagSet) func(context.Context, *environment, []string) error {
		return func(ctx context.Context, env *environment, args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			d, err := connect(env)
			if err != nil {
				return err
			}
			defer d.close()
			return fn(ctx, d)
		}
	}
}

var serveCommand = withDeps(func(ctx context.Context, d *deps) error {
	sources, err := d.sources()
	if err != nil {
		return err
	}
	d.warnIfDown(ctx)
	return d.runUntilDone(ctx, d.cfg.HTTPAddr, d.mainRouter(sources), nil)
})

var workerCommand = withDeps(func(ctx context.Context, d *deps) error {
	d.warnIfDown(ctx)
	return d.runUntilDone(ctx, d.cfg.WorkerAddr, d.baseRouter(), d.newWorker())
})

var allCommand = withDeps(func(ctx context.Context, d *deps) error {
	sources, err := d.sources()
	if err != nil {
		return err
	}
	if err := d.migrate(ctx); err != nil {
		return err
	}
	return d.runUntilDone(ctx, d.cfg.HTTPAddr, d.mainRouter(sources), d.newWorker())
})

func (d *deps) newWorker() *worker.Worker {
	return worker.New(worker.Options{
		Concurrency:       d.cfg.WorkerConcurrency,
		TaskCheckInterval: d.cfg.TaskCheckInterval,
		ShutdownTimeout:   d.cfg.ShutdownTimeout,
		SweepInterval:     d.cfg.SweepInterval,
		SweepAfter:        d.cfg.SweepAfter,
		DisableAfter:      d.cfg.OutboundDisableAfter,
		Retention:         d.cfg.OutboundRetention,

		OutboundConcurrency:    d.cfg.OutboundConcurrency,
		MaxInFlightPerEndpoint: d.cfg.OutboundMaxInFlight,
	}, d.redis, d.rdb, d.db, d.queue,
		webhooks.NewSender(15*time.Second, d.cfg.OutboundAllowPrivateNetworks, d.cfg.OutboundConcurrency),
		worker.NewMetrics(d.reg), d.log)
}

// runUntilDone serves HTTP on addr, and runs w when given, until ctx ends
// or the listener fails. Shutdown goes in the order that loses nothing:
// stop intake (no new requests, in-flight ones finish), then stop the
// worker (in-flight tasks finish or return to the queue), then the caller
// closes the connections.
func (d *deps) runUntilDone(ctx context.Context, addr string, h http.Handler, w *worker.Worker) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	if w != nil {
		if err := w.Start(); err != nil {
			ln.Close()
			return err
		}
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	d.log.Info("seatsync started", "addr", ln.Addr().String(), "worker", w != nil, "config", d.cfg)

	select {
	case <-ctx.Done():
		err = nil
	case err = <-served:
		err = fmt.Errorf("http server: %w", err)
	}
	d.log.Info("shutting down", "timeout", d.cfg.ShutdownTimeout.String())
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.ShutdownTimeout)
	defer cancel()
	if serr := srv.Shutdown(stopCtx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		d.log.Warn("http shutdown", "error", serr)
	}
	if w != nil {
		w.Shutdown()
	}
	d.log.Info("stopped")
	return err
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, args)
	}
	return nil
}

func configErr(variable string, err error) error {
	return fmt.Errorf("%s: %w", variable, err)
}
