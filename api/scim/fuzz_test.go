package scim

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

var filterSeeds = []string{
	`userName eq "test.user@okta.local"`,
	`userName Eq "A" and externalId eq "b"`,
	`emails[type eq "work"].value eq "x@y.test"`,
	`emails[type eq "work" and value eq "x@y.test"]`,
	`externalId eq "0a21f0f2"`, `id eq "x"`, `displayName eq "Sales"`,
	`userName sw "a"`, `userName eq "a" or userName eq "b"`, `not (userName eq "a")`,
	`emails[type eq "work"].value`, `emails[`, `]"`, `userName eq`, `userName eq true`, `userName eq 1.5`,
	`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"`, `meta.created gt "2020"`, `"`, `((((`,
	"userName eq \"\x00\"", `emails[type eq "work"].value eq "a"] and [`, `a[b[c eq "d"]].e eq "f"`,
}

// FuzzFilter: any filter text is either supported, as predicates, or a
// 400 invalidFilter; the parser never panics through it.
func FuzzFilter(f *testing.F) {
	for _, s := range filterSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, fields := range []struct {
			core   string
			fields map[string]int
		}{{userSchema, nil}, {groupSchema, nil}} {
			table := userFilters
			if fields.core == groupSchema {
				table = groupFilters
			}
			preds, err := parseFilter(raw, fields.core, table)
			if err != nil {
				var se *scimError
				if !errors.As(err, &se) || se.status != http.StatusBadRequest || se.scimType != "invalidFilter" {
					t.Fatalf("parseFilter(%q) = %v, want a 400 invalidFilter", raw, err)
				}
				continue
			}
			for _, p := range preds {
				if _, ok := map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true}[int(p.Field)]; !ok {
					t.Fatalf("parseFilter(%q): unknown field %d", raw, p.Field)
				}
			}
		}
	})
}

