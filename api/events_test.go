package api_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/seatsync/seatsync/api/apitest"
	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/inbox"
)

// failingAssignment and revive are apitest's replay scenario, shared with
// the binary's test of `seatsync events`.
func (s *apiTest) failingAssignment(t0 time.Time) storage.InboxEvent {
	s.t.Helper()
	return apitest.FailingAssignment(s.t, s.sendAndWait, t0)
}

func (s *apiTest) revive(id string) {
	s.t.Helper()
	apitest.Revive(s.t, s.sendAndWait, id)
}

func inboxID(ev storage.InboxEvent) string { return strconv.FormatInt(ev.ID, 10) }

func TestEventsAPI(t *testing.T) {
	t.Parallel()
	e := newAPITest(t)
	e.startWorker()
	ctx := context.Background()
	t0 := time.Now().Add(-time.Minute)
	failed := e.failingAssignment(t0)
	stale := e.sendAndWait("evt_stale", "user.upserted", t0.Add(-time.Hour),
		`{"customer_external_id":"acme","external_id":"u1","email":"old@acme.test"}`)
	if stale.Status != storage.InboxStale {
		t.Fatalf("older user event: %s", stale.Status)
	}
	// A body that is not JSON, recorded as a receiver would; no worker
	// takes it: it is only to be shown.
	if _, err := e.db.InsertInboxEvent(ctx, storage.InboxEvent{Source: "legacy", Kind: "standard", EventID: "evt_raw",
		EventType: "user.upserted", OccurredAt: t0, Payload: []byte("\x00not json")}); err != nil {
		t.Fatal(err)
	}
	raw, err := e.db.InboxEventByID(ctx, "legacy", "evt_raw")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("filters", func(t *testing.T) {
		got := listData(e.must(http.StatusOK, http.MethodGet, "/v1/events?status=failed", ""))
		if len(got) != 1 {
			t.Fatalf("failed events = %v", got)
		}
		f := got[0]
		if f["id"] != inboxID(failed) || f["source"] != "crm" || f["kind"] != "standard" || f["event_id"] != "evt_assign_dead" ||
			f["event_type"] != "seat.assign_requested" || f["status"] != "failed" || !strings.Contains(fmt.Sprint(f["error"]), "deactivated") ||
			f["occurred_at"] == nil || f["received_at"] == nil || f["processed_at"] == nil || f["replays"] != 0.0 || f["replayed_at"] != nil {
			t.Errorf("failed event = %v", f)
		}
		if _, ok := f["payload"]; ok {
			t.Errorf("a list item carries the payload: %v", f)
		}
		if got := listData(e.must(http.StatusOK, http.MethodGet, "/v1/events?status=stale&source=crm", "")); len(got) != 1 || got[0]["id"] != inboxID(stale) || got[0]["error"] != nil {
			t.Errorf("stale crm events = %v", got)
		}
		if got := listData(e.must(http.StatusOK, http.MethodGet, "/v1/events?source=legacy", "")); len(got) != 1 || got[0]["status"] != "received" {
			t.Errorf("legacy events = %v", got)
		}
		if got := listData(e.must(http.StatusOK, http.MethodGet, "/v1/events?source=legacy&status=applied", "")); len(got) != 0 {
			t.Errorf("applied legacy events = %v", got)
		}
		for _, tc := range []struct{ query, parameter string }{
			{"status=done", "status"}, {"after=abc", "after"}, {"after=-3", "after"}, {"after=", "after"}, {"limit=201", "limit"},
		} {
			a := e.call(http.MethodGet, "/v1/events?"+tc.query, "")
			details, _ := a.body["error"].(map[string]any)["details"].(map[string]any)
			if a.status != http.StatusBadRequest || errorCode(a) != "invalid_parameter" || details["parameter"] != tc.parameter {
				t.Errorf("%s: %d %v", tc.query, a.status, a.body)
			}
		}
	})

	t.Run("pages, newest first, with events arriving between pages", func(t *testing.T) {
		all := listData(e.must(http.StatusOK, http.MethodGet, "/v1/events?source=crm", ""))
		var want []string
		for _, ev := range all {
			want = append(want, ev["id"].(string))
		}
		if len(want) != 5 || !slices.IsSortedFunc(want, func(a, b string) int { return compareIDs(b, a) }) {
			t.Fatalf("crm events = %v, want 5 newest first", want)
		}
		var got []string
		path := "/v1/events?source=crm&limit=4"
		for i := 0; ; i++ {
			page := e.must(http.StatusOK, http.MethodGet, path, "")
			for _, ev := range listData(page) {
				got = append(got, ev["id"].(string))
			}
			// New events arrive after every page: newer than the cursor,
			// they never show up on the pages that follow.
			e.sendAndWait(fmt.Sprintf("evt_between_%d", i), "customer.upserted", time.Now(), `{"external_id":"acme","name":"Acme"}`)
			hasMore, next := listPagination(page)
			if !hasMore {
				break
			}
			path = fmt.Sprintf("/v1/events?source=crm&limit=4&after=%v", next)
		}
		if !slices.Equal(got, want) {
			t.Errorf("paged = %v, want %v", got, want)
		}
	})

	t.Run("show", func(t *testing.T) {
		b := e.must(http.StatusOK, http.MethodGet, "/v1/events/"+inboxID(failed), "")
		payload, _ := b["payload"].(map[string]any)
		data, _ := payload["data"].(map[string]any)
		if b["payload_encoding"] != "json" || payload["type"] != "seat.assign_requested" || data["user_external_id"] != "dead" ||
			b["status"] != "failed" || b["event_id"] != "evt_assign_dead" {
			t.Errorf("event = %v", b)
		}
		b = e.must(http.StatusOK, http.MethodGet, "/v1/events/"+inboxID(raw), "")
		if b["payload_encoding"] != "base64" || b["payload"] != base64.StdEncoding.EncodeToString([]byte("\x00not json")) {
			t.Errorf("raw event = %v", b)
		}
		for _, id := range []string{"nope", "0", "-1", "99999999", "1.5"} {
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				path := "/v1/events/" + id
				if method == http.MethodPost {
					path += "/replay"
				}
				if a := e.call(method, path, ""); a.status != http.StatusNotFound || errorCode(a) != "not_found" {
					t.Errorf("%s %s: %d %v", method, path, a.status, a.body)
				}
			}
		}
	})

	t.Run("replay", func(t *testing.T) {
		path := "/v1/events/" + inboxID(failed) + "/replay"
		// Still deactivated: the replay runs and fails again.
		b := e.must(http.StatusAccepted, http.MethodPost, path, "")
		if b["status"] != "received" || b["error"] != nil || b["processed_at"] != nil || b["replays"] != 1.0 || b["replayed_at"] == nil {
			t.Errorf("replay answer = %v", b)
		}
		if got := e.waitProcessed("crm", failed.EventID); got.Status != storage.InboxFailed || got.Replays != 1 {
			t.Fatalf("first replay: %s (%d replays)", got.Status, got.Replays)
		}
		// The cause fixed, the next replay applies.
		e.revive("evt_revive")
		e.must(http.StatusAccepted, http.MethodPost, path, "")
		if got := e.waitProcessed("crm", failed.EventID); got.Status != storage.InboxApplied || got.Replays != 2 || got.Error != "" {
			t.Fatalf("second replay: %s %q (%d replays)", got.Status, got.Error, got.Replays)
		}
		seats := listData(e.must(http.StatusOK, http.MethodGet, "/v1/orders/sub_1/seats?status=assigned", ""))
		if len(seats) != 1 || seats[0]["user_external_id"] != "dead" {
			t.Errorf("seats = %v", seats)
		}

		for _, tc := range []struct{ id, status string }{{inboxID(failed), "applied"}, {inboxID(raw), "received"}} {
			a := e.call(http.MethodPost, "/v1/events/"+tc.id+"/replay", "")
			msg, _ := a.body["error"].(map[string]any)["message"].(string)
			if a.status != http.StatusConflict || errorCode(a) != "event_not_replayable" || !strings.Contains(msg, tc.status) {
				t.Errorf("replay of a %s event: %d %v", tc.status, a.status, a.body)
			}
		}

		// A stale event is applied only once it is no longer older than the
		// state: u1 was upserted after it, so it stays stale.
		e.must(http.StatusAccepted, http.MethodPost, "/v1/events/"+inboxID(stale)+"/replay", "")
		if got := e.waitProcessed("crm", stale.EventID); got.Status != storage.InboxStale || got.Replays != 1 {
			t.Errorf("replayed stale event: %s (%d replays)", got.Status, got.Replays)
		}
		if u, _ := e.db.UserByExternalID(ctx, "acme", "u1"); u.Email != "u1@acme.test" {
			t.Errorf("a stale replay overwrote newer state: %s", u.Email)
		}
	})
	e.checkInvariants()
}

