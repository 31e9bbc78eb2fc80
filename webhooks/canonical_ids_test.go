package webhooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// badIDs are the values of issue 12's hostile inputs: each is text that
// Postgres refuses or that no identifier holds.
var badIDs = []struct{ name, value string }{
	{"nul", "a\x00b"},
	{"only nul", "\x00"},
	{"invalid utf-8", "\xff\xfe"},
	{"over-long", strings.Repeat("x", 300)},
	{"empty", ""},
}

// TestPayloadIDsNeverReachStorageBad replaces, one at a time, every string
// of every provider fixture (and every canonical event) with each bad value.
// Decode must then either refuse the event with ErrMalformed, a permanent
// failure the inbox records, or return a command whose every string is
// storable: a NUL or invalid UTF-8 never reaches a query, where it would
// fail the transaction and be retried. An id field the mapper reads must be
// refused, not passed on.
func TestPayloadIDsNeverReachStorageBad(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"stripe", "paddle", "polar", "workos", "okta", "standard"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			refused := 0
			for name, payload := range fixtures(t, kind) {
				var doc any
				if err := json.Unmarshal(payload, &doc); err != nil {
					t.Fatal(err)
				}
				if _, err := Decode(kind, "okta_source", payload); err != nil {
					t.Fatalf("%s: the fixture itself does not decode: %v", name, err)
				}
				for _, path := range stringPaths(doc, "") {
					for _, bad := range badIDs {
						body := withString(t, doc, path, bad.value)
						env, err := Decode(kind, "okta_source", body)
						switch {
						case errors.Is(err, ErrMalformed):
							refused++
							if strings.Contains(err.Error(), "Go ") || strings.Contains(err.Error(), "json: ") {
								t.Errorf("%s %s=%s: the message quotes the decoder: %v", name, path, bad.name, err)
							}
						case errors.Is(err, ErrUnknownType):
						case err != nil:
							t.Errorf("%s %s=%s: Decode() error = %v, want ErrMalformed or ErrUnknownType", name, path, bad.name, err)
						default:
							if err := checkStorable(env.Command); err != nil {
								t.Errorf("%s %s=%s: the command holds unstorable text: %v", name, path, bad.name, err)
							}
							if isIDPath(path) && bad.value != "" && (strings.ContainsRune(bad.value, 0) || len(bad.value) > maxIDLen) {
								if holds(env.Command, bad.value) {
									t.Errorf("%s %s=%s: the id was passed on to the command", name, path, bad.name)
								}
							}
						}
					}
				}
			}
			if refused == 0 {
				t.Fatalf("no bad value was refused for kind %s", kind)
			}
		})
	}
}

// fixtures are each kind's stored payloads: the provider fixtures in
// testdata (one event of an Okta delivery), or canonical events.
func fixtures(t *testing.T, kind string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	if kind == "standard" {
		const ts = `"timestamp":"2026-11-21T10:00:00Z"`
		for typ, data := range map[string]string{
			TypeCustomerUpserted:      `{"external_id":"acme","name":"Acme","email":"ops@acme.test","provider_ids":{"stripe":"cus_1"}}`,
			TypeUserUpserted:          `{"customer_external_id":"acme","external_id":"u1","email":"u@acme.test","name":"U","groups":["eng"]}`,
			TypeUserDeactivated:       `{"customer_external_id":"acme","external_id":"u1"}`,
			TypeOrderUpserted:         `{"external_id":"o1","customer_external_id":"acme","lines":[{"product_id":"p","quantity":1}]}`,
			TypeOrderCanceled:         `{"external_id":"o1"}`,
			TypeSeatAssignRequested:   `{"order_external_id":"o1","product_id":"p","user_external_id":"u1"}`,
			TypeSeatUnassignRequested: `{"order_external_id":"o1","product_id":"p","user_external_id":"u1"}`,
		} {
			out[typ] = []byte(`{"type":"` + typ + `",` + ts + `,"data":` + data + `}`)
		}
		return out
	}
	files, err := filepath.Glob(filepath.Join("testdata", kind, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s fixtures: %v", kind, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if kind == "okta" {
			var d struct {
				Data struct{ Events []json.RawMessage } `json:"data"`
			}
			if err := json.Unmarshal(b, &d); err != nil || len(d.Data.Events) == 0 {
				t.Fatalf("%s: %v", f, err)
			}
			b = d.Data.Events[0]
		}
		out[filepath.Base(f)] = b
	}
	return out
}

// stringPaths lists the paths of every string in doc, as "a.b[0].c".
func stringPaths(doc any, at string) []string {
	switch v := doc.(type) {
	case string:
		return []string{at}
	case map[string]any:
		var out []string
		for k, e := range v {
			out = append(out, stringPaths(e, join(at, k))...)
		}
		return out
	case []any:
		var out []string
		for i, e := range v {
			out = append(out, stringPaths(e, fmt.Sprintf("%s[%d]", at, i))...)
		}
		return out
	}
	return nil
}

// withString encodes doc with the string at path replaced by s. Invalid
// UTF-8 is written as raw bytes, as a hostile sender would.
func withString(t *testing.T, doc any, path, s string) []byte {
	t.Helper()
	const marker = "\u2603MARKER\u2603"
	b, err := json.Marshal(replaceAt(doc, "", path, marker))
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := json.Marshal(s) // NUL as \u0000; invalid bytes would become U+FFFD …
	if !strings.Contains(s, "\x00") {
		enc = []byte(`"` + s + `"`) // … so those go in raw
	}
	return []byte(strings.Replace(string(b), `"`+marker+`"`, string(enc), 1))
}

func replaceAt(doc any, at, path, s string) any {
	switch v := doc.(type) {
	case string:
		if at == path {
			return s
		}
		return v
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = replaceAt(e, join(at, k), path, s)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = replaceAt(e, fmt.Sprintf("%s[%d]", at, i), path, s)
		}
		return out
	}
	return doc
}

func isIDPath(path string) bool {
	last := path[strings.LastIndexAny(path, ".]")+1:]
	return last == "id" || strings.HasSuffix(last, "_id") || last == "uuid"
}

// holds reports whether any string of v equals s.
func holds(v any, s string) bool {
	b, _ := json.Marshal(v)
	enc, _ := json.Marshal(s)
	return strings.Contains(string(b), string(enc))
}
