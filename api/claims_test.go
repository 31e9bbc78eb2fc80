package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/engine"
)

// wantGone checks that a token's GET and a claim with it both answer the
// same 410 (or 404) code, and, for invitation_ended, the reason.
func (f *invitationsAPI) wantGone(token string, status int, code, reason string) {
	f.t.Helper()
	for _, a := range []answer{
		f.get("/v1/claims/"+token, nil),
		f.call(http.MethodPost, "/v1/claims/"+token, `{"user_external_id":"u3"}`),
	} {
		if a.status != status || errorCode(a) != code {
			f.t.Errorf("answer %d %v, want %d %s", a.status, a.body, status, code)
			continue
		}
		details, _ := a.body["error"].(map[string]any)["details"].(map[string]any)
		if reason != "" && details["reason"] != reason {
			f.t.Errorf("details = %v, want reason %q", details, reason)
		}
	}
}

// snapshot is every row an invitation read could touch.
func (f *invitationsAPI) snapshot() string {
	f.t.Helper()
	var s string
	err := f.sql.QueryRow(`SELECT concat_ws(' | ',
		(SELECT string_agg(x::text, ',' ORDER BY x.id) FROM seats x),
		(SELECT string_agg(x::text, ',' ORDER BY x.id) FROM invitations x),
		(SELECT string_agg(x::text, ',' ORDER BY x.id) FROM assignments x),
		(SELECT count(*) FROM outbox))`).Scan(&s)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func TestClaimAPI(t *testing.T) {
	t.Parallel()
	f := newInvitationsAPI(t)
	s0, s1 := f.seats[0], f.seats[1]
	first := invitationToken(t, f.invite(s0, "jane@acme.test"))

	t.Run("show is public and side-effect free", func(t *testing.T) {
		before := f.snapshot()
		for range 3 {
			a := f.get("/v1/claims/"+first, nil)
			if a.status != http.StatusOK {
				t.Fatalf("answer %d %v", a.status, a.body)
			}
			b := a.body
			if b["seat_id"] != s0 || b["order_external_id"] != "sub_1" || b["product_id"] != "pro" || b["email"] != "jane@acme.test" ||
				b["status"] != "open" || fmt.Sprint(b["customer"]) != "map[external_id:acme name:Acme Inc.]" || b["expires_at"] == nil {
				t.Errorf("claim = %v", b)
			}
		}
		if after := f.snapshot(); after != before {
			t.Errorf("showing a claim changed state:\n%s\nwant\n%s", after, before)
		}
	})

	f.wantGone("inv_nope", http.StatusNotFound, "invitation_not_found", "")
	f.wantGone("nope", http.StatusNotFound, "invitation_not_found", "")

	resent := f.must(http.StatusOK, http.MethodPost, invitePath("sub_1", s0)+"/resend", "")
	second := invitationToken(t, resent)
	f.tokens = append(f.tokens, second)
	if second == first || resent["status"] != "invited" || resent["invitation"].(map[string]any)["email"] != "jane@acme.test" {
		t.Errorf("resend = %v, want the seat invited to jane with a new token", resent)
	}
	f.wantGone(first, http.StatusGone, "invitation_ended", "resent")

	for _, tc := range []struct {
		name, body  string
		want        int
		code, param string
	}{
		{"user missing", `{}`, 400, "invalid_parameter", "user_external_id"},
		{"user empty", `{"user_external_id":""}`, 400, "invalid_parameter", "user_external_id"},
		{"user not a string", `{"user_external_id":1}`, 400, "invalid_parameter", "user_external_id"},
		{"unknown field", `{"user":"u1"}`, 400, "invalid_parameter", "user"},
		{"malformed", `{`, 400, "malformed_json", ""},
		{"unknown user", `{"user_external_id":"nobody"}`, 404, "user_not_found", ""},
		{"user of another customer", `{"user_external_id":"g1"}`, 404, "user_not_found", ""},
		{"deactivated user", `{"user_external_id":"gone"}`, 422, "user_deactivated", ""},
	} {
		t.Run("claim "+tc.name, func(t *testing.T) {
			a := f.call(http.MethodPost, "/v1/claims/"+second, tc.body)
			if a.status != tc.want || errorCode(a) != tc.code {
				t.Fatalf("answer %d %v, want %d %s", a.status, a.body, tc.want, tc.code)
			}
			if details, _ := a.body["error"].(map[string]any)["details"].(map[string]any); tc.param != "" && details["parameter"] != tc.param {
				t.Errorf("details = %v, want parameter %q", details, tc.param)
			}
		})
	}

	if a := f.must(http.StatusOK, http.MethodPost, "/v1/claims/"+second, `{"user_external_id":"u1"}`); a["user_external_id"] != "u1" {
		t.Errorf("claimed seat = %v", a)
	}
	// u1 holds s0 now: rule 2 refuses them a second seat of the line.
	third := invitationToken(t, f.invite(s1, "joe@acme.test"))
	if a := f.call(http.MethodPost, "/v1/claims/"+third, `{"user_external_id":"u1"}`); a.status != 409 || errorCode(a) != "user_already_seated" {
		t.Errorf("claim by a seated user: %d %v", a.status, a.body)
	}
	claimed := f.must(http.StatusOK, http.MethodPost, "/v1/claims/"+third, `{"user_external_id":"u2"}`)
	if claimed["id"] != s1 || claimed["status"] != "assigned" || claimed["user_external_id"] != "u2" ||
		claimed["user_email"] != "u2@acme.test" || claimed["invited_email"] != nil {
		t.Errorf("claimed seat = %v", claimed)
	}
	f.wantGone(third, http.StatusGone, "invitation_used", "")

	var types []string
	msgs, err := f.db.OutboxMessages(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		types = append(types, m.EventType)
	}
	want := "seat.pool_updated seat.pool_updated seat.invited seat.invited seat.claimed seat.invited seat.claimed"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("events %s\nwant   %s", got, want)
	}
	f.invariants()
}

