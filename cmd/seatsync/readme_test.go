package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/storage/storagetest"
)

// readmeDemoSecret is the demo source's secret, as the Makefile and the
// README's walk-through write it.
const readmeDemoSecret = "whsec_mANtUpDGtvie+p/uWsP/YKWBIpejf9Ri"

// TestREADMEWalkthroughRuns runs the README's walk-through, the shell blocks
// between <!-- walkthrough:begin --> and <!-- walkthrough:end -->, in order
// and in one bash, as a reader would in a fresh shell: against a real
// `seatsync all` on a free port, with `seatsync` on the PATH. Every command
// must succeed (set -e, curl --fail-with-body), so the documentation cannot
// drift from what the service does.
func TestREADMEWalkthroughRuns(t *testing.T) {
	script := walkthrough(t)
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the walk-through needs %s: %v", tool, err)
		}
	}
	addr := freeAddr(t)
	dbURL := storagetest.NewURL(t)
	redis := jobstest.New(t)
	environ := []string{
		"SEATSYNC_DATABASE_URL=" + dbURL,
		"SEATSYNC_REDIS_URL=" + jobstest.URL(redis),
		"SEATSYNC_HTTP_ADDR=" + addr,
		"SEATSYNC_LOG_LEVEL=warn",
		"SEATSYNC_SHUTDOWN_TIMEOUT=5s",
	}

	// The server has the demo source that `make run` configures.
	ctx, cancel := context.WithCancel(context.Background())
	serverLog := &lockedWriter{w: &bytes.Buffer{}}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"all"}, append(environ,
			"SEATSYNC_SOURCE_DEMO_KIND=standard", "SEATSYNC_SOURCE_DEMO_SECRETS="+readmeDemoSecret), serverLog)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("seatsync all: %v", err)
		}
	})
	waitReady(t, "http://"+addr+"/readyz", done)

	// `seatsync` is this test binary, run as the command (TestMain).
	bin := t.TempDir()
	wrapper := fmt.Sprintf("#!/bin/sh\n%s=1 exec %q \"$@\"\n", cliProcessVar, os.Args[0])
	if err := os.WriteFile(filepath.Join(bin, "seatsync"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	// A fresh shell: only what a reader's shell has, plus where the
	// server is. Not the demo source: the walk-through sets it itself.
	cmd := exec.Command("bash", "-c", "set -euo pipefail\ntrap 'echo \"walk-through failed at: $BASH_COMMAND\" >&2' ERR\n"+script)
	cmd.Dir = t.TempDir()
	cmd.Env = append(environ, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+t.TempDir(), "URL=http://"+addr)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README walk-through fails: %v\n%s\n--- server log:\n%s", err, out, serverLog.String())
	}
	// Spot checks that the commands did what the README says they do.
	for _, want := range []string{`"external_id":"acme"`, `"user_external_id":"u_7"`, `"status":"enqueued"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the walk-through's output has no %s:\n%s", want, out)
		}
	}
}

// walkthrough extracts the README's walk-through blocks, in order.
func walkthrough(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	rest := string(readme)
	blocks := 0
	for {
		_, after, ok := strings.Cut(rest, "<!-- walkthrough:begin -->")
		if !ok {
			break
		}
		section, tail, ok := strings.Cut(after, "<!-- walkthrough:end -->")
		if !ok {
			t.Fatal("README.md: a walkthrough:begin without its walkthrough:end")
		}
		for {
			_, code, ok := strings.Cut(section, "```sh\n")
			if !ok {
				break
			}
			body, more, ok := strings.Cut(code, "```")
			if !ok {
				t.Fatal("README.md: an unterminated sh block in the walk-through")
			}
			script.WriteString(body)
			section = more
			blocks++
		}
		rest = tail
	}
	if blocks < 2 {
		t.Fatalf("README.md has %d walk-through blocks; want the Management API's and the one that sends an event", blocks)
	}
	return script.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitReady polls url until it answers 200, or the server stops.
func waitReady(t *testing.T, url string, done chan error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err // for the cleanup that waits for it
			t.Fatalf("seatsync all stopped before it was ready: %v", err)
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200", url)
}

// lockedWriter lets the server's goroutines log while the test reads.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
