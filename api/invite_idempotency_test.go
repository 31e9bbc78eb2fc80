package api_test

import (
	"context"
	"net/http"
	"testing"
)

// An invitation answered to an idempotent request is replayed without its
// token: the token is stored only as a hash, and the idempotency record
// must not keep it in clear either.
func TestIdempotentInviteKeepsNoToken(t *testing.T) {
	t.Parallel()
	f := newInvitationsAPI(t)
	path, body := invitePath("sub_1", f.seats[0]), `{"email":"new@acme.test"}`

	first := f.callWith(http.MethodPost, path, body, withKey("invite-1"))
	if first.status != http.StatusCreated || replayed(first) {
		t.Fatalf("first invite: %d %v", first.status, first.body)
	}
	token := invitationToken(t, first.body)
	f.tokens = append(f.tokens, token)

	again := f.callWith(http.MethodPost, path, body, withKey("invite-1"))
	inv, _ := again.body["invitation"].(map[string]any)
	if again.status != http.StatusCreated || !replayed(again) || inv == nil || inv["token"] != nil ||
		inv["email"] != "new@acme.test" || again.body["status"] != "invited" {
		t.Fatalf("replay: %d %v, want the invitation without its token", again.status, again.body)
	}

	var stored int
	err := f.sql.QueryRowContext(context.Background(),
		`SELECT count(*) FROM idempotency_keys WHERE position($1::bytea IN response_body) > 0`, []byte(token)).Scan(&stored)
	if err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Errorf("the idempotency record holds the token in clear")
	}
	if claim := f.get("/v1/claims/"+token, nil); claim.status != http.StatusOK {
		t.Errorf("the token answered once still claims its seat: %d %v", claim.status, claim.body)
	}
	f.invariants()
}