func TestRevokeAndResendAPI(t *testing.T) {
	t.Parallel()
	f := newInvitationsAPI(t)
	s0, s1 := f.seats[0], f.seats[1]
	token := invitationToken(t, f.invite(s0, "jane@acme.test"))

	revoked := f.must(http.StatusOK, http.MethodDelete, invitePath("sub_1", s0), "")
	if revoked["id"] != s0 || revoked["status"] != "unassigned" || revoked["invited_email"] != nil {
		t.Errorf("revoked seat = %v", revoked)
	}
	f.wantGone(token, http.StatusGone, "invitation_ended", "revoked")

	for _, tc := range []struct {
		name, method, path string
		want               int
		code               string
	}{
		{"revoke again", http.MethodDelete, invitePath("sub_1", s0), 409, "seat_not_invited"},
		{"resend revoked", http.MethodPost, invitePath("sub_1", s0) + "/resend", 409, "seat_not_invited"},
		{"resend free seat", http.MethodPost, invitePath("sub_1", s1) + "/resend", 409, "seat_not_invited"},
		{"revoke unknown seat", http.MethodDelete, invitePath("sub_1", "00000000-0000-0000-0000-000000000000"), 404, "seat_not_found"},
		{"resend unknown seat", http.MethodPost, invitePath("sub_1", "nope") + "/resend", 404, "seat_not_found"},
		{"revoke on unknown order", http.MethodDelete, invitePath("nope", s0), 404, "not_found"},
		{"resend on unknown order", http.MethodPost, invitePath("nope", s0) + "/resend", 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if a := f.call(tc.method, tc.path, ""); a.status != tc.want || errorCode(a) != tc.code {
				t.Errorf("answer %d %v, want %d %s", a.status, a.body, tc.want, tc.code)
			}
		})
	}

	// An expired invitation is refused, and a resend gives it a new life.
	expiring := invitationToken(t, f.invite(s1, "joe@acme.test"))
	if _, err := f.sql.Exec(`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE ended_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	f.wantGone(expiring, http.StatusGone, "invitation_expired", "")
	renewed := f.must(http.StatusOK, http.MethodPost, invitePath("sub_1", s1)+"/resend", "")
	fresh := invitationToken(t, renewed)
	f.tokens = append(f.tokens, fresh)
	if expires, err := time.Parse(time.RFC3339, renewed["invitation"].(map[string]any)["expires_at"].(string)); err != nil || !expires.After(time.Now()) {
		t.Errorf("resent invitation expires at %v (%v), want later than now", expires, err)
	}
	f.wantGone(expiring, http.StatusGone, "invitation_ended", "resent")
	if a := f.get("/v1/claims/"+fresh, nil); a.status != http.StatusOK || a.body["email"] != "joe@acme.test" {
		t.Errorf("the resent invitation: %d %v", a.status, a.body)
	}
	f.invariants()
}

// A quantity decrease that retires an invited seat ends the invitation in
// the same transaction: its token stops working.
func TestShrinkEndsInvitation(t *testing.T) {
	t.Parallel()
	f := newInvitationsAPI(t)
	ctx := context.Background()
	kept := invitationToken(t, f.invite(f.seats[0], "keep@acme.test"))
	token := invitationToken(t, f.invite(f.seats[1], "jane@acme.test"))
	// Rule 6 retires the free seat, then the newest invitation: jane's.
	err := f.db.InTx(ctx, func(tx *storage.Tx) error {
		_, err := engine.New().UpsertOrder(ctx, tx, storage.OrderInput{ExternalID: "sub_1", Customer: storage.CustomerRef{ExternalID: "acme"},
			Status: storage.OrderActive, Lines: []storage.LineInput{{ProductID: "pro", Quantity: 1}}}, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.wantGone(token, http.StatusGone, "invitation_ended", "quantity_decreased")
	if a := f.get("/v1/claims/"+kept, nil); a.status != http.StatusOK {
		t.Errorf("the invitation on the kept seat: %d %v", a.status, a.body)
	}
	if a := f.call(http.MethodDelete, invitePath("sub_1", f.seats[1]), ""); a.status != 404 || errorCode(a) != "seat_not_found" {
		t.Errorf("revoke on the retired seat: %d %v", a.status, a.body)
	}
	f.invariants()
}

// Concurrent claims of one token through the API: exactly one wins.
func TestConcurrentClaimsAPI(t *testing.T) {
	t.Parallel()
	f := newInvitationsAPI(t)
	token := invitationToken(t, f.invite(f.seats[0], "jane@acme.test"))
	users := []string{"u1", "u2", "u3", "u1", "u2", "u3"}
	statuses := make([]int, len(users))
	codes := make([]string, len(users))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest(http.MethodPost, f.http.URL+"/v1/claims/"+token, strings.NewReader(`{"user_external_id":"`+u+`"}`))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header = f.key.Clone()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var body map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&body)
			statuses[i], codes[i] = resp.StatusCode, errorCode(answer{body: body})
		}()
	}
	wg.Wait()
	won := 0
	for i := range users {
		switch {
		case statuses[i] == http.StatusOK:
			won++
		case statuses[i] != http.StatusGone || codes[i] != "invitation_used":
			t.Errorf("claim %d: %d %s, want 200 or 410 invitation_used", i, statuses[i], codes[i])
		}
	}
	if won != 1 {
		t.Errorf("%d claims won, want exactly 1", won)
	}
	f.invariants()
}

// Once the worker's sweep has expired an invitation, its seat is free and
// the claim page still says expired, not ended.
func TestClaimAfterExpirySweep(t *testing.T) {
	t.Parallel()
	f := newInvitationsAPI(t)
	s0 := f.seats[0]
	token := invitationToken(t, f.invite(s0, "jane@acme.test"))
	ctx := context.Background()
	n, err := engine.New().ExpireInvitations(ctx, f.db, time.Now().Add(2*time.Minute), 100)
	if err != nil || n != 1 {
		t.Fatalf("sweep expired %d (%v), want 1", n, err)
	}
	f.wantGone(token, http.StatusGone, "invitation_expired", "")
	seat := f.must(http.StatusOK, http.MethodGet, "/v1/orders/sub_1/seats/"+s0, "")
	if seat["status"] != "unassigned" || seat["invited_email"] != nil {
		t.Errorf("seat after the sweep = %v, want it free", seat)
	}
	f.invariants()
}
