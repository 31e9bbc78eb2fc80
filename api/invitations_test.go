package api_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/engine"
)

// invitationsAPI is an API client over customer acme (users u1, u2, u3 and
// the deactivated "gone"), customer globex (user g1), order sub_1 of acme
// with three "pro" seats and the canceled order sub_old. Invitations live
// a minute (SEATSYNC_INVITATION_TTL).
type invitationsAPI struct {
	*apiTest
	sql    *sql.DB
	seats  []string // sub_1's seats, oldest first
	tokens []string // every token answered, for the checks that none leaks
}

func newInvitationsAPI(t *testing.T) *invitationsAPI {
	t.Helper()
	e := newAPITest(t, withInvitationTTL(time.Minute))
	ctx, eng, now := context.Background(), engine.New(), time.Now()
	acme, globex := storage.CustomerRef{ExternalID: "acme"}, storage.CustomerRef{ExternalID: "globex"}
	err := e.db.InTx(ctx, func(tx *storage.Tx) error {
		if _, err := eng.UpsertCustomer(ctx, tx, storage.CustomerInput{ExternalID: "acme", Name: "Acme Inc."}, now); err != nil {
			return err
		}
		users := []storage.UserInput{
			{Customer: acme, ExternalID: "u1", Email: "u1@acme.test", Status: storage.UserActive},
			{Customer: acme, ExternalID: "u2", Email: "u2@acme.test", Status: storage.UserActive},
			{Customer: acme, ExternalID: "u3", Email: "u3@acme.test", Status: storage.UserActive},
			{Customer: acme, ExternalID: "gone", Status: storage.UserDeactivated},
			{Customer: globex, ExternalID: "g1", Status: storage.UserActive},
		}
		for _, u := range users {
			if _, err := eng.UpsertUser(ctx, tx, u, now); err != nil {
				return err
			}
		}
		for _, o := range []storage.OrderInput{
			{ExternalID: "sub_1", Customer: acme, Status: storage.OrderActive, Lines: []storage.LineInput{{ProductID: "pro", Quantity: 3}}},
			{ExternalID: "sub_old", Customer: acme, Status: storage.OrderCanceled, Lines: []storage.LineInput{{ProductID: "pro", Quantity: 1}}},
		} {
			if _, err := eng.UpsertOrder(ctx, tx, o, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seats, err := e.db.OrderSeats(ctx, "sub_1", storage.SeatFilter{})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("postgres", e.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f := &invitationsAPI{apiTest: e, sql: conn}
	for _, s := range seats {
		f.seats = append(f.seats, s.ID)
	}
	return f
}

func invitePath(order, seat string) string {
	return "/v1/orders/" + order + "/seats/" + seat + "/invite"
}

// invite invites email to a seat of sub_1 and returns the answer.
func (f *invitationsAPI) invite(seat, email string) map[string]any {
	f.t.Helper()
	a := f.must(http.StatusCreated, http.MethodPost, invitePath("sub_1", seat), `{"email":"`+email+`"}`)
	f.tokens = append(f.tokens, invitationToken(f.t, a))
	return a
}

func invitationToken(t testing.TB, answer map[string]any) string {
	t.Helper()
	inv, _ := answer["invitation"].(map[string]any)
	token, _ := inv["token"].(string)
	if !strings.HasPrefix(token, "inv_") {
		t.Fatalf("answer without an invitation token: %v", answer)
	}
	return token
}

// invariants fails the test on any broken rule, and on a token that
// reached the logs or a column of the invitations table.
func (f *invitationsAPI) invariants() {
	f.t.Helper()
	v, err := f.db.InvariantViolations(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	for _, violation := range v {
		f.t.Error(violation)
	}
	for i, token := range f.tokens {
		if strings.Contains(f.logBuf.String(), token) {
			f.t.Errorf("the log holds token %d", i)
		}
		sum := sha256.Sum256([]byte(token))
		var found, asText int
		err := f.sql.QueryRow(`SELECT count(*) FILTER (WHERE token_hash = $1), count(*) FILTER (WHERE i::text LIKE '%' || $2 || '%')
			FROM invitations i`, sum[:], token).Scan(&found, &asText)
		if err != nil {
			f.t.Fatal(err)
		}
		if found != 1 || asText != 0 {
			f.t.Errorf("invitations: %d rows with the token's hash (want 1), %d holding the token itself (want 0)", found, asText)
		}
	}
}

func TestInviteAPI(t *testing.T) {
	t.Parallel()
	f := newInvitationsAPI(t)
	s0, s1 := f.seats[0], f.seats[1]
	before := time.Now()
	a := f.invite(s0, "jane@acme.test")
	if a["id"] != s0 || a["status"] != "invited" || a["invited_email"] != "jane@acme.test" || a["order_external_id"] != "sub_1" ||
		a["product_id"] != "pro" || a["user_external_id"] != nil {
		t.Errorf("invited seat = %v", a)
	}
	inv := a["invitation"].(map[string]any)
	expires, err := time.Parse(time.RFC3339, inv["expires_at"].(string))
	if err != nil || inv["email"] != "jane@acme.test" || len(inv["token"].(string)) != len("inv_")+43 ||
		expires.Before(before.Add(time.Minute-time.Second)) || expires.After(time.Now().Add(time.Minute)) {
		t.Errorf("invitation = %v (%v), want jane's, a 256-bit token, expiring in SEATSYNC_INVITATION_TTL=1m", inv, err)
	}
	// The event carries the token too, so the product can e-mail its link.
	msgs, err := f.db.OutboxMessages(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	last := msgs[len(msgs)-1]
	if last.EventType != "seat.invited" || !strings.Contains(string(last.Body), inv["token"].(string)) {
		t.Errorf("last event %s %s, want seat.invited with the token", last.EventType, last.Body)
	}

	errorCases := []struct {
		name, path, body string
		header           http.Header
		want             int
		code, param      string
	}{
		{name: "no body", path: invitePath("sub_1", s1), want: 400, code: "malformed_json"},
		{name: "malformed", path: invitePath("sub_1", s1), body: `{"email":`, want: 400, code: "malformed_json"},
		{name: "email missing", path: invitePath("sub_1", s1), body: `{}`, want: 400, code: "invalid_parameter", param: "email"},
		{name: "email null", path: invitePath("sub_1", s1), body: `{"email":null}`, want: 400, code: "invalid_parameter", param: "email"},
		{name: "email empty", path: invitePath("sub_1", s1), body: `{"email":""}`, want: 400, code: "invalid_parameter", param: "email"},
		{name: "email not a string", path: invitePath("sub_1", s1), body: `{"email":5}`, want: 400, code: "invalid_parameter", param: "email"},
		{name: "not an address", path: invitePath("sub_1", s1), body: `{"email":"jane"}`, want: 400, code: "invalid_parameter", param: "email"},
		{name: "display name", path: invitePath("sub_1", s1), body: `{"email":"Jane <jane@acme.test>"}`, want: 400, code: "invalid_parameter", param: "email"},
		{name: "two addresses", path: invitePath("sub_1", s1), body: `{"email":"a@acme.test, b@acme.test"}`, want: 400, code: "invalid_parameter", param: "email"},
		{name: "email too long", path: invitePath("sub_1", s1), body: `{"email":"` + strings.Repeat("a", 245) + `@acme.test"}`, want: 400, code: "invalid_parameter", param: "email"},
		{name: "unknown field", path: invitePath("sub_1", s1), body: `{"email":"joe@acme.test","name":"Joe"}`, want: 400, code: "invalid_parameter", param: "name"},
		{name: "body too large", path: invitePath("sub_1", s1), body: `{"email":"` + strings.Repeat("a", 70<<10) + `"}`, want: 413, code: "body_too_large"},
		{name: "unknown order", path: invitePath("nope", s1), body: `{"email":"joe@acme.test"}`, want: 404, code: "not_found"},
		{name: "unknown seat", path: invitePath("sub_1", "00000000-0000-0000-0000-000000000000"), body: `{"email":"joe@acme.test"}`, want: 404, code: "seat_not_found"},
		{name: "malformed seat id", path: invitePath("sub_1", "nope"), body: `{"email":"joe@acme.test"}`, want: 404, code: "seat_not_found"},
		{name: "seat of canceled order", path: invitePath("sub_old", s1), body: `{"email":"joe@acme.test"}`, want: 409, code: "order_canceled"},
		{name: "invited seat", path: invitePath("sub_1", s0), body: `{"email":"joe@acme.test"}`, want: 409, code: "seat_occupied"},
		{name: "email invited on the line", path: invitePath("sub_1", s1), body: `{"email":"jane@acme.test"}`, want: 409, code: "already_invited"},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			a := f.call(http.MethodPost, tc.path, tc.body)
			if a.status != tc.want || errorCode(a) != tc.code {
				t.Fatalf("answer %d %v, want %d %s", a.status, a.body, tc.want, tc.code)
			}
			e := a.body["error"].(map[string]any)
			if msg, _ := e["message"].(string); msg == "" {
				t.Errorf("error without message: %v", e)
			}
			if details, _ := e["details"].(map[string]any); tc.param != "" && details["parameter"] != tc.param {
				t.Errorf("details = %v, want parameter %q", e["details"], tc.param)
			}
		})
	}
	t.Run("assigned seat", func(t *testing.T) {
		claim := f.must(http.StatusOK, http.MethodPost, "/v1/claims/"+f.tokens[0], `{"user_external_id":"u1"}`)
		if claim["status"] != "assigned" {
			t.Fatalf("claim = %v", claim)
		}
		a := f.call(http.MethodPost, invitePath("sub_1", s0), `{"email":"joe@acme.test"}`)
		if a.status != http.StatusConflict || errorCode(a) != "seat_occupied" {
			t.Errorf("invite to an assigned seat: %d %v", a.status, a.body)
		}
	})
	f.invariants()
}

// Every invitation route refuses a missing, unknown or revoked key; only
// GET /v1/claims/{token} is public.
func TestInvitationRoutesNeedAKey(t *testing.T) {
	t.Parallel()
	f := newInvitationsAPI(t)
	oldSecret := f.revokedKey()
	token := invitationToken(t, f.invite(f.seats[0], "jane@acme.test"))
	routes := []struct{ method, path, body string }{
		{http.MethodPost, invitePath("sub_1", f.seats[1]), `{"email":"joe@acme.test"}`},
		{http.MethodPost, invitePath("sub_1", f.seats[0]) + "/resend", ""},
		{http.MethodDelete, invitePath("sub_1", f.seats[0]), ""},
		{http.MethodPost, "/v1/claims/" + token, `{"user_external_id":"u1"}`},
	}
	keys := []struct {
		name   string
		header http.Header
		code   string
	}{
		{"missing", http.Header{}, "missing_api_key"},
		{"unknown", bearer("ssk_nope"), "invalid_api_key"},
		{"revoked", bearer(oldSecret), "invalid_api_key"},
	}
	for _, r := range routes {
		for _, k := range keys {
			t.Run(r.method+" "+r.path+" "+k.name, func(t *testing.T) {
				req, err := http.NewRequest(r.method, f.http.URL+r.path, strings.NewReader(r.body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header = k.header.Clone()
				if a := f.do(req); a.status != http.StatusUnauthorized || errorCode(a) != k.code {
					t.Errorf("answer %d %v, want 401 %s", a.status, a.body, k.code)
				}
			})
		}
	}
	if a := f.get("/v1/claims/"+token, nil); a.status != http.StatusOK {
		t.Errorf("GET claim without a key: %d %v, want 200", a.status, a.body)
	}
	// Nothing of the refused requests happened.
	if a := f.get("/v1/claims/"+token, nil); a.status != http.StatusOK || a.body["seat_id"] != f.seats[0] {
		t.Errorf("the invitation changed: %d %v", a.status, a.body)
	}
	f.invariants()
}
