package webhooks

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDecodePolarCancelAtPeriodEnd: cancel_at_period_end cancels at
// current_period_end (else ends_at); current_period_end is the period end.
func TestDecodePolarCancelAtPeriodEnd(t *testing.T) {
	t.Parallel()
	body := string(polarFixture(t, "subscription.canceled"))
	end := time.Date(2025, 3, 10, 8, 29, 58, 104000000, time.UTC)
	const periodEnd = `"current_period_end": "2025-03-10T08:29:58.104Z"`
	tests := []struct {
		name, old, new      string
		cancelAt, periodEnd *time.Time
		wantErr             string
	}{
		{name: "at period end", cancelAt: &end, periodEnd: &end},
		{name: "not at period end", old: `"cancel_at_period_end": true`, new: `"cancel_at_period_end": false`, periodEnd: &end},
		{name: "no period end: ends_at", old: periodEnd, new: `"current_period_end": null`, cancelAt: &end},
		{name: "period end with an offset", old: periodEnd, new: `"current_period_end": "2025-03-10T09:29:58.104+01:00"`, cancelAt: &end, periodEnd: &end},

		{name: "period end not a time", old: periodEnd, new: `"current_period_end": "March"`, wantErr: `data.current_period_end "March" is not RFC 3339`},
		{name: "period end a number", old: periodEnd, new: `"current_period_end": 1741595398`, wantErr: "current_period_end"},
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
			env, err := decodePolar([]byte(b))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("decodePolar() error = %v, want ErrMalformed with %q", err, tt.wantErr)
				}
				return
			}
			o, _ := env.Command.(OrderUpserted)
			if err != nil || !sameTime(o.CancelAt, tt.cancelAt) || !sameTime(o.CurrentPeriodEnd, tt.periodEnd) {
				t.Fatalf("decodePolar() = %+v, %v; want cancel_at %v, period end %v", env.Command, err, tt.cancelAt, tt.periodEnd)
			}
		})
	}
}
