package scim

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// The discovery routes (RFC 7644 §4) say what this service supports, so
// that a client configures itself: PATCH yes, filters (eq and and, up to
// maxResults), no bulk, sort, ETags or password changes.

func (h *Handler) serviceProviderConfig(c *gin.Context) {
	writeSCIM(c, http.StatusOK, gin.H{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": "https://github.com/seatsync/seatsync#provisioning-with-scim",
		"patch":            gin.H{"supported": true},
		"bulk":             gin.H{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           gin.H{"supported": true, "maxResults": maxResults},
		"changePassword":   gin.H{"supported": false},
		"sort":             gin.H{"supported": false},
		"etag":             gin.H{"supported": false},
		"authenticationSchemes": []gin.H{{
			"type": "oauthbearertoken", "name": "Bearer token", "primary": true,
			"description": "The customer's SCIM token, created with POST /v1/customers/{customer}/scim-tokens or `seatsync scim-token create`",
		}},
		"meta": gin.H{"resourceType": "ServiceProviderConfig", "location": base(c) + "/ServiceProviderConfig"},
	})
}

func resourceTypeList(c *gin.Context) []gin.H {
	return []gin.H{
		{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
			"id":      "User", "name": "User", "endpoint": "/Users", "description": "User account",
			"schema":           userSchema,
			"schemaExtensions": []gin.H{{"schema": enterpriseUser, "required": false}},
			"meta":             gin.H{"resourceType": "ResourceType", "location": base(c) + "/ResourceTypes/User"},
		},
		{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
			"id":      "Group", "name": "Group", "endpoint": "/Groups", "description": "Group",
			"schema": groupSchema,
			"meta":   gin.H{"resourceType": "ResourceType", "location": base(c) + "/ResourceTypes/Group"},
		},
	}
}

func (h *Handler) resourceTypes(c *gin.Context) {
	list := resourceTypeList(c)
	all := make([]any, len(list))
	for i, r := range list {
		all[i] = r
	}
	writeSCIM(c, http.StatusOK, listResponse(page{startIndex: 1}, len(all), all))
}

func (h *Handler) resourceType(c *gin.Context) {
	for _, r := range resourceTypeList(c) {
		if strings.EqualFold(r["id"].(string), c.Param("name")) {
			writeSCIM(c, http.StatusOK, r)
			return
		}
	}
	h.fail(c, notFound("no resource type "+clip(c.Param("name"))))
}

// attr describes one attribute in a Schema resource.
func attr(name, typ string, multi, required bool, uniqueness string, subs ...gin.H) gin.H {
	a := gin.H{
		"name": name, "type": typ, "multiValued": multi, "required": required,
		"caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": uniqueness,
	}
	if len(subs) > 0 {
		a["subAttributes"] = subs
	}
	return a
}

func schemaList(c *gin.Context) []gin.H {
	schema := func(id, name string, attrs ...gin.H) gin.H {
		return gin.H{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Schema"},
			"id":      id, "name": name, "attributes": attrs,
			"meta": gin.H{"resourceType": "Schema", "location": base(c) + "/Schemas/" + id},
		}
	}
	return []gin.H{
		schema(userSchema, "User",
			attr("userName", "string", false, true, "server"),
			attr("externalId", "string", false, false, "none"),
			attr("name", "complex", false, false, "none",
				attr("formatted", "string", false, false, "none"),
				attr("familyName", "string", false, false, "none"),
				attr("givenName", "string", false, false, "none")),
			attr("displayName", "string", false, false, "none"),
			attr("active", "boolean", false, false, "none"),
			attr("emails", "complex", true, false, "none",
				attr("value", "string", false, false, "none"),
				attr("type", "string", false, false, "none"),
				attr("primary", "boolean", false, false, "none")),
		),
		schema(groupSchema, "Group",
			attr("displayName", "string", false, true, "server"),
			attr("externalId", "string", false, false, "none"),
			attr("members", "complex", true, false, "none",
				attr("value", "string", false, false, "none"),
				attr("display", "string", false, false, "none")),
		),
		schema(enterpriseUser, "EnterpriseUser",
			attr("employeeNumber", "string", false, false, "none"),
			attr("department", "string", false, false, "none"),
		),
	}
}

func (h *Handler) schemas(c *gin.Context) {
	list := schemaList(c)
	all := make([]any, len(list))
	for i, s := range list {
		all[i] = s
	}
	writeSCIM(c, http.StatusOK, listResponse(page{startIndex: 1}, len(all), all))
}

func (h *Handler) schema(c *gin.Context) {
	for _, s := range schemaList(c) {
		if strings.EqualFold(s["id"].(string), c.Param("uri")) {
			writeSCIM(c, http.StatusOK, s)
			return
		}
	}
	h.fail(c, notFound("no schema "+clip(c.Param("uri"))))
}
