package worker

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/jobs/jobstest"
	"github.com/seatsync/seatsync/storage"
)

// An event that schedules a reduction enqueues its task after the commit,
// due at the schedule's time; the task applies it once; the sweep then
// finds nothing due.
func TestScheduledReductionTask(t *testing.T) {
	t.Parallel()
	h, db := newHandler(t)
	opt := jobstest.New(t)
	queue := jobs.NewClient(opt)
	defer queue.Close()
	h.engine.UseScheduleQueue(ScheduleQueue{Queue: queue})
	ctx := context.Background()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // past: the task is due at once
	ev := standardEvent("evt_1", "order.upserted", at.Add(-time.Hour), `{"external_id":"sub_1","customer_external_id":"acme",
		"lines":[{"product_id":"pro","quantity":3,"scheduled_quantity":1,"scheduled_at":"2026-01-01T00:00:00Z"}]}`)
	if outcome, reason, err := h.applyOnce(ctx, ev); err != nil || outcome != "applied" {
		t.Fatalf("apply: %s %s %v", outcome, reason, err)
	}
	o, err := db.OrderByExternalID(ctx, "sub_1")
	if err != nil {
		t.Fatal(err)
	}
	task := jobs.ApplySchedule{Kind: storage.DueLine, ID: o.Lines[0].ID, At: at}
	inspector := asynq.NewInspector(opt)
	defer inspector.Close()
	info, err := inspector.GetTaskInfo(jobs.QueueInbound, task.TaskID())
	if err != nil {
		t.Fatalf("the schedule's task was not enqueued: %v", err)
	}
	sh := &scheduleHandler{db: db, engine: h.engine, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for range 2 { // the second run finds nothing due
		if err := sh.ProcessTask(ctx, asynq.NewTask(jobs.TypeApplySchedule, info.Payload)); err != nil {
			t.Fatal(err)
		}
	}
	if o, err = db.OrderByExternalID(ctx, "sub_1"); err != nil || o.Lines[0].Quantity != 1 || o.Lines[0].ScheduledAt != nil {
		t.Fatalf("line after the task = %+v, %v; want quantity 1 and no schedule", o.Lines, err)
	}
	if n, err := h.engine.ApplyDueSchedules(ctx, db, time.Now(), 10); err != nil || n != 0 {
		t.Errorf("due after the task: %d, %v", n, err)
	}
	sweep := &scheduleSweep{db: db, engine: h.engine, queue: queue, log: sh.log}
	sweep.once(ctx, time.Now(), time.Minute) // finds nothing: one application's event below
	var events int
	msgs, err := db.OutboxMessages(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.EventType == "seat.pool_updated" {
			events++
		}
	}
	if events != 2 {
		t.Errorf("%d seat.pool_updated, want the schedule's and its application's", events)
	}
	if v, err := db.InvariantViolations(ctx); err != nil || len(v) > 0 {
		t.Errorf("invariants: %v %v", v, err)
	}
}
