package scim

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

// TestTenantIsolation: acme's token never reads or changes globex's users
// and groups, on any route: at globex's base URL it is refused as if
// unknown, and at its own base URL globex's ids do not exist.
func TestTenantIsolation(t *testing.T) {
	b := setup(t)
	globexToken := b.addCustomer("globex")
	globex := &bundle{t: t, db: b.db, engine: b.engine, router: b.router, customer: "globex", token: globexToken, logs: b.logs}
	gu := globex.createUser("jane@globex.test")
	gg := globex.must(http.StatusCreated, http.MethodPost, "/Groups",
		fmt.Sprintf(`{"displayName":"Globex team","members":[{"value":%q}]}`, gu))["id"].(string)
	au := b.createUser("jane@acme.test") // the same person at acme is fine
	before := []map[string]any{globex.must(http.StatusOK, http.MethodGet, "/Users/"+gu, ""), globex.must(http.StatusOK, http.MethodGet, "/Groups/"+gg, "")}

	user := `{"userName":"x@globex.test","active":false}`
	patch := `{"Operations":[{"op":"replace","path":"active","value":false}]}`
	group := fmt.Sprintf(`{"displayName":"Globex team","members":[{"value":%q}]}`, au)
	routes := []struct{ method, path, body string }{
		{"GET", "/ServiceProviderConfig", ""}, {"GET", "/ResourceTypes", ""}, {"GET", "/ResourceTypes/User", ""},
		{"GET", "/Schemas", ""}, {"GET", "/Schemas/" + userSchema, ""},
		{"GET", "/Users", ""}, {"POST", "/Users", user}, {"GET", "/Users/" + gu, ""}, {"PUT", "/Users/" + gu, user},
		{"PATCH", "/Users/" + gu, patch}, {"DELETE", "/Users/" + gu, ""},
		{"GET", "/Groups", ""}, {"POST", "/Groups", group}, {"GET", "/Groups/" + gg, ""}, {"PUT", "/Groups/" + gg, group},
		{"PATCH", "/Groups/" + gg, patch}, {"DELETE", "/Groups/" + gg, ""},
	}
	for _, r := range routes {
		got := b.doAs(b.token, "/scim/v2/globex"+r.path, r.method, r.body)
		if got.status != http.StatusUnauthorized {
			t.Errorf("acme's token, %s globex%s: %d, want 401", r.method, r.path, got.status)
		}
	}
	// At acme's own base URL, globex's ids are nobody's.
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/Users/" + gu, ""}, {"PUT", "/Users/" + gu, user}, {"PATCH", "/Users/" + gu, patch}, {"DELETE", "/Users/" + gu, ""},
		{"GET", "/Groups/" + gg, ""}, {"PUT", "/Groups/" + gg, group}, {"PATCH", "/Groups/" + gg, patch}, {"DELETE", "/Groups/" + gg, ""},
	} {
		checkSCIMError(t, b.do(r.method, r.path, r.body), http.StatusNotFound, "")
	}
	for _, filter := range []string{`id eq "` + gu + `"`, `userName eq "jane@globex.test"`} {
		if got := b.must(http.StatusOK, http.MethodGet, "/Users?filter="+urlQuery(filter), ""); got["totalResults"] != float64(0) {
			t.Errorf("acme's list with %s: %v", filter, got)
		}
	}
	if got := b.must(http.StatusOK, http.MethodGet, "/Groups?filter="+urlQuery(`id eq "`+gg+`"`), ""); got["totalResults"] != float64(0) {
		t.Errorf("acme's groups list: %v", got)
	}
	if got := b.must(http.StatusOK, http.MethodGet, "/Users", ""); got["totalResults"] != float64(1) {
		t.Errorf("acme lists %v users, want its one", got["totalResults"])
	}
	// Nor can acme put globex's user in a group of its own.
	checkSCIMError(t, b.do("POST", "/Groups", fmt.Sprintf(`{"displayName":"Mine","members":[{"value":%q}]}`, gu)), http.StatusBadRequest, "invalidValue")
	// A userName is unique within a customer only.
	b.must(http.StatusCreated, http.MethodPost, "/Users", `{"userName":"jane@globex.test"}`)

	after := []map[string]any{globex.must(http.StatusOK, http.MethodGet, "/Users/"+gu, ""), globex.must(http.StatusOK, http.MethodGet, "/Groups/"+gg, "")}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("globex changed:\nbefore %v\nafter  %v", before, after)
	}
}

func urlQuery(s string) string { return url.QueryEscape(s) }
