package scim

import (
	"encoding/json"
	"reflect"
	"strings"
)

// A resource is handled as a JSON document (map[string]any, numbers as
// json.Number) while PATCH operations apply to it; the fields seatsync
// keeps are taken out of it afterwards, so that PUT, POST and PATCH
// validate the same way. SCIM attribute names are case-insensitive (RFC
// 7643 §2.1): documents are keyed by their canonical spelling.

// canonicalNames spells the attributes of the core User and Group schemas,
// their sub-attributes and the enterprise extension's, by lower-case name.
var canonicalNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{
		"schemas", "id", "externalId", "meta", "userName", "name", "formatted", "familyName", "givenName",
		"middleName", "honorificPrefix", "honorificSuffix", "displayName", "nickName", "profileUrl", "title",
		"userType", "preferredLanguage", "locale", "timezone", "active", "password", "emails", "phoneNumbers",
		"ims", "photos", "addresses", "groups", "entitlements", "roles", "x509Certificates", "value", "display",
		"type", "primary", "$ref", "streetAddress", "locality", "region", "postalCode", "country", "members",
		"employeeNumber", "costCenter", "organization", "division", "department", "manager",
		"resourceType", "created", "lastModified", "location", "version",
		userSchema, groupSchema, enterpriseUser,
	} {
		m[strings.ToLower(n)] = n
	}
	return m
}()

// canonical spells an attribute name as its schema does; unknown names
// (another extension's) stay as sent.
func canonical(name string) string {
	if c, ok := canonicalNames[strings.ToLower(name)]; ok {
		return c
	}
	return name
}

// normalize re-keys a decoded JSON value by canonical attribute names, at
// every depth, merging keys that differ only in case (the last wins).
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			out[canonical(k)] = normalize(val)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalize(e)
		}
		return out
	}
	return v
}

// lookup finds an attribute of m by name, in any case.
func lookup(m map[string]any, name string) (any, bool) {
	if v, ok := m[canonical(name)]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// set writes an attribute under its canonical name, replacing any spelling
// of it.
func set(m map[string]any, name string, v any) {
	del(m, name)
	m[canonical(name)] = v
}

// del removes an attribute in any spelling.
func del(m map[string]any, name string) {
	for k := range m {
		if strings.EqualFold(k, name) {
			delete(m, k)
		}
	}
}

// decodeDocument reads stored resource JSON into a document.
func decodeDocument(raw []byte) (map[string]any, error) {
	doc := map[string]any{}
	if len(raw) == 0 {
		return doc, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if doc == nil {
		doc = map[string]any{}
	}
	return doc, nil
}

// sameValue reports whether two elements of a multi-valued attribute are
// the same one: elements with a "value" are compared by it (in any case,
// as SCIM compares strings unless caseExact), others as a whole.
func sameValue(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		av, aHas := lookup(am, "value")
		bv, bHas := lookup(bm, "value")
		if aHas && bHas {
			return equalValues(av, bv)
		}
	}
	return reflect.DeepEqual(a, b)
}

// equalValues compares two attribute values: strings without regard to
// case, anything else exactly.
func equalValues(a, b any) bool {
	as, aok := a.(string)
	bs, bok := b.(string)
	if aok && bok {
		return strings.EqualFold(as, bs)
	}
	return reflect.DeepEqual(a, b)
}
