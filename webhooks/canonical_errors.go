package webhooks

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// DescribeJSONError turns the error of decoding body into v (a pointer) into
// one sentence that names the field as the sender wrote it, with indexes:
// "lines[0].quantity must be an integer from 0 to 1000000, not a string".
// encoding/json's own text names Go types and struct fields
// ("cannot unmarshal array into Go value of type struct {…}"), which tells a
// sender nothing, so it never reaches them. prefix is prepended to every
// path ("data." for a canonical event's data). field is the path of the
// field at fault, "" when the body as a whole is (not JSON, not an object).
// Both the management API and the canonical event decoder use it, so a
// field error reads the same whichever way the request came.
func DescribeJSONError(body []byte, v any, err error, prefix string) (field, message string) {
	return describeJSONError(body, v, err, prefix, true)
}

// jsonErr is DescribeJSONError as an error, for the provider mappers, whose
// decoding is lenient: a provider adds fields at will, so unknown ones are
// no fault there.
func jsonErr(body []byte, v any, err error, prefix string) error {
	_, message := describeJSONError(body, v, err, prefix, false)
	return errors.New(message)
}

func describeJSONError(body []byte, v any, err error, prefix string, strict bool) (field, message string) {
	var syntax *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF) && len(bytes.TrimSpace(body)) == 0:
		return "", "the body is empty; send a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "", "the body ends before its JSON value is complete"
	case errors.As(err, &syntax):
		return "", fmt.Sprintf("the body is not valid JSON: %s at byte %d", strings.TrimPrefix(syntax.Error(), "json: "), syntax.Offset)
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&doc) == nil {
		if path, problem, found := mismatch(reflect.TypeOf(v), doc, strings.TrimSuffix(prefix, "."), strict); found {
			return path, problem(pathOrBody(path))
		}
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		// A field the walk cannot see into (a custom decoder of ours):
		// the decoder's path has no indexes, but it is the sender's names.
		path := strings.TrimSuffix(prefix+typeErr.Field, ".")
		return path, fmt.Sprintf("%s must be %s, not %s", pathOrBody(path), jsonKindOf(typeErr.Type), article(typeErr.Value))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		path := prefix + strings.Trim(name, `"`)
		return path, path + " is not a known field; check its spelling"
	}
	// Our own decoders' errors ("lines is required …") are sentences
	// already, that start with the field's path.
	return "", prefix + strings.TrimPrefix(err.Error(), "json: ")
}

func pathOrBody(path string) string {
	if path == "" {
		return "the body"
	}
	return path
}

// hiddenFields are JSON fields that a type decodes itself (json:"-" plus an
// UnmarshalJSON), so that the walk below knows them.
var hiddenFields = map[reflect.Type]map[string]reflect.Type{
	reflect.TypeFor[UserUpserted](): {"groups": reflect.TypeFor[[]string]()},
}

var rawMessage = reflect.TypeFor[json.RawMessage]()

// mismatch walks a decoded JSON document along the Go type it was decoded
// into and reports the first value that does not fit, in key order: its path
// and the sentence describing it.
func mismatch(t reflect.Type, v any, path string, strict bool) (string, func(string) string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil || t == rawMessage || t.Kind() == reflect.Interface {
		return "", nil, false // null fits anything a decoder accepts
	}
	want := func(w string) (string, func(string) string, bool) {
		return path, func(p string) string { return fmt.Sprintf("%s must be %s, not %s", p, w, jsonValueName(v)) }, true
	}
	switch t.Kind() {
	case reflect.Struct:
		fields := structFields(t)
		if len(fields) == 0 && decodesItself(t) {
			return "", nil, false // a time, a nullable string
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return want("a JSON object")
		}
		for _, key := range slices.Sorted(maps.Keys(obj)) {
			ft, known := lookupField(fields, key)
			at := join(path, key)
			if !known && !strict {
				continue
			}
			if !known {
				return at, func(p string) string { return p + " is not a known field; check its spelling" }, true
			}
			if p, problem, found := mismatch(ft, obj[key], at, strict); found {
				return p, problem, true
			}
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return want("a JSON object")
		}
		for _, key := range slices.Sorted(maps.Keys(obj)) {
			if p, problem, found := mismatch(t.Elem(), obj[key], join(path, key), strict); found {
				return p, problem, true
			}
		}
	case reflect.Slice, reflect.Array:
		list, ok := v.([]any)
		if !ok {
			return want("a JSON array")
		}
		for i, elem := range list {
			if p, problem, found := mismatch(t.Elem(), elem, fmt.Sprintf("%s[%d]", path, i), strict); found {
				return p, problem, true
			}
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			return want("a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return want("true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if _, err := strconv.ParseInt(string(n), 10, 64); !ok || err != nil {
			if strings.HasSuffix(path, "quantity") {
				return want(fmt.Sprintf("an integer from 0 to %d", MaxQuantity))
			}
			return want("an integer")
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			return want("a number")
		}
	}
	return "", nil, false
}

var (
	unmarshaler     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func decodesItself(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(unmarshaler) || p.Implements(textUnmarshaler)
}

// structFields maps the JSON names of t's fields, embedded structs
// flattened, to their types.
func structFields(t reflect.Type) map[string]reflect.Type {
	out := maps.Clone(hiddenFields[t])
	if out == nil {
		out = map[string]reflect.Type{}
	}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || (!f.IsExported() && !f.Anonymous):
			continue
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			maps.Copy(out, structFields(f.Type))
			continue
		case name == "":
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// lookupField finds key as encoding/json does: exactly, else ignoring case.
func lookupField(fields map[string]reflect.Type, key string) (reflect.Type, bool) {
	if t, ok := fields[key]; ok {
		return t, true
	}
	for name, t := range fields {
		if strings.EqualFold(name, key) {
			return t, true
		}
	}
	return nil, false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// jsonValueName names a decoded JSON value's kind for a message.
func jsonValueName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "null"
}

// jsonKindOf names what a Go type holds, as JSON says it.
func jsonKindOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a JSON array"
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "an integer"
}

// article turns encoding/json's value word ("number 1.5", "array") into
// "a number 1.5", "an array".
func article(value string) string {
	if strings.HasPrefix(value, "a") || strings.HasPrefix(value, "o") {
		return "an " + value
	}
	return "a " + value
}
