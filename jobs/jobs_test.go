package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/jobs/jobstest"
)

func TestEnqueueApplyEventOncePerEventID(t *testing.T) {
	t.Parallel()
	opt := jobstest.New(t)
	client := jobs.NewClient(opt)
	defer client.Close()
	ev := jobs.ApplyEvent{Source: "crm", Kind: "standard", EventID: "evt_1", EventType: "user.upserted",
		OccurredAt: time.Now().UTC().Truncate(time.Microsecond), Payload: json.RawMessage(`{"type":"user.upserted"}`)}

	for i, want := range []jobs.Outcome{jobs.Enqueued, jobs.Duplicate, jobs.Duplicate} {
		got, err := client.EnqueueApplyEvent(context.Background(), ev)
		if err != nil || got != want {
			t.Fatalf("enqueue %d: %v, %v; want %v", i, got, err, want)
		}
	}
	other := ev
	other.Source = "billing" // the same provider id from another source is another event
	if got, err := client.EnqueueApplyEvent(context.Background(), other); err != nil || got != jobs.Enqueued {
		t.Fatalf("other source: %v, %v; want enqueued", got, err)
	}

	inspector := asynq.NewInspector(opt)
	defer inspector.Close()
	info, err := inspector.GetTaskInfo(jobs.QueueInbound, "crm:evt_1")
	if err != nil {
		t.Fatal(err)
	}
	// Done, the task leaves Redis (see jobs.QueueInbound).
	if info.Type != jobs.TypeApplyEvent || info.MaxRetry != 14 || info.Timeout != 30*time.Second || info.Retention != 0 {
		t.Errorf("task options = type %s, max retry %d, timeout %s, retention %s", info.Type, info.MaxRetry, info.Timeout, info.Retention)
	}
	got, err := jobs.ParseApplyEvent(info.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if got.EventID != ev.EventID || !got.OccurredAt.Equal(ev.OccurredAt) || string(got.Payload) != string(ev.Payload) {
		t.Errorf("payload round trip = %+v, want %+v", got, ev)
	}
}

func TestEnqueueReportsAnUnreachableRedis(t *testing.T) {
	t.Parallel()
	client := jobs.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond})
	defer client.Close()
	_, err := client.EnqueueApplyEvent(context.Background(), jobs.ApplyEvent{Source: "crm", EventID: "e", EventType: "t", Payload: json.RawMessage(`{}`)})
	if err == nil {
		t.Fatal("enqueue to a closed port succeeded")
	}
}

func TestParseApplyEventRejectsIncompletePayloads(t *testing.T) {
	t.Parallel()
	for _, payload := range []string{``, `{`, `{}`, `{"source":"crm","event_id":"e"}`} {
		if _, err := jobs.ParseApplyEvent([]byte(payload)); err == nil {
			t.Errorf("ParseApplyEvent(%q) succeeded", payload)
		}
	}
}

// Concurrent enqueues share pipelines; each still gets its own answer: of
// the enqueues of one event exactly one adds a task. Half of them are
// unhurried, which changes only how they are grouped.
func TestConcurrentEnqueuesAnswerEachOne(t *testing.T) {
	t.Parallel()
	opt := jobstest.New(t)
	client := jobs.NewClient(opt)
	defer client.Close()
	const events, copies = 100, 3
	var (
		mu       sync.Mutex
		enqueued = map[string]int{}
		wg       sync.WaitGroup
	)
	start := make(chan struct{})
	for i := range events * copies {
		wg.Go(func() {
			<-start
			ev := jobs.ApplyEvent{Source: "crm", Kind: "standard", EventID: fmt.Sprintf("evt_%d", i%events),
				EventType: "user.upserted", OccurredAt: time.Now(), Payload: json.RawMessage(`{}`)}
			ctx := context.Background()
			if i%2 == 1 {
				ctx = jobs.Unhurried(ctx)
			}
			got, err := client.EnqueueApplyEvent(ctx, ev)
			if err != nil {
				t.Errorf("enqueue %s: %v", ev.EventID, err)
				return
			}
			if got == jobs.Enqueued {
				mu.Lock()
				enqueued[ev.EventID]++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	inspector := asynq.NewInspector(opt)
	defer inspector.Close()
	for i := range events {
		id := fmt.Sprintf("evt_%d", i)
		if enqueued[id] != 1 {
			t.Errorf("%s: enqueued %d times, want once", id, enqueued[id])
		}
		if _, err := inspector.GetTaskInfo(jobs.QueueInbound, "crm:"+id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}

// An unhurried enqueue with nothing to wait for still goes out, alone.
func TestLoneUnhurriedEnqueue(t *testing.T) {
	t.Parallel()
	opt := jobstest.New(t)
	client := jobs.NewClient(opt)
	defer client.Close()
	ev := jobs.ApplyEvent{Source: "crm", Kind: "standard", EventID: "evt_lone", EventType: "user.upserted", Payload: json.RawMessage(`{}`)}
	if got, err := client.EnqueueApplyEvent(jobs.Unhurried(context.Background()), ev); err != nil || got != jobs.Enqueued {
		t.Fatalf("EnqueueApplyEvent() = %v, %v; want enqueued", got, err)
	}
	inspector := asynq.NewInspector(opt)
	defer inspector.Close()
	if _, err := inspector.GetTaskInfo(jobs.QueueInbound, "crm:evt_lone"); err != nil {
		t.Fatal(err)
	}
}

// A closed client refuses enqueues instead of hanging.
func TestEnqueueAfterCloseFails(t *testing.T) {
	t.Parallel()
	client := jobs.NewClient(jobstest.New(t))
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := client.EnqueueApplyEvent(context.Background(), jobs.ApplyEvent{Source: "crm", EventID: "e", EventType: "t", Payload: json.RawMessage(`{}`)})
	if err == nil {
		t.Fatal("enqueue on a closed client succeeded")
	}
}
