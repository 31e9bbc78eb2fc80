package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seatsync/seatsync/api/apitest"
	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

func TestHelp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, nil, &out); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range commands() {
		if !strings.Contains(out.String(), cmd.name) {
			t.Errorf("seatsync --help does not list %s", cmd.name)
		}
		var sub bytes.Buffer
		if err := run(context.Background(), []string{cmd.name, "--help"}, nil, &sub); err != nil {
			t.Errorf("seatsync %s --help: %v", cmd.name, err)
		}
		if !strings.Contains(sub.String(), "Usage: seatsync "+cmd.name) {
			t.Errorf("seatsync %s --help printed %q", cmd.name, sub.String())
		}
	}
}

func TestCommandLineMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    string
	}{
		{"no subcommand", nil, nil, "a subcommand is required"},
		{"unknown subcommand", []string{"frobnicate"}, nil, `unknown subcommand "frobnicate"`},
		{"unknown flag", []string{"serve", "--nope"}, nil, "flag provided but not defined"},
		{"stray argument", []string{"worker", "extra"}, nil, "unexpected arguments"},
		{"apikey without action", []string{"apikey"}, nil, "create, list or revoke"},
		{"send without flags", []string{"send"}, nil, "send needs --source"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := run(context.Background(), tc.args, tc.environ, &bytes.Buffer{})
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a usage error containing %q", err, tc.want)
			}
		})
	}
}

func TestBadConfigurationStopsStartup(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"serve", "worker", "all", "migrate"} {
		err := run(context.Background(), []string{cmd}, []string{
			"SEATSYNC_WORKER_CONCURRENCY=lots",
			"SEATSYNC_SOURCE_CRM_KIND=standard",
			"SEATSYNC_SOURCE_CRM_SECRETS=not-a-whsec-secret",
		}, &bytes.Buffer{})
		if err == nil {
			t.Fatalf("%s started with a bad configuration", cmd)
		}
		for _, variable := range []string{"SEATSYNC_WORKER_CONCURRENCY", "SEATSYNC_SOURCE_CRM_SECRETS"} {
			if !strings.Contains(err.Error(), variable) {
				t.Errorf("%s: error %q does not name %s", cmd, err, variable)
			}
		}
		if strings.Contains(err.Error(), "not-a-whsec-secret") {
			t.Errorf("%s: error %q repeats the secret", cmd, err)
		}
	}
}

// syncBuffer is a log sink the test reads while seatsync writes to it.
type syncBuffer = apitest.LogBuffer

// TestAllOnAFreshDatabase runs `seatsync all` as a user would: it creates
// and migrates the database, takes an event through to Postgres, and shuts
// down cleanly when its context ends.
func TestAllOnAFreshDatabase(t *testing.T) {
	t.Parallel()
	redis := jobstest.New(t)
	dbURL := storagetest.NewEmptyURL(t)
	environ := override(baseEnviron(dbURL, redis), []string{"SEATSYNC_HTTP_ADDR=127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"all"}, environ, &logs) }()

	addr := waitForLog(t, &logs, regexp.MustCompile(`"msg":"seatsync started","addr":"([^"]+)"`))
	e := userEvent("evt_all", time.Now())
	body := e.body()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/webhooks/crm", bytes.NewReader(body))
	req.Header = signed(t, secretNew, e.id, time.Now(), body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", resp.StatusCode)
	}
	db, err := storage.Open(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ev, err := db.InboxEventByID(ctx, "crm", e.id)
		if err == nil && ev.Status == storage.InboxApplied {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("event not applied: %+v, %v", ev, err)
		}
		time.Sleep(10 * time.Millisecond)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("seatsync all: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("seatsync all did not stop")
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Error("no clean stop in the log")
	}
}

func waitForLog(t *testing.T, logs *syncBuffer, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			return m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s in the log:\n%s", re, logs.String())
	return ""
}
