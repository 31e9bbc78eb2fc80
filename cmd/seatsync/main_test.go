package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// workerProcessVar makes the test binary run `seatsync worker` instead of
// the tests, so that tests can start real worker processes without a
// separate build.
const workerProcessVar = "SEATSYNC_TEST_WORKER_PROCESS"

// serveProcessVar does the same for `seatsync serve`.
const serveProcessVar = "SEATSYNC_TEST_SERVE_PROCESS"

// cliProcessVar makes the test binary be the seatsync command itself, with
// its command-line arguments, so that shell scripts can run `seatsync`.
const cliProcessVar = "SEATSYNC_TEST_CLI_PROCESS"

func TestMain(m *testing.M) {
	for v, command := range map[string]string{workerProcessVar: "worker", serveProcessVar: "serve"} {
		if os.Getenv(v) != "1" {
			continue
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, []string{command}, os.Environ(), os.Stdout)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, command+" process:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv(cliProcessVar) == "1" {
		main() // the whole CLI, for scripts the tests run (readme_test.go)
		os.Exit(0)
	}
	os.Exit(m.Run())
}
