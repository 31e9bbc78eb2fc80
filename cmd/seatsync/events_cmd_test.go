package main

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seatsync/seatsync/api/apitest"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/inbox"
)

// TestEventsCommand drives `seatsync events` as an operator would: list the
// failures, replay one before and after fixing its cause, by inbox id and by
// source and event id.
func TestEventsCommand(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.startWorker()
	ctx := context.Background()
	environ := baseEnviron(s.dbURL, s.redis)
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"events"}, args...), environ, &out)
		return out.String(), err
	}
	failed := apitest.FailingAssignment(t, s.sendAndWait, time.Now().Add(-time.Minute))
	id := inboxID(failed)

	out, err := cli("list", "--status", "failed")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); err != nil || len(lines) != 2 ||
		!strings.HasPrefix(lines[1], id+" ") || !strings.Contains(lines[1], "evt_assign_dead") || !strings.Contains(lines[1], "deactivated") {
		t.Errorf("list --status failed: %v\n%s", err, out)
	}
	if out, err := cli("list", "--limit", "2"); err != nil || strings.Count(strings.TrimSpace(out), "\n") != 2 || !strings.Contains(out, "evt_assign_dead") {
		t.Errorf("list --limit 2: %v\n%s", err, out)
	}

	// Replayed before the cause is fixed: it fails again.
	if out, err := cli("replay", id); err != nil || !strings.Contains(out, "Replayed event "+id) || !strings.Contains(out, "replay 1") {
		t.Fatalf("replay: %v\n%s", err, out)
	}
	if got := s.waitProcessed("crm", failed.EventID); got.Status != storage.InboxFailed {
		t.Fatalf("after the first replay: %s", got.Status)
	}
	apitest.Revive(t, s.sendAndWait, "evt_revive")
	if out, err := cli("replay", "--source", "crm", "--event-id", "evt_assign_dead"); err != nil || !strings.Contains(out, "replay 2") {
		t.Fatalf("replay by event id: %v\n%s", err, out)
	}
	if got := s.waitProcessed("crm", failed.EventID); got.Status != storage.InboxApplied {
		t.Fatalf("after the second replay: %s %s", got.Status, got.Error)
	}

	// An applied event is not replayed; the others named with it are.
	stale := s.sendAndWait("evt_stale", "user.upserted", time.Now().Add(-time.Hour),
		`{"customer_external_id":"acme","external_id":"u1","email":"old@acme.test"}`)
	out, err = cli("replay", id, inboxID(stale))
	if !errors.Is(err, inbox.ErrNotReplayable) || !strings.Contains(out, "Event "+id+" not replayed") ||
		!strings.Contains(out, "Replayed event "+inboxID(stale)) {
		t.Errorf("replay of an applied and a stale event: %v\n%s", err, out)
	}
	if got := s.waitProcessed("crm", stale.EventID); got.Replays != 1 {
		t.Errorf("stale event: %d replays", got.Replays)
	}
	if _, err := cli("replay", "--source", "crm", "--event-id", "evt_nope"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("replay of an unknown event: %v", err)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no action", nil, "list or replay"},
		{"replay without ids", []string{"replay"}, "replay ID"},
		{"replay of a non-id", []string{"replay", "evt_1"}, "not an event id"},
		{"event id without source", []string{"replay", "--event-id", "evt_1"}, "needs --source"},
		{"event id and ids", []string{"replay", "--source", "crm", "--event-id", "evt_1", "7"}, "replay ID"},
		{"unknown status", []string{"list", "--status", "done"}, "--status must be one of"},
		{"zero limit", []string{"list", "--limit", "0"}, "--limit"},
		{"unknown action", []string{"purge"}, "events list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := cli(tc.args...); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a usage error containing %q", err, tc.want)
			}
		})
	}
}

// sendAndWait sends a canonical event and waits until it left received;
// it returns the inbox row.
func (s *stack) sendAndWait(id, typ string, at time.Time, data string) storage.InboxEvent {
	s.t.Helper()
	if a := s.send(event{id: id, typ: typ, at: at, data: data}); status(a) != "enqueued" {
		s.t.Fatalf("send %s: %d %v", id, a.status, a.body)
	}
	return s.waitProcessed("crm", id)
}

func inboxID(ev storage.InboxEvent) string { return strconv.FormatInt(ev.ID, 10) }
