package scim

import (
	"fmt"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/seatsync/seatsync/storage"
)

// maxFilterLength bounds a filter: the parser's work grows with it.
const maxFilterLength = 1024

// The filters Okta and Entra send are `eq` comparisons joined by `and` on
// a few attributes; those are what this service supports, and each
// becomes one of storage's fixed, parameterised predicates. Anything else
// is answered 400 invalidFilter.

// userFilters are the User attributes a filter may compare.
var userFilters = map[string]storage.SCIMField{
	"id": storage.SCIMFieldID, "username": storage.SCIMFieldUserName,
	"externalid": storage.SCIMFieldExternalID, "displayname": storage.SCIMFieldDisplayName,
	"emails": storage.SCIMFieldEmail, "emails.value": storage.SCIMFieldEmail,
}

// groupFilters are the Group attributes a filter may compare.
var groupFilters = map[string]storage.SCIMField{
	"id": storage.SCIMFieldID, "displayname": storage.SCIMFieldDisplayName, "externalid": storage.SCIMFieldExternalID,
}

// parseFilter turns a filter of a resource (core schema core, filterable
// attributes fields) into predicates that must all hold.
func parseFilter(raw, core string, fields map[string]storage.SCIMField) (preds []storage.SCIMPredicate, err error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil
	}
	if len(raw) > maxFilterLength {
		return nil, invalidFilter(fmt.Sprintf("filter is longer than %d characters", maxFilterLength))
	}
	defer func() {
		if r := recover(); r != nil {
			preds, err = nil, invalidFilter("filter is not a SCIM filter")
		}
	}()
	expr, perr := filter.ParseFilter([]byte(rewriteValuePathSub(raw)))
	if perr != nil {
		return nil, invalidFilter("filter is not a SCIM filter: " + clip(raw))
	}
	if err := collect(expr, core, fields, &preds); err != nil {
		return nil, err
	}
	return preds, nil
}

// collect walks an and-tree of comparisons.
func collect(e filter.Expression, core string, fields map[string]storage.SCIMField, out *[]storage.SCIMPredicate) error {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		if x.Operator != filter.AND {
			return invalidFilter("only eq comparisons joined by and are supported")
		}
		if err := collect(x.Left, core, fields, out); err != nil {
			return err
		}
		return collect(x.Right, core, fields, out)
	case *filter.AttributeExpression:
		p, err := comparison(x, core, fields)
		if err != nil {
			return err
		}
		*out = append(*out, p)
		return nil
	case *filter.ValuePath:
		p, err := emailValuePath(x, core, fields)
		if err != nil {
			return err
		}
		*out = append(*out, p)
		return nil
	}
	return invalidFilter("only eq comparisons joined by and are supported")
}

// comparison is one `attribute eq "value"`.
func comparison(x *filter.AttributeExpression, core string, fields map[string]storage.SCIMField) (storage.SCIMPredicate, error) {
	if uri := x.AttributePath.URI(); uri != "" && !strings.EqualFold(uri, core) {
		return storage.SCIMPredicate{}, invalidFilter("filtering on " + clip(uri) + " attributes is not supported")
	}
	name := strings.ToLower(x.AttributePath.AttributeName)
	if sub := x.AttributePath.SubAttributeName(); sub != "" {
		name += "." + strings.ToLower(sub)
	}
	field, ok := fields[name]
	if !ok {
		return storage.SCIMPredicate{}, invalidFilter("filtering on " + clip(x.AttributePath.String()) + " is not supported")
	}
	if x.Operator != filter.EQ {
		return storage.SCIMPredicate{}, invalidFilter("operator " + clip(string(x.Operator)) + " is not supported; use eq")
	}
	value, ok := x.CompareValue.(string)
	if !ok {
		return storage.SCIMPredicate{}, invalidFilter(clip(x.AttributePath.String()) + " is compared with a string")
	}
	return storage.SCIMPredicate{Field: field, Value: value}, nil
}

