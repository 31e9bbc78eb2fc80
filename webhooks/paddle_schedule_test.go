package webhooks

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDecodePaddleScheduledChange: a scheduled cancel is CancelAt; a
// scheduled pause or resume is none (a paused subscription keeps its
// seats); current_billing_period.ends_at is the period end.
func TestDecodePaddleScheduledChange(t *testing.T) {
	t.Parallel()
	body := string(paddleFixture(t, "subscription.updated"))
	const cancel = `"action": "cancel",
      "effective_at": "2024-05-12T10:18:47.293711Z"`
	at := time.Date(2024, 5, 12, 10, 18, 47, 293711000, time.UTC)
	tests := []struct {
		name, old, new string
		cancelAt       *time.Time
		periodEnd      *time.Time
		wantErr        string
	}{
		{name: "cancel", cancelAt: &at, periodEnd: &at},
		{name: "pause is no cancellation", old: `"action": "cancel"`, new: `"action": "pause"`, periodEnd: &at},
		{name: "resume", old: `"action": "cancel"`, new: `"action": "resume"`, periodEnd: &at},
		{name: "no scheduled change", old: `"scheduled_change": {`, new: `"scheduled_change": null, "x": {`, periodEnd: &at},
		{name: "no billing period", old: `"current_billing_period": {`, new: `"current_billing_period": null, "y": {`, cancelAt: &at},
		{name: "cancel later than the period", old: cancel, new: `"action": "cancel", "effective_at": "2024-06-01T00:00:00+02:00"`,
			cancelAt: ptr(time.Date(2024, 5, 31, 22, 0, 0, 0, time.UTC)), periodEnd: &at},

		{name: "undocumented action", old: `"action": "cancel"`, new: `"action": "freeze"`, wantErr: `data.scheduled_change.action "freeze" is not one of`},
		{name: "no effective_at", old: cancel, new: `"action": "cancel"`, wantErr: "data.scheduled_change.effective_at is required"},
		{name: "effective_at not a time", old: cancel, new: `"action": "cancel", "effective_at": "next month"`, wantErr: `effective_at "next month" is not RFC 3339`},
		{name: "ends_at not a time", old: `"ends_at": "2024-05-12T10:18:47.293711Z"`, new: `"ends_at": "2024-05-12"`, wantErr: "data.current_billing_period.ends_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := body
			if tt.old != "" {
				if !strings.Contains(b, tt.old) {
					t.Fatalf("fixture lacks %q", tt.old)
				}
				b = strings.Replace(b, tt.old, tt.new, 1)
			}
			env, err := decodePaddle([]byte(b))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("decodePaddle() error = %v, want ErrMalformed with %q", err, tt.wantErr)
				}
				return
			}
			o, _ := env.Command.(OrderUpserted)
			if err != nil || !sameTime(o.CancelAt, tt.cancelAt) || !sameTime(o.CurrentPeriodEnd, tt.periodEnd) || o.KeepSchedules {
				t.Fatalf("decodePaddle() = %+v, %v; want cancel_at %v, period end %v", env.Command, err, tt.cancelAt, tt.periodEnd)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b) && a.Location() == time.UTC
}
