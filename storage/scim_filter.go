package storage

import (
	"fmt"
	"strings"
)

// SCIMField is an attribute a SCIM list can be filtered on. Filters reach
// SQL only as these fields with parameters: the filter text never does.
type SCIMField int

// The filterable attributes.
const (
	SCIMFieldID SCIMField = iota
	SCIMFieldUserName
	SCIMFieldExternalID
	SCIMFieldDisplayName
	// SCIMFieldEmail matches any of a user's emails, or with Type only
	// those of that type (emails[type eq "work"].value).
	SCIMFieldEmail
)

// SCIMPredicate is one `field eq value` of a filter; a list's predicates
// all hold (and).
type SCIMPredicate struct {
	Field SCIMField
	Value string
	Type  string // for SCIMFieldEmail: the email type, "" for any
}

// scimPredicateSQL is the fixed SQL of each field, over the alias s; %[1]d
// and %[2]d are the numbers of its parameters (value, then type).
var scimPredicateSQL = map[SCIMField]string{
	SCIMFieldID:          `s.id::text = $%[1]d`,
	SCIMFieldUserName:    `lower(s.user_name) = lower($%[1]d)`,
	SCIMFieldExternalID:  `s.external_id = $%[1]d`,
	SCIMFieldDisplayName: `lower(s.display_name) = lower($%[1]d)`,
	SCIMFieldEmail: `EXISTS (SELECT 1 FROM jsonb_array_elements(s.emails) e
		WHERE lower(e->>'value') = lower($%[1]d) AND ($%[2]d = '' OR lower(e->>'type') = lower($%[2]d)))`,
}

// scimWhere turns predicates into SQL conditions joined by AND, numbering
// their parameters after the first `next-1` ones, and appends the values to
// args.
func scimWhere(preds []SCIMPredicate, args []any) (string, []any, error) {
	var conds []string
	for _, p := range preds {
		tmpl, ok := scimPredicateSQL[p.Field]
		if !ok {
			return "", nil, fmt.Errorf("scim filter field %d: %w", p.Field, ErrNotFound)
		}
		args = append(args, p.Value)
		if p.Field == SCIMFieldEmail {
			args = append(args, p.Type)
			conds = append(conds, fmt.Sprintf(tmpl, len(args)-1, len(args)))
			continue
		}
		conds = append(conds, fmt.Sprintf(tmpl, len(args)))
	}
	if len(conds) == 0 {
		return "true", args, nil
	}
	return strings.Join(conds, " AND "), args, nil
}
