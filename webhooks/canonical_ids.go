package webhooks

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// checkStorable refuses a decoded command holding text that Postgres cannot
// store (a NUL byte, invalid UTF-8) in any of its strings: ids, names,
// provider links, group names. Every kind's mapper runs its own field
// checks with the provider's field names; this one walk, run by Decode over
// whatever any mapper produced, is what guarantees that no such text
// reaches storage, where it would fail the transaction and be retried as
// a 500 instead of being recorded as the permanent failure it is.
func checkStorable(cmd any) error {
	return storable(reflect.ValueOf(cmd), "")
}

func storable(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.String:
		return checkStorableText(path, v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return storable(v.Elem(), path)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if err := storable(v.Field(i), join(path, fieldName(f))); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := storable(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			at := join(path, iter.Key().String())
			if err := storable(iter.Key(), at); err != nil {
				return err
			}
			if err := storable(iter.Value(), at); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkStorableText is the one rule for text bound for storage.
func checkStorableText(field, v string) error {
	switch {
	case !utf8.ValidString(v):
		return fmt.Errorf("%s is not valid UTF-8 text", field)
	case strings.ContainsRune(v, 0):
		return fmt.Errorf("%s contains a NUL byte, which no identifier or name may hold", field)
	}
	return nil
}

// fieldName is a command field's name as the canonical format spells it,
// or its snake_case Go name for a field the format does not carry.
func fieldName(f reflect.StructField) string {
	if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
		return name
	}
	var b strings.Builder
	for i, r := range f.Name {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r | 0x20)
	}
	return b.String()
}