// compareIDs orders inbox ids numerically.
func compareIDs(a, b string) int {
	x, _ := strconv.ParseInt(a, 10, 64)
	y, _ := strconv.ParseInt(b, 10, 64)
	return int(x - y)
}

// queued reports whether a task for the replay of a crm event is in the
// queue, by trying to enqueue another under its id. (The inspector cannot
// tell after a flush: the client does not register its queues again.)
func (s *apiTest) queued(eventID string, replay int) bool {
	s.t.Helper()
	outcome, err := s.queue.EnqueueApplyEvent(context.Background(), jobs.ApplyEvent{
		Source: "crm", EventID: eventID, EventType: "probe", Replay: replay})
	if err != nil {
		s.t.Fatal(err)
	}
	return outcome == jobs.Duplicate
}

// A replay whose task never reached Redis is still applied: the inbox row
// is back to received with its replay count, and the sweeper enqueues it
// under the replay's task id, whether the enqueue failed or Redis lost the
// task afterwards.
func TestSweeperEnqueuesReplaysTheQueueLost(t *testing.T) {
	t.Parallel()
	e := newAPITest(t)
	ctx := context.Background()
	sweeper := inbox.NewSweeper(e.db, e.queue, 0, inbox.NewSweptCounter(prometheus.NewRegistry()), e.log)
	// Two events, given up on before any worker ran.
	for _, id := range []string{"evt_lost", "evt_flushed"} {
		ev := apitest.Event{ID: id, Type: "user.upserted", At: time.Now(),
			Data: `{"customer_external_id":"acme","external_id":"` + id + `"}`} // a user each: neither is stale
		if a := e.send(ev); status(a) != "enqueued" {
			t.Fatalf("send: %d %v", a.status, a.body)
		}
		if err := e.db.GiveUpInboxEvent(ctx, "crm", id, "gave up"); err != nil {
			t.Fatal(err)
		}
	}
	jobstest.Flush(t, e.redis)

	// The enqueue of the first replay fails: Redis does not answer.
	lost, err := e.db.InboxEventByID(ctx, "crm", "evt_lost")
	if err != nil {
		t.Fatal(err)
	}
	down := jobs.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond})
	defer down.Close()
	ev, err := inbox.New(e.db, down).Replay(ctx, lost.ID)
	if !errors.Is(err, inbox.ErrReplayNotQueued) || ev.Status != storage.InboxReceived || ev.Replays != 1 {
		t.Fatalf("replay with Redis down: %+v, %v", ev, err)
	}
	// The second is enqueued, then Redis loses it.
	flushed, err := e.db.InboxEventByID(ctx, "crm", "evt_flushed")
	if err != nil {
		t.Fatal(err)
	}
	e.must(http.StatusAccepted, http.MethodPost, "/v1/events/"+inboxID(flushed)+"/replay", "")
	if !e.queued("evt_flushed", 1) {
		t.Fatal("the replay's task is not queued")
	}
	jobstest.Flush(t, e.redis)

	if n, err := sweeper.Sweep(ctx); err != nil || n != 2 {
		t.Fatalf("sweep enqueued %d, %v; want 2", n, err)
	}
	for _, id := range []string{"evt_lost", "evt_flushed"} {
		if !e.queued(id, 1) {
			t.Errorf("the sweeper did not enqueue %s under its replay's task id", id)
		}
	}
	e.startWorker()
	for _, id := range []string{"evt_lost", "evt_flushed"} {
		if got := e.waitProcessed("crm", id); got.Status != storage.InboxApplied || got.Replays != 1 {
			t.Errorf("%s: %s (%d replays)", id, got.Status, got.Replays)
		}
	}
}
