package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// patchOp is one operation of a PatchOp message (RFC 7644 §3.5.2).
type patchOp struct {
	op    string // lower case: add, replace, remove
	path  string
	value any
	has   bool // whether value was sent
}

// maxOperations bounds one PATCH request.
const maxOperations = 1000

// readPatch takes the operations out of a PatchOp body. Okta and Entra
// spell op in any case ("Replace", "add"), and so may others the
// attribute names.
func readPatch(doc map[string]any) ([]patchOp, error) {
	raw, ok := lookup(doc, "Operations")
	list, isList := raw.([]any)
	if !ok || !isList || len(list) == 0 {
		return nil, invalidSyntax("a PATCH body is a PatchOp message with a non-empty Operations array")
	}
	if len(list) > maxOperations {
		return nil, &scimError{http.StatusRequestEntityTooLarge, "", fmt.Sprintf("at most %d operations per request", maxOperations)}
	}
	ops := make([]patchOp, 0, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, invalidSyntax(fmt.Sprintf("Operations[%d] is not an object", i))
		}
		opv, _ := lookup(m, "op")
		op, _ := opv.(string)
		op = strings.ToLower(op)
		if op != "add" && op != "replace" && op != "remove" {
			return nil, invalidSyntax(fmt.Sprintf("Operations[%d].op must be add, replace or remove", i))
		}
		pv, hasPath := lookup(m, "path")
		path, isString := pv.(string)
		if hasPath && pv != nil && !isString {
			return nil, invalidPath(fmt.Sprintf("Operations[%d].path must be a string", i))
		}
		value, has := lookup(m, "value")
		ops = append(ops, patchOp{op: op, path: path, value: normalize(value), has: has && value != nil})
	}
	return ops, nil
}

// applyPatch applies operations, in order, to a resource document whose
// core schema is core. Read-only attributes (id, meta) are left alone.
func applyPatch(doc map[string]any, ops []patchOp, core string) error {
	for i, op := range ops {
		if err := applyOp(doc, op, core); err != nil {
			if se, ok := err.(*scimError); ok {
				se.detail = fmt.Sprintf("Operations[%d]: %s", i, se.detail)
			}
			return err
		}
	}
	return nil
}

func applyOp(doc map[string]any, op patchOp, core string) error {
	if strings.TrimSpace(op.path) == "" || strings.EqualFold(strings.TrimSpace(op.path), core) {
		// No path: the value is an object of attributes to add or
		// replace, keyed by paths of their own ("name.givenName" is how
		// Entra and Okta send some).
		if op.op == "remove" {
			return noTarget("remove needs a path")
		}
		m, ok := op.value.(map[string]any)
		if !ok {
			return invalidValue("an operation without a path needs an object value")
		}
		for k, v := range m {
			sub := patchOp{op: op.op, path: k, value: v, has: v != nil}
			if isSchemaURN(k) && !strings.EqualFold(k, core) {
				if err := applyExtension(doc, sub); err != nil {
					return err
				}
				continue
			}
			if err := applyOp(doc, sub, core); err != nil {
				return err
			}
		}
		return nil
	}
	t, err := parsePath(op.path, core)
	if err != nil {
		return err
	}
	if readOnly(t) {
		return nil
	}
	if op.op != "remove" && !op.has {
		return invalidValue(op.op + " needs a value")
	}
	container := doc
	if t.schema != "" {
		ext, _ := lookup(doc, t.schema)
		m, ok := ext.(map[string]any)
		if !ok {
			if op.op == "remove" {
				return nil
			}
			m = map[string]any{}
			set(doc, t.schema, m)
		}
		container = m
	}
	if isSchemaURN(t.attr) {
		return applyExtension(doc, op)
	}
	if t.filter != nil {
		return applyFiltered(container, t, op)
	}
	return applyPlain(container, t, op)
}

