package scim

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

// maxAttributeLength bounds userName, externalId and the names.
const maxAttributeLength = 1024

// userFields are what seatsync takes out of a User document.
type userFields struct {
	userName    string
	externalID  *string
	displayName string
	emails      []any
	active      *bool // nil: not sent
	name        string
	email       string
}

// extractUser validates a User document and takes its fields out,
// normalising what Entra sends as strings ("active": "False") in place.
func extractUser(doc map[string]any) (userFields, error) {
	var f userFields
	un, _ := lookup(doc, "userName")
	s, ok := un.(string)
	if !ok || strings.TrimSpace(s) == "" {
		return f, invalidValue("userName is required and must be a non-empty string")
	}
	f.userName = s
	var err error
	if f.externalID, err = optionalString(doc, "externalId"); err != nil {
		return f, err
	}
	dn, err := optionalString(doc, "displayName")
	if err != nil {
		return f, err
	}
	if dn != nil {
		f.displayName = *dn
	}
	if v, ok := lookup(doc, "active"); ok && v != nil {
		b, err := boolean("active", v)
		if err != nil {
			return f, err
		}
		f.active = &b
		set(doc, "active", b)
	}
	var given, family, formatted string
	if v, ok := lookup(doc, "name"); ok && v != nil {
		nm, ok := v.(map[string]any)
		if !ok {
			return f, invalidValue("name must be an object")
		}
		for _, p := range []struct {
			attr string
			dst  *string
		}{{"givenName", &given}, {"familyName", &family}, {"formatted", &formatted}} {
			s, err := optionalString(nm, p.attr)
			if err != nil {
				return f, invalidValue("name." + err.Error())
			}
			if s != nil {
				*p.dst = *s
			}
		}
	}
	if f.emails, f.email, err = extractEmails(doc); err != nil {
		return f, err
	}
	f.name = firstNonEmpty(f.displayName, formatted, strings.TrimSpace(given+" "+family), f.userName)
	for _, s := range []string{f.userName, f.displayName, f.name, f.email} {
		if len(s) > maxAttributeLength {
			return f, invalidValue(fmt.Sprintf("attributes are at most %d characters", maxAttributeLength))
		}
	}
	if f.externalID != nil && len(*f.externalID) > maxAttributeLength {
		return f, invalidValue(fmt.Sprintf("externalId is at most %d characters", maxAttributeLength))
	}
	return f, nil
}

// extractEmails checks emails and picks the one seatsync keeps: the
// primary, else the work one, else the first.
func extractEmails(doc map[string]any) ([]any, string, error) {
	v, ok := lookup(doc, "emails")
	if !ok || v == nil {
		return []any{}, "", nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, "", invalidValue("emails must be an array of email objects")
	}
	var primary, work, first string
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, "", invalidValue(fmt.Sprintf("emails[%d] must be an object", i))
		}
		value, err := optionalString(m, "value")
		if err != nil || value == nil {
			return nil, "", invalidValue(fmt.Sprintf("emails[%d].value must be a string", i))
		}
		if p, ok := lookup(m, "primary"); ok && p != nil {
			b, err := boolean(fmt.Sprintf("emails[%d].primary", i), p)
			if err != nil {
				return nil, "", err
			}
			set(m, "primary", b)
			if b && primary == "" {
				primary = *value
			}
		}
		if t, _ := lookup(m, "type"); t == "work" && work == "" {
			work = *value
		}
		if first == "" {
			first = *value
		}
	}
	set(doc, "emails", list)
	return list, firstNonEmpty(primary, work, first), nil
}

// boolean reads a SCIM boolean; Entra sends some as "True" and "False".
func boolean(attr string, v any) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(b)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, invalidValue(attr + " must be a boolean")
}

func optionalString(m map[string]any, attr string) (*string, error) {
	v, ok := lookup(m, attr)
	if !ok || v == nil {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, invalidValue(attr + " must be a string")
	}
	return &s, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// storedUser is what a User document is kept as: without what seatsync
// assigns (id, meta), what it must never keep (password), what it owns
// elsewhere (active is the seatsync user's status; groups are the groups').
func storedUser(id string, f userFields, doc map[string]any) (storage.SCIMUserInput, error) {
	keep := make(map[string]any, len(doc))
	for k, v := range doc {
		switch k {
		case "id", "meta", "password", "active", "groups":
			continue
		}
		keep[k] = v
	}
	resource, err := json.Marshal(keep)
	if err != nil {
		return storage.SCIMUserInput{}, invalidValue("the resource cannot be stored: " + err.Error())
	}
	emails, err := json.Marshal(f.emails)
	if err != nil {
		return storage.SCIMUserInput{}, invalidValue("emails cannot be stored: " + err.Error())
	}
	return storage.SCIMUserInput{
		ID: id, UserName: f.userName, ExternalID: f.externalID, DisplayName: f.displayName,
		Emails: emails, Resource: resource,
	}, nil
}

// userDocument is a stored user as a document, the base a PATCH applies
// to.
func userDocument(u storage.SCIMUser) (map[string]any, error) {
	doc, err := decodeDocument(u.Resource)
	if err != nil {
		return nil, fmt.Errorf("scim user %s: stored resource: %w", u.ID, err)
	}
	doc["active"] = u.Active
	return doc, nil
}

// renderUser is a user as answered.
func renderUser(c *gin.Context, u storage.SCIMUser) (map[string]any, error) {
	doc, err := userDocument(u)
	if err != nil {
		return nil, err
	}
	doc["id"] = u.ID
	doc["userName"] = u.UserName
	doc["schemas"] = withSchema(doc, userSchema)
	doc["meta"] = meta(c, "User", "Users", u.ID, u.CreatedAt, u.UpdatedAt)
	return doc, nil
}

// withSchema lists the core schema first, plus the extensions present.
func withSchema(doc map[string]any, core string) []string {
	out := []string{core}
	if _, ok := doc[enterpriseUser]; ok && core == userSchema {
		out = append(out, enterpriseUser)
	}
	return out
}

func meta(c *gin.Context, resourceType, path, id string, created, modified time.Time) map[string]any {
	return map[string]any{
		"resourceType": resourceType,
		"created":      created.UTC().Format(time.RFC3339),
		"lastModified": modified.UTC().Format(time.RFC3339),
		"location":     location(c, path, id),
	}
}
