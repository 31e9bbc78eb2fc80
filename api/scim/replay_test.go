package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A recording is a sequence of requests an identity provider sends, as its
// published documentation shows them, with the answers expected.
type recording struct {
	Source string `json:"source"`
	Steps  []step `json:"steps"`
}

// step is one request. Path and body may use {{name}} for a value saved
// by an earlier step. Expect lists fields of the answer that must equal
// (objects: the named fields; arrays: element by element, same length);
// "*" is any value present, "$absent" a field that must not be there.
type step struct {
	Name   string            `json:"name"`
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Body   json.RawMessage   `json:"body"`
	Status int               `json:"status"`
	Expect map[string]any    `json:"expect"`
	Save   map[string]string `json:"save"` // name → top-level field of the answer
}

func TestRecordedSequences(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recordings: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var rec recording
			if err := json.Unmarshal(raw, &rec); err != nil {
				t.Fatal(err)
			}
			replay(t, setup(t), rec)
		})
	}
}

func replay(t *testing.T, b *bundle, rec recording) {
	vars := map[string]string{}
	subst := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, "{{"+k+"}}", v)
		}
		return s
	}
	for i, s := range rec.Steps {
		r := b.do(s.Method, subst(s.Path), subst(string(s.Body)))
		where := fmt.Sprintf("step %d (%s): %s %s", i+1, s.Name, s.Method, subst(s.Path))
		if r.status != s.Status {
			t.Fatalf("%s: status %d, want %d\n%s", where, r.status, s.Status, r.raw)
		}
		if s.Status == http.StatusNoContent && r.raw != "" {
			t.Errorf("%s: 204 with a body %q", where, r.raw)
		}
		var want map[string]any
		if len(s.Expect) > 0 {
			b, _ := json.Marshal(s.Expect)
			_ = json.Unmarshal([]byte(subst(string(b))), &want)
		}
		for _, problem := range compare("", want, r.body) {
			t.Errorf("%s: %s\n%s", where, problem, r.raw)
		}
		for name, field := range s.Save {
			v, ok := r.body[field].(string)
			if !ok {
				t.Fatalf("%s: no string %q to save: %s", where, field, r.raw)
			}
			vars[name] = v
		}
	}
}

// compare lists where got differs from the expected fields.
func compare(at string, want, got any) []string {
	switch w := want.(type) {
	case nil:
		return nil
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %v, want an object", at, got)}
		}
		var out []string
		for k, wv := range w {
			gv, present := g[k]
			switch {
			case wv == "$absent":
				if present {
					out = append(out, fmt.Sprintf("%s.%s: got %v, want it absent", at, k, gv))
				}
			case wv == "*":
				if !present || gv == nil {
					out = append(out, fmt.Sprintf("%s.%s: missing", at, k))
				}
			case !present:
				out = append(out, fmt.Sprintf("%s.%s: missing, want %v", at, k, wv))
			default:
				out = append(out, compare(at+"."+k, wv, gv)...)
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %v, want %d elements like %v", at, got, len(w), w)}
		}
		var out []string
		for i := range w {
			out = append(out, compare(fmt.Sprintf("%s[%d]", at, i), w[i], g[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(want, got) {
		return []string{fmt.Sprintf("%s: got %v (%T), want %v (%T)", at, got, got, want, want)}
	}
	return nil
}