// applyExtension applies an operation on a whole extension object, such as
// {"urn:…:enterprise:2.0:User": {"department": "R&D"}}.
func applyExtension(doc map[string]any, op patchOp) error {
	urn := canonical(strings.TrimSpace(op.path))
	if op.op == "remove" {
		del(doc, urn)
		return nil
	}
	m, ok := op.value.(map[string]any)
	if !ok {
		return invalidValue(urn + " takes an object")
	}
	cur, _ := lookup(doc, urn)
	ext, ok := cur.(map[string]any)
	if !ok {
		ext = map[string]any{}
	}
	for k, v := range m {
		set(ext, k, v)
	}
	set(doc, urn, ext)
	return nil
}

// readOnly reports targets a client cannot change: seatsync assigns them.
func readOnly(t target) bool {
	return t.schema == "" && (t.attr == "id" || t.attr == "meta")
}

// applyPlain applies an operation on an attribute or one sub-attribute of
// it, without a filter.
func applyPlain(m map[string]any, t target, op patchOp) error {
	cur, exists := lookup(m, t.attr)
	if t.sub != "" {
		switch c := cur.(type) {
		case []any: // a sub-attribute of every element
			for _, e := range c {
				if em, ok := e.(map[string]any); ok {
					setOrRemove(em, t.sub, op)
				}
			}
			if len(c) == 0 && op.op != "remove" {
				set(m, t.attr, []any{map[string]any{t.sub: op.value}})
			}
			return nil
		case map[string]any:
			setOrRemove(c, t.sub, op)
			return nil
		}
		if op.op == "remove" {
			return nil
		}
		set(m, t.attr, map[string]any{t.sub: op.value})
		return nil
	}
	switch op.op {
	case "remove":
		list, isList := cur.([]any)
		if !op.has || !isList {
			del(m, t.attr)
			return nil
		}
		// Entra removes members as {"path": "members", "value": [...]}:
		// only the listed elements go.
		set(m, t.attr, without(list, asList(op.value)))
	case "add":
		list, isList := cur.([]any)
		if isList || !exists {
			if vl, ok := op.value.([]any); ok {
				set(m, t.attr, union(list, vl))
				return nil
			}
		}
		if isList { // one element added to a multi-valued attribute
			set(m, t.attr, union(list, []any{op.value}))
			return nil
		}
		mergeOrSet(m, t.attr, cur, op.value)
	case "replace":
		mergeOrSet(m, t.attr, cur, op.value)
	}
	return nil
}

// applyFiltered applies an operation on the elements of a multi-valued
// attribute that match the path's filter, such as
// emails[type eq "work"].value or members[value eq "…"].
func applyFiltered(m map[string]any, t target, op patchOp) error {
	cur, _ := lookup(m, t.attr)
	list, isList := cur.([]any)
	if cur != nil && !isList {
		return invalidPath(t.attr + " is not multi-valued")
	}
	var kept []any
	matched := 0
	for _, e := range list {
		em, ok := e.(map[string]any)
		hit := false
		if ok {
			var err error
			if hit, err = matches(em, t.filter); err != nil {
				return err
			}
		}
		if !hit {
			kept = append(kept, e)
			continue
		}
		matched++
		switch {
		case op.op == "remove" && t.sub == "":
			continue // the element goes
		case t.sub != "":
			setOrRemove(em, t.sub, op)
		default:
			v, ok := op.value.(map[string]any)
			if !ok {
				return invalidValue("the value for " + t.attr + "[…] must be an object")
			}
			for k, val := range v {
				set(em, k, val)
			}
		}
		kept = append(kept, em)
	}
	if matched == 0 && op.op != "remove" {
		// Entra and Okta replace emails[type eq "work"].value on a user
		// who has no work email yet: the element the filter describes is
		// made.
		elem, ok := elementOf(t.filter)
		if !ok {
			return noTarget("no element of " + t.attr + " matches the path's filter")
		}
		if t.sub != "" {
			elem[t.sub] = op.value
		} else if v, ok := op.value.(map[string]any); ok {
			for k, val := range v {
				set(elem, k, val)
			}
		} else {
			return invalidValue("the value for " + t.attr + "[…] must be an object")
		}
		kept = append(kept, elem)
	}
	if kept == nil {
		kept = []any{}
	}
	set(m, t.attr, kept)
	return nil
}

