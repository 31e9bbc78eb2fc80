package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/jobs/jobstest"
)

// A schedule's task is due at its time, once per line and time: every
// enqueue of the same schedule collapses into the first; a new time is a
// new task.
func TestEnqueueApplyScheduleOncePerLineAndTime(t *testing.T) {
	t.Parallel()
	opt := jobstest.New(t)
	client := jobs.NewClient(opt)
	defer client.Close()
	at := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Microsecond)
	s := jobs.ApplySchedule{Kind: "line", ID: "3f1c0a3e-0000-4000-8000-000000000001", At: at}
	for i, want := range []jobs.Outcome{jobs.Enqueued, jobs.Duplicate} {
		if got, err := client.EnqueueApplySchedule(context.Background(), s); err != nil || got != want {
			t.Fatalf("enqueue %d: %v, %v; want %v", i, got, err, want)
		}
	}
	later := s
	later.At = at.Add(time.Hour)
	if got, err := client.EnqueueApplySchedule(context.Background(), later); err != nil || got != jobs.Enqueued {
		t.Fatalf("another time: %v, %v; want enqueued", got, err)
	}
	inspector := asynq.NewInspector(opt)
	defer inspector.Close()
	info, err := inspector.GetTaskInfo(jobs.QueueInbound, s.TaskID())
	if err != nil {
		t.Fatal(err)
	}
	if info.State != asynq.TaskStateScheduled || !info.NextProcessAt.Equal(at.Truncate(time.Second)) {
		t.Errorf("task %s next at %s, want scheduled at %s", info.State, info.NextProcessAt, at)
	}
	got, err := jobs.ParseApplySchedule(info.Payload)
	if err != nil || got != s {
		t.Errorf("payload = %+v, %v; want %+v", got, err, s)
	}
	if _, err := jobs.ParseApplySchedule([]byte(`{"kind":"seat","id":"x","at":"2026-12-21T00:00:00Z"}`)); err == nil {
		t.Error("a payload of another kind was accepted")
	}
}
