package jobs_test

import (
	"testing"

	"github.com/seatsync/seatsync/jobs"
)

// Each replay of an event is a task of its own, and the worker sees which.
func TestApplyEventTaskIDPerReplay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		replay int
		want   string
	}{
		{"first delivery", 0, "crm:evt_1"},
		{"first replay", 1, "crm:evt_1:replay-1"},
		{"second replay", 2, "crm:evt_1:replay-2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev := jobs.ApplyEvent{Source: "crm", EventID: "evt_1", EventType: "user.upserted", Replay: tc.replay}
			if got := ev.TaskID(); got != tc.want {
				t.Errorf("TaskID = %q, want %q", got, tc.want)
			}
			task, err := jobs.NewApplyEventTask(ev)
			if err != nil {
				t.Fatal(err)
			}
			back, err := jobs.ParseApplyEvent(task.Payload())
			if err != nil || back.Replay != tc.replay {
				t.Errorf("payload round trip: replay %d, %v; want %d", back.Replay, err, tc.replay)
			}
		})
	}
}
