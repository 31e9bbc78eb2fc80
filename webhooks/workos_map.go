package webhooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// WorkOS Directory Sync events → canonical commands. The customer is always
// named by the directory's WorkOS organization (SPEC §2), never by seatsync's
// external id, which a WorkOS payload does not carry.
//
//	event                     command           fields
//	dsync.user.created        UserUpserted      Customer {workos, data.organization_id}, ExternalID data.id,
//	dsync.user.updated                          Email primary data.emails[] (else data.email),
//	                                            Name first_name + " " + last_name (else data.name),
//	                                            Status "active" when data.state is "active", else "deactivated"
//	                                            (WorkOS: inactive, suspended), GroupsSet false
//	dsync.user.deleted        UserDeactivated   Customer {workos, data.organization_id}, ExternalID data.id
//	dsync.group.user_added    UserGroupChanged  Customer {workos, data.user.organization_id, else
//	dsync.group.user_removed                    data.group.organization_id, else data.organization_id},
//	                                            UserExternalID data.user.id, Group data.group.name,
//	                                            Member true for user_added, false for user_removed
//	anything else             ErrUnknownType    (acknowledged and ignored at the edge)
//
// Groups stay unset on user events: WorkOS reports memberships one at a time
// through the group events, and its user.groups field is deprecated (empty
// for new teams), so reading it would wipe memberships.

type workosEnvelope struct {
	Event     string          `json:"event"`
	CreatedAt string          `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

type workosUser struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	Email          string `json:"email"`
	Emails         []struct {
		Value   string `json:"value"`
		Primary bool   `json:"primary"`
	} `json:"emails"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Name      string `json:"name"`
	State     string `json:"state"`
}

type workosMembership struct {
	OrganizationID string     `json:"organization_id"`
	User           workosUser `json:"user"`
	Group          struct {
		Name           string `json:"name"`
		OrganizationID string `json:"organization_id"`
	} `json:"group"`
}

// decodeWorkOS decodes a stored WorkOS event body. Fields it does not use are
// ignored, since WorkOS adds fields all the time; the ones it uses are checked.
func decodeWorkOS(payload []byte) (Envelope, error) {
	var w workosEnvelope
	if err := json.Unmarshal(payload, &w); err != nil {
		return Envelope{}, fmt.Errorf("workos event: %w: %w", jsonErr(payload, &w, err, ""), ErrMalformed)
	}
	if err := checkID("event", w.Event); err != nil {
		return Envelope{}, fmt.Errorf("workos event: %w: %w", jsonErr(payload, &w, err, ""), ErrMalformed)
	}
	ts, err := parseIDPTime("created_at", w.CreatedAt)
	if err != nil {
		return Envelope{}, fmt.Errorf("workos event: %w: %w", jsonErr(payload, &w, err, ""), ErrMalformed)
	}
	env := Envelope{Type: w.Event, Timestamp: ts}
	var cmd any
	switch w.Event {
	case "dsync.user.created", "dsync.user.updated", "dsync.user.deleted":
		cmd, err = workosUserCommand(w.Event, w.Data)
	case "dsync.group.user_added", "dsync.group.user_removed":
		cmd, err = workosMembershipCommand(w.Event == "dsync.group.user_added", w.Data)
	default:
		return env, fmt.Errorf("%w %q", ErrUnknownType, clip(w.Event))
	}
	if err != nil {
		return Envelope{}, fmt.Errorf("workos %s: %w: %w", w.Event, err, ErrMalformed)
	}
	env.Command = cmd
	return env, nil
}

// decodeWorkOSData insists on an object: null or a missing data would
// otherwise decode as a user with every field empty.
func decodeWorkOSData(raw json.RawMessage, v any) error {
	if data := bytes.TrimSpace(raw); len(data) == 0 || data[0] != '{' {
		return fmt.Errorf("data must be a JSON object")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return jsonErr(raw, v, err, "data.")
	}
	return nil
}

func workosUserCommand(event string, raw json.RawMessage) (any, error) {
	var u workosUser
	if err := decodeWorkOSData(raw, &u); err != nil {
		return nil, err
	}
	customer := ProviderRef{Provider: "workos", ID: u.OrganizationID}
	if err := firstErr(checkID("data.organization_id", u.OrganizationID), checkID("data.id", u.ID)); err != nil {
		return nil, err
	}
	if event == "dsync.user.deleted" {
		return UserDeactivated{Customer: customer, ExternalID: u.ID}, nil
	}
	email, emailField := workosEmail(u)
	name := strings.TrimSpace(strings.TrimSpace(u.FirstName) + " " + strings.TrimSpace(u.LastName))
	if name == "" {
		name = strings.TrimSpace(u.Name)
	}
	status := "deactivated"
	if u.State == "active" {
		status = "active"
	}
	if err := firstErr(checkEmail(emailField, email), checkText("data.first_name + data.last_name", name),
		checkID("data.state", u.State)); err != nil {
		return nil, err
	}
	return UserUpserted{Customer: customer, ExternalID: u.ID, Email: email, Name: name, Status: status}, nil
}

// workosEmail picks the primary address of the deprecated emails list, else
// the newer single email field. It also names the field for error messages.
func workosEmail(u workosUser) (email, field string) {
	for i, e := range u.Emails {
		if e.Primary && e.Value != "" {
			return e.Value, fmt.Sprintf("data.emails[%d].value", i)
		}
	}
	return u.Email, "data.email"
}

func workosMembershipCommand(member bool, raw json.RawMessage) (any, error) {
	var m workosMembership
	if err := decodeWorkOSData(raw, &m); err != nil {
		return nil, err
	}
	org, err := workosMembershipOrg(m)
	if err != nil {
		return nil, err
	}
	if err := firstErr(checkID("data.user.id", m.User.ID), checkID("data.group.name", m.Group.Name)); err != nil {
		return nil, err
	}
	return UserGroupChanged{
		Customer:       ProviderRef{Provider: "workos", ID: org},
		UserExternalID: m.User.ID,
		Group:          m.Group.Name,
		Member:         member,
	}, nil
}

// workosMembershipOrg finds the organization of a membership event. WorkOS
// documents it on the embedded user and group; a top-level one is accepted
// too. Where several are present they must agree, or the event could seat a
// user in the wrong customer.
func workosMembershipOrg(m workosMembership) (string, error) {
	candidates := []struct{ field, id string }{
		{"data.user.organization_id", m.User.OrganizationID},
		{"data.group.organization_id", m.Group.OrganizationID},
		{"data.organization_id", m.OrganizationID},
	}
	org, from := "", ""
	for _, c := range candidates {
		switch {
		case c.id == "":
		case org == "":
			org, from = c.id, c.field
		case c.id != org:
			return "", fmt.Errorf("%s %q differs from %s %q", c.field, clip(c.id), from, clip(org))
		}
	}
	if org == "" {
		return "", fmt.Errorf("data.user.organization_id is required")
	}
	return org, checkID(from, org)
}
