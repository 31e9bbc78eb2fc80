package webhooks

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDecodeErrorsQuoteNoGoTypes puts a value of the wrong JSON type (an
// array, an object, a number) in place of every string of every kind's
// fixtures: whatever Decode refuses, its message names the field as the
// sender wrote it and never quotes encoding/json's text about Go types,
// since it becomes the inbox reason `seatsync events list` shows.
func TestDecodeErrorsQuoteNoGoTypes(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"stripe", "paddle", "polar", "workos", "okta", "standard"} {
		refused := 0
		for name, payload := range fixtures(t, kind) {
			var doc any
			if err := json.Unmarshal(payload, &doc); err != nil {
				t.Fatal(err)
			}
			for _, path := range stringPaths(doc, "") {
				for _, wrong := range []string{`[1]`, `{"a":1}`, `5`} {
					const marker = "\u2603MARKER\u2603"
					b, _ := json.Marshal(replaceAt(doc, "", path, marker))
					body := strings.Replace(string(b), `"`+marker+`"`, wrong, 1)
					_, err := Decode(kind, "okta_source", []byte(body))
					if err == nil {
						continue
					}
					refused++
					for _, leak := range []string{"Go ", "json: ", "struct", "unmarshal"} {
						if strings.Contains(err.Error(), leak) {
							t.Errorf("%s %s %s=%s: %q quotes the decoder", kind, name, path, wrong, err)
						}
					}
				}
			}
		}
		if refused == 0 {
			t.Errorf("%s: nothing was refused", kind)
		}
	}
}