func setOrRemove(m map[string]any, name string, op patchOp) {
	if op.op == "remove" {
		del(m, name)
		return
	}
	set(m, name, op.value)
}

// mergeOrSet replaces an attribute; a complex one keeps the sub-attributes
// the value does not name (RFC 7644 §3.5.2.3).
func mergeOrSet(m map[string]any, name string, cur, value any) {
	cm, curIsMap := cur.(map[string]any)
	vm, valIsMap := value.(map[string]any)
	if curIsMap && valIsMap {
		for k, v := range vm {
			set(cm, k, v)
		}
		return
	}
	set(m, name, value)
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// union appends the values not yet in list.
func union(list, values []any) []any {
	out := append([]any{}, list...)
	for _, v := range values {
		dup := false
		for _, e := range out {
			if sameValue(e, v) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out
}

// without drops the elements that are one of values.
func without(list, values []any) []any {
	out := []any{}
	for _, e := range list {
		drop := false
		for _, v := range values {
			if sameValue(e, v) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, e)
		}
	}
	return out
}

// matches evaluates a value filter on one element of a multi-valued
// attribute.
func matches(elem map[string]any, e filter.Expression) (bool, error) {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		l, err := matches(elem, x.Left)
		if err != nil {
			return false, err
		}
		r, err := matches(elem, x.Right)
		if err != nil {
			return false, err
		}
		if x.Operator == filter.AND {
			return l && r, nil
		}
		return l || r, nil
	case *filter.NotExpression:
		v, err := matches(elem, x.Expression)
		return !v, err
	case *filter.AttributeExpression:
		if x.AttributePath.SubAttribute != nil || x.AttributePath.URIPrefix != nil {
			return false, invalidFilter("a value filter names sub-attributes of the element only")
		}
		v, ok := lookup(elem, x.AttributePath.AttributeName)
		switch x.Operator {
		case filter.PR:
			return ok && v != nil, nil
		case filter.EQ:
			return ok && equalValues(v, compareValue(x.CompareValue)), nil
		case filter.NE:
			return !ok || !equalValues(v, compareValue(x.CompareValue)), nil
		case filter.CO, filter.SW, filter.EW:
			s, isString := v.(string)
			want, wantString := x.CompareValue.(string)
			if !isString || !wantString {
				return false, nil
			}
			s, want = strings.ToLower(s), strings.ToLower(want)
			switch x.Operator {
			case filter.CO:
				return strings.Contains(s, want), nil
			case filter.SW:
				return strings.HasPrefix(s, want), nil
			}
			return strings.HasSuffix(s, want), nil
		}
		return false, invalidFilter("operator " + string(x.Operator) + " is not supported in a PATCH path")
	}
	return false, invalidFilter("unsupported value filter in a PATCH path")
}

// compareValue makes a filter's literal comparable with a decoded JSON
// value.
func compareValue(v any) any {
	switch n := v.(type) {
	case int:
		return json.Number(fmt.Sprint(n))
	case float64:
		return json.Number(fmt.Sprint(n))
	}
	return v
}

// elementOf builds the element an and-chain of eq comparisons describes;
// false when the filter is anything else.
func elementOf(e filter.Expression) (map[string]any, bool) {
	switch x := e.(type) {
	case *filter.AttributeExpression:
		if x.Operator != filter.EQ || x.AttributePath.SubAttribute != nil || x.AttributePath.URIPrefix != nil {
			return nil, false
		}
		return map[string]any{canonical(x.AttributePath.AttributeName): x.CompareValue}, true
	case *filter.LogicalExpression:
		if x.Operator != filter.AND {
			return nil, false
		}
		l, ok := elementOf(x.Left)
		if !ok {
			return nil, false
		}
		r, ok := elementOf(x.Right)
		if !ok {
			return nil, false
		}
		for k, v := range r {
			l[k] = v
		}
		return l, true
	}
	return nil, false
}
