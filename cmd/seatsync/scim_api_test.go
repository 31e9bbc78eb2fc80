package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestSCIMTokenAuthentication: a token made through the management API
// opens its customer's SCIM service provider and no other, is shown once,
// never logged, and stops working once revoked.
func TestSCIMTokenAuthentication(t *testing.T) {
	e := newAPIClient(t)
	for _, c := range []string{"acme", "globex"} {
		e.must(http.StatusCreated, http.MethodPut, "/v1/customers/"+c, `{"name":"`+c+`"}`)
	}
	e.must(http.StatusNotFound, http.MethodPost, "/v1/customers/nobody/scim-tokens", `{"name":"okta"}`)
	created := e.must(http.StatusCreated, http.MethodPost, "/v1/customers/acme/scim-tokens", `{"name":"okta"}`)
	secret, _ := created["token"].(string)
	if !strings.HasPrefix(secret, "scim_") || created["scim_base_path"] != "/scim/v2/acme" {
		t.Fatalf("created = %v", created)
	}
	other := e.must(http.StatusCreated, http.MethodPost, "/v1/customers/globex/scim-tokens", "")

	list := listData(e.must(http.StatusOK, http.MethodGet, "/v1/customers/acme/scim-tokens", ""))
	if len(list) != 1 || list[0]["id"] != created["id"] || list[0]["token"] != nil {
		t.Fatalf("list = %v, want the one token without its secret", list)
	}

	scim := func(customer string) int {
		t.Helper()
		return e.get("/scim/v2/"+customer+"/Users?startIndex=1&count=2", bearer(secret)).status
	}
	if got := scim("acme"); got != http.StatusOK {
		t.Fatalf("own customer: %d", got)
	}
	if got := scim("globex"); got != http.StatusUnauthorized {
		t.Fatalf("another customer: %d, want 401", got)
	}
	// One customer's path cannot revoke another's token.
	e.must(http.StatusNotFound, http.MethodDelete, "/v1/customers/acme/scim-tokens/"+other["id"].(string), "")
	revoked := e.must(http.StatusOK, http.MethodDelete, "/v1/customers/acme/scim-tokens/"+created["id"].(string), "")
	if revoked["revoked_at"] == nil {
		t.Fatalf("revoked = %v", revoked)
	}
	if got := scim("acme"); got != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d, want 401", got)
	}
	if strings.Contains(e.logBuf.String(), secret) {
		t.Error("the SCIM token reached the log")
	}
}

// TestSCIMTokenCommandAuth: the CLI creates, lists and revokes tokens.
func TestSCIMTokenCommandAuth(t *testing.T) {
	e := newAPIClient(t)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme", `{"name":"Acme"}`)
	environ := baseEnviron(e.dbURL, e.redis)
	cli := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), args, environ, &out); err != nil {
			t.Fatalf("seatsync %v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	out := cli("scim-token", "create", "--customer", "acme", "--name", "entra")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	secret := lines[len(lines)-1]
	if !strings.HasPrefix(secret, "scim_") || !strings.Contains(out, "/scim/v2/acme") {
		t.Fatalf("create printed %q", out)
	}
	if got := e.get("/scim/v2/acme/ServiceProviderConfig", bearer(secret)).status; got != http.StatusOK {
		t.Fatalf("ServiceProviderConfig: %d", got)
	}
	listed := cli("scim-token", "list", "--customer", "acme")
	if !strings.Contains(listed, "entra") || strings.Contains(listed, secret) {
		t.Fatalf("list printed %q", listed)
	}
	id := strings.Fields(strings.Split(listed, "\n")[1])[0]
	cli("scim-token", "revoke", id)
	if got := e.get("/scim/v2/acme/ServiceProviderConfig", bearer(secret)).status; got != http.StatusUnauthorized {
		t.Fatalf("after revoke: %d", got)
	}
	var buf bytes.Buffer
	if err := run(context.Background(), []string{"scim-token", "create"}, environ, &buf); err == nil {
		t.Error("create without --customer succeeded")
	}
}
