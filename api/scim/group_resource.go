package scim

import (
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

// maxMembers bounds the members of one group as a request sets them.
const maxMembers = 10000

// groupFields are what seatsync takes out of a Group document. members is
// nil when the document has no members attribute.
type groupFields struct {
	displayName string
	externalID  *string
	members     []string
	hasMembers  bool
}

// extractGroup validates a Group document and takes its fields out.
func extractGroup(doc map[string]any) (groupFields, error) {
	var f groupFields
	dn, _ := lookup(doc, "displayName")
	s, ok := dn.(string)
	if !ok || strings.TrimSpace(s) == "" {
		return f, invalidValue("displayName is required and must be a non-empty string")
	}
	if len(s) > maxAttributeLength {
		return f, invalidValue(fmt.Sprintf("displayName is at most %d characters", maxAttributeLength))
	}
	f.displayName = s
	var err error
	if f.externalID, err = optionalString(doc, "externalId"); err != nil {
		return f, err
	}
	v, ok := lookup(doc, "members")
	if !ok {
		return f, nil
	}
	f.hasMembers = true
	if v == nil {
		return f, nil
	}
	list, ok := v.([]any)
	if !ok {
		return f, invalidValue("members must be an array of member objects")
	}
	if len(list) > maxMembers {
		return f, invalidValue(fmt.Sprintf("a group has at most %d members", maxMembers))
	}
	seen := make(map[string]bool, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return f, invalidValue(fmt.Sprintf("members[%d] must be an object", i))
		}
		value, err := optionalString(m, "value")
		if err != nil || value == nil || *value == "" {
			return f, invalidValue(fmt.Sprintf("members[%d].value must be a user id", i))
		}
		if !seen[*value] {
			seen[*value] = true
			f.members = append(f.members, *value)
		}
	}
	return f, nil
}

// groupDocument is a stored group as a document, the base a PATCH
// applies to.
func groupDocument(g storage.SCIMGroup) map[string]any {
	members := make([]any, len(g.Members))
	for i, m := range g.Members {
		members[i] = map[string]any{"value": m.Value}
	}
	doc := map[string]any{"displayName": g.DisplayName, "members": members}
	if g.ExternalID != nil {
		doc["externalId"] = *g.ExternalID
	}
	return doc
}

// renderGroup is a group as answered; members are left out when the
// request excluded them.
func renderGroup(c *gin.Context, g storage.SCIMGroup, withMembers bool) map[string]any {
	out := map[string]any{
		"schemas":     []string{groupSchema},
		"id":          g.ID,
		"displayName": g.DisplayName,
		"meta":        meta(c, "Group", "Groups", g.ID, g.CreatedAt, g.UpdatedAt),
	}
	if g.ExternalID != nil {
		out["externalId"] = *g.ExternalID
	}
	if withMembers {
		members := make([]any, len(g.Members))
		for i, m := range g.Members {
			members[i] = map[string]any{"value": m.Value, "display": m.Display, "type": "User", "$ref": location(c, "Users", m.Value)}
		}
		out["members"] = members
	}
	return out
}
