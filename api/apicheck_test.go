package api_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/seatsync/seatsync/storage"
)

// Helpers of the tests of the customers, users, orders and seats routes.

// outboundEvent is one outbox row with the body fields tests look at.
type outboundEvent struct {
	Type   string
	Reason string
	SeatID string
	User   string // external id; "" for none
}

// writtenEvents reads the outbox in the order it was written.
func writtenEvents(t *testing.T, db *storage.DB) []outboundEvent {
	t.Helper()
	msgs, err := db.OutboxMessages(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]outboundEvent, 0, len(msgs))
	for _, m := range msgs {
		var body struct {
			Data struct {
				SeatID string `json:"seat_id"`
				Reason string `json:"reason"`
				User   *struct {
					ExternalID string `json:"external_id"`
				} `json:"user"`
			} `json:"data"`
		}
		if err := json.Unmarshal(m.Body, &body); err != nil {
			t.Fatal(err)
		}
		e := outboundEvent{Type: m.EventType, Reason: body.Data.Reason, SeatID: body.Data.SeatID}
		if body.Data.User != nil {
			e.User = body.Data.User.ExternalID
		}
		out = append(out, e)
	}
	return out
}

// errorDetails returns an error answer's details ({} when none).
func errorDetails(a answer) map[string]any {
	e, _ := a.body["error"].(map[string]any)
	d, _ := e["details"].(map[string]any)
	if d == nil {
		d = map[string]any{}
	}
	return d
}

// apiErrorCase is one request the API must refuse.
type apiErrorCase struct {
	name, method, path, body string
	want                     int
	wantCode, wantParam      string
}

// checkErrors runs error cases; each must answer its status and code, name
// its parameter and say something.
func checkErrors(t *testing.T, e *apiTest, cases []apiErrorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.call(tc.method, tc.path, tc.body)
			if a.status != tc.want || errorCode(a) != tc.wantCode {
				t.Fatalf("%s %s: %d %v, want %d %s", tc.method, tc.path, a.status, a.body, tc.want, tc.wantCode)
			}
			if msg, _ := a.body["error"].(map[string]any)["message"].(string); msg == "" {
				t.Errorf("no message: %v", a.body)
			}
			if got := errorDetails(a)["parameter"]; tc.wantParam != "" && got != tc.wantParam {
				t.Errorf("details.parameter = %v, want %s (%v)", got, tc.wantParam, a.body)
			}
		})
	}
}