var pathSeeds = []struct{ op, path, value string }{
	{"Replace", `emails[type eq "work"].value`, `"a@b.test"`},
	{"Replace", "name.familyName", `"F"`},
	{"replace", "", `{"active":false}`},
	{"Replace", "active", `"False"`},
	{"Add", "members", `[{"value":"u1"}]`},
	{"Remove", "members", `[{"value":"u1"}]`},
	{"remove", `members[value eq "u1"]`, ``},
	{"Add", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", `"R&D"`},
	{"add", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", `{"manager":{"value":"m"}}`},
	{"replace", "", `{"name.givenName":"G","emails[type eq \"work\"].value":"x@y.test"}`},
	{"Replace", `phoneNumbers[type eq "work" or primary eq true].value`, `"1"`},
	{"remove", "", ``}, {"move", "a", `1`}, {"add", "[", `1`}, {"add", `emails[type eq "work"].value.x`, `1`},
	{"replace", "id", `"other"`}, {"replace", "meta.created", `"x"`}, {"add", "emails", `{"value":"x"}`},
	{"replace", "userName", `null`}, {"replace", "emails", `"notalist"`}, {"add", "a.b.c", `[]`},
}

// FuzzPatch: any operation, applied to a user or a group, is either
// applied and yields a resource that validates or not, or is a 4xx SCIM
// error; it never panics.
func FuzzPatch(f *testing.F) {
	for _, s := range pathSeeds {
		f.Add(s.op, s.path, s.value)
	}
	f.Fuzz(func(t *testing.T, op, path, value string) {
		body := map[string]any{"Operations": []any{map[string]any{"op": op, "path": path, "value": json.RawMessage(nil)}}}
		var v any
		if value != "" && json.Unmarshal([]byte(value), &v) != nil {
			v = value // not JSON: a string
		}
		o := body["Operations"].([]any)[0].(map[string]any)
		o["value"] = v
		if path == "" {
			delete(o, "path")
		}
		raw, err := json.Marshal(body)
		if err != nil {
			return
		}
		doc, err := decodeDocument(raw)
		if err != nil {
			return
		}
		check := func(err error) {
			t.Helper()
			var se *scimError
			if err != nil && (!errors.As(err, &se) || se.status < 400 || se.status >= 500) {
				t.Fatalf("op %q path %q value %q: %v, want a 4xx SCIM error", op, path, value, err)
			}
		}
		ops, err := readPatch(doc)
		check(err)
		if err != nil {
			return
		}
		user := map[string]any{"userName": "u@a.test", "active": true, "emails": []any{map[string]any{"value": "u@a.test", "type": "work"}}}
		if err := applyPatch(user, ops, userSchema); err != nil {
			check(err)
		} else {
			_, err := extractUser(user)
			check(err)
		}
		group := map[string]any{"displayName": "G", "members": []any{map[string]any{"value": "u1"}}}
		if err := applyPatch(group, ops, groupSchema); err != nil {
			check(err)
		} else {
			_, err := extractGroup(group)
			check(err)
		}
	})
}

// TestBadRequestsAreSCIMErrors: through the router and the database, bad
// filters, bad PATCH bodies and oversized bodies answer SCIM errors with
// the right status, never a 5xx.
func TestBadRequestsAreSCIMErrors(t *testing.T) {
	b := setup(t)
	id := b.createUser("a@acme.test")
	gid := b.must(http.StatusCreated, http.MethodPost, "/Groups", `{"displayName":"G"}`)["id"].(string)
	for _, s := range filterSeeds {
		for _, list := range []string{"/Users", "/Groups"} {
			r := b.do(http.MethodGet, list+"?filter="+url.QueryEscape(s), "")
			if r.status != http.StatusOK {
				checkSCIMError(t, r, http.StatusBadRequest, "invalidFilter")
			}
		}
	}
	for _, s := range pathSeeds {
		body, _ := json.Marshal(map[string]any{"Operations": []any{map[string]any{"op": s.op, "path": s.path, "value": json.RawMessage(orNull(s.value))}}})
		for _, target := range []string{"/Users/" + id, "/Groups/" + gid} {
			r := b.do(http.MethodPatch, target, string(body))
			if r.status >= 300 && (r.status < 400 || r.status >= 500) {
				t.Errorf("PATCH %s %s: %d %s", target, body, r.status, r.raw)
			}
		}
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		scimType                 string
	}{
		{"not JSON", "POST", "/Users", `{"userName":`, 400, "invalidSyntax"},
		{"not an object", "POST", "/Users", `[1]`, 400, "invalidSyntax"},
		{"no userName", "POST", "/Users", `{"active":true}`, 400, "invalidValue"},
		{"active not a boolean", "POST", "/Users", `{"userName":"z","active":"maybe"}`, 400, "invalidValue"},
		{"no Operations", "PATCH", "/Users/" + id, `{"schemas":["` + patchOpSchema + `"]}`, 400, "invalidSyntax"},
		{"bad op", "PATCH", "/Users/" + id, `{"Operations":[{"op":"move","path":"active"}]}`, 400, "invalidSyntax"},
		{"bad path", "PATCH", "/Users/" + id, `{"Operations":[{"op":"add","path":"[[","value":1}]}`, 400, "invalidPath"},
		{"remove without path", "PATCH", "/Users/" + id, `{"Operations":[{"op":"remove"}]}`, 400, "noTarget"},
		{"unknown member", "PATCH", "/Groups/" + gid, `{"Operations":[{"op":"add","path":"members","value":[{"value":"nobody"}]}]}`, 400, "invalidValue"},
		{"count not a number", "GET", "/Users?count=ten", "", 400, "invalidValue"},
		{"too large", "POST", "/Users", `{"userName":"` + strings.Repeat("a", maxBody) + `"}`, 413, ""},
		{"group name taken", "POST", "/Groups", `{"displayName":"g"}`, 409, "uniqueness"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkSCIMError(t, b.do(tc.method, tc.path, tc.body), tc.status, tc.scimType)
		})
	}
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}
