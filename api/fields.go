package api

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
)

// Limits on the fields of write requests. They are the inbound canonical
// events' limits (webhooks/doc.go), so that whatever a webhook may set, the
// API may set too, and the other way round.
const (
	maxIDLen    = 255
	maxTextLen  = 1024
	maxEmailLen = 254 // RFC 5321's limit on a forward path
)

// checkIDField validates a required identifier: an external id, a product
// id, a group name. Surrounding white space is refused rather than trimmed:
// "a" and "a " would otherwise be two customers.
func checkIDField(name, v string) error {
	switch {
	case v == "":
		return invalidParameter(name, name+" is required and must not be empty")
	case len(v) > maxIDLen:
		return invalidParameter(name, fmt.Sprintf("%s is %d bytes long, the limit is %d", name, len(v), maxIDLen))
	case strings.TrimSpace(v) != v:
		return invalidParameter(name, fmt.Sprintf("%s %q has leading or trailing white space", name, clipped(v)))
	}
	return checkTextField(name, v)
}

// checkTextField validates optional free text, such as a name.
func checkTextField(name, v string) error {
	switch {
	case len(v) > maxTextLen:
		return invalidParameter(name, fmt.Sprintf("%s is %d bytes long, the limit is %d", name, len(v), maxTextLen))
	case strings.ContainsFunc(v, unicode.IsControl):
		return invalidParameter(name, name+" contains control characters")
	}
	return nil
}

// checkEmailField validates an optional address: "" is none. It must be a
// bare address (no display name), since invitations are matched against it.
func checkEmailField(name, v string) error {
	if v == "" {
		return nil
	}
	if len(v) > maxEmailLen {
		return invalidParameter(name, fmt.Sprintf("%s is %d bytes long, the limit is %d", name, len(v), maxEmailLen))
	}
	if addr, err := mail.ParseAddress(v); err != nil || addr.Address != v {
		return invalidParameter(name, fmt.Sprintf("%s %q is not an email address such as jane@example.com", name, clipped(v)))
	}
	return checkTextField(name, v)
}

// checkEnumField validates a value that must be one of allowed.
func checkEnumField(name, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return invalidParameter(name, fmt.Sprintf("%s %q is not one of %s", name, clipped(v), strings.Join(allowed, ", ")))
}

// clipped bounds caller-controlled text quoted back in an error message.
func clipped(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}