// emailValuePath is emails[type eq "work" and value eq "…"], which is what
// Entra's emails[type eq "work"].value eq "…" reads as once rewritten.
func emailValuePath(x *filter.ValuePath, core string, fields map[string]storage.SCIMField) (storage.SCIMPredicate, error) {
	if _, ok := fields["emails"]; !ok || !strings.EqualFold(x.AttributePath.AttributeName, "emails") ||
		x.AttributePath.SubAttribute != nil || (x.AttributePath.URI() != "" && !strings.EqualFold(x.AttributePath.URI(), core)) {
		return storage.SCIMPredicate{}, invalidFilter("only emails[type eq \"…\"].value eq \"…\" is supported as a value filter")
	}
	var inner []*filter.AttributeExpression
	if err := flattenAnd(x.ValueFilter, &inner); err != nil {
		return storage.SCIMPredicate{}, err
	}
	p := storage.SCIMPredicate{Field: storage.SCIMFieldEmail}
	var haveValue, haveType bool
	for _, a := range inner {
		v, ok := a.CompareValue.(string)
		if a.Operator != filter.EQ || !ok || a.AttributePath.SubAttribute != nil || a.AttributePath.URIPrefix != nil {
			return storage.SCIMPredicate{}, invalidFilter("an emails value filter compares type and value with eq and a string")
		}
		switch strings.ToLower(a.AttributePath.AttributeName) {
		case "value":
			if haveValue {
				return storage.SCIMPredicate{}, invalidFilter("an emails value filter compares value once")
			}
			p.Value, haveValue = v, true
		case "type":
			if haveType {
				return storage.SCIMPredicate{}, invalidFilter("an emails value filter compares type once")
			}
			p.Type, haveType = v, true
		default:
			return storage.SCIMPredicate{}, invalidFilter("an emails value filter compares type and value only")
		}
	}
	if !haveValue {
		return storage.SCIMPredicate{}, invalidFilter("an emails value filter must compare value")
	}
	return p, nil
}

func flattenAnd(e filter.Expression, out *[]*filter.AttributeExpression) error {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		if x.Operator != filter.AND {
			return invalidFilter("only eq comparisons joined by and are supported")
		}
		if err := flattenAnd(x.Left, out); err != nil {
			return err
		}
		return flattenAnd(x.Right, out)
	case *filter.AttributeExpression:
		*out = append(*out, x)
		return nil
	}
	return invalidFilter("only eq comparisons joined by and are supported")
}

// rewriteValuePathSub rewrites `attr[F].sub op v` into `attr[F and sub op
// v]`: Entra sends the first (`emails[type eq "work"].value eq "…"`), RFC
// 7644's grammar has only the second, and they mean the same. The text is
// only rearranged for the parser, never used as SQL. Brackets inside
// quoted strings are skipped.
func rewriteValuePathSub(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		open := indexUnquoted(s, i, '[')
		if open < 0 {
			b.WriteString(s[i:])
			break
		}
		end := indexUnquoted(s, open, ']')
		if end < 0 {
			b.WriteString(s[i:])
			break
		}
		inner := s[open+1 : end]
		rest := s[end+1:]
		if !strings.HasPrefix(rest, ".") {
			b.WriteString(s[i : end+1])
			i = end + 1
			continue
		}
		// .sub op value: up to the end of the comparison, which ends at
		// the next unquoted space after the value.
		cmpEnd := comparisonEnd(rest[1:])
		if cmpEnd < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : open+1])
		b.WriteString(inner + " and " + rest[1:1+cmpEnd] + "]")
		i = end + 1 + 1 + cmpEnd
	}
	return b.String()
}

// comparisonEnd finds where `sub op value` ends in s: after three words,
// the value possibly quoted.
func comparisonEnd(s string) int {
	words, i := 0, 0
	for words < 3 {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			return -1
		}
		if s[i] == '"' {
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return -1
			}
			i = j + 1
		} else {
			for i < len(s) && s[i] != ' ' && s[i] != ')' {
				i++
			}
		}
		words++
	}
	return i
}

// indexUnquoted finds c in s from start, outside double-quoted strings.
func indexUnquoted(s string, start int, c byte) int {
	quoted := false
	for i := start; i < len(s); i++ {
		switch {
		case quoted && s[i] == '\\':
			i++
		case s[i] == '"':
			quoted = !quoted
		case !quoted && s[i] == c:
			return i
		}
	}
	return -1
}
