package webhooks

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Okta System Log events (one element of an event hook's data.events) →
// canonical commands. An Okta org is known to seatsync only by the source
// its hook posts to, so that name is the customer's provider id.
//
//	eventType                        command           fields
//	user.lifecycle.create            UserUpserted      Customer {okta, source}, ExternalID User target id,
//	user.lifecycle.activate                            Email User target alternateId (when it is an email
//	                                                   address; an Okta login need not be), Name User
//	                                                   target displayName, Status "active", GroupsSet false
//	user.lifecycle.deactivate        UserDeactivated   Customer {okta, source}, ExternalID User target id
//	user.lifecycle.suspend
//	user.lifecycle.delete.initiated
//	group.user_membership.add        UserGroupChanged  Customer {okta, source}, UserExternalID User target id,
//	group.user_membership.remove                       Group UserGroup target displayName, Member true|false
//	anything else                    ErrUnknownType    (acknowledged and ignored at the edge)
//
// An event whose outcome.result is present and not SUCCESS also decodes to
// ErrUnknownType: the System Log records failed attempts too, and applying a
// failed deactivation would unseat someone who is still active in Okta.

const (
	oktaTargetUser  = "User"
	oktaTargetGroup = "UserGroup"
)

type oktaTarget struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
}

type oktaLogEvent struct {
	EventType string `json:"eventType"`
	Published string `json:"published"`
	Outcome   *struct {
		Result string `json:"result"`
	} `json:"outcome"`
	Target []oktaTarget `json:"target"`
}

// decodeOkta decodes one stored Okta event object. Fields it does not use are
// ignored, since Okta adds fields all the time; the ones it uses are checked.
func decodeOkta(source string, payload []byte) (Envelope, error) {
	if err := checkID("source", source); err != nil {
		return Envelope{}, fmt.Errorf("okta event: %w: %w", err, ErrMalformed)
	}
	if p := bytes.TrimSpace(payload); len(p) == 0 || p[0] != '{' {
		return Envelope{}, fmt.Errorf("okta event: must be a JSON object: %w", ErrMalformed)
	}
	var e oktaLogEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return Envelope{}, fmt.Errorf("okta event: %w: %w", jsonErr(payload, &e, err, ""), ErrMalformed)
	}
	if err := checkID("eventType", e.EventType); err != nil {
		return Envelope{}, fmt.Errorf("okta event: %w: %w", err, ErrMalformed)
	}
	ts, err := parseIDPTime("published", e.Published)
	if err != nil {
		return Envelope{}, fmt.Errorf("okta event: %w: %w", err, ErrMalformed)
	}
	env := Envelope{Type: e.EventType, Timestamp: ts}
	var member bool
	switch e.EventType {
	case "user.lifecycle.create", "user.lifecycle.activate",
		"user.lifecycle.deactivate", "user.lifecycle.suspend", "user.lifecycle.delete.initiated":
	case "group.user_membership.add":
		member = true
	case "group.user_membership.remove":
	default:
		return env, fmt.Errorf("%w %q", ErrUnknownType, clip(e.EventType))
	}
	if e.Outcome != nil && e.Outcome.Result != "" && e.Outcome.Result != "SUCCESS" {
		return env, fmt.Errorf("%w: %s with outcome %q changed nothing", ErrUnknownType, e.EventType, clip(e.Outcome.Result))
	}
	cmd, err := oktaCommand(e, ProviderRef{Provider: "okta", ID: source}, member)
	if err != nil {
		return Envelope{}, fmt.Errorf("okta %s: %w: %w", e.EventType, err, ErrMalformed)
	}
	env.Command = cmd
	return env, nil
}

func oktaCommand(e oktaLogEvent, customer ProviderRef, member bool) (any, error) {
	user, err := oktaOneTarget(e.Target, oktaTargetUser)
	if err != nil {
		return nil, err
	}
	field := fmt.Sprintf("target[%d]", user)
	u := e.Target[user]
	if err := checkID(field+".id", u.ID); err != nil {
		return nil, err
	}
	switch e.EventType {
	case "user.lifecycle.create", "user.lifecycle.activate":
		email := u.AlternateID
		if checkEmail(field+".alternateId", email) != nil {
			email = "" // a login that is not an address; the user is still seated
		}
		if err := checkText(field+".displayName", u.DisplayName); err != nil {
			return nil, err
		}
		return UserUpserted{Customer: customer, ExternalID: u.ID, Email: email,
			Name: u.DisplayName, Status: "active"}, nil
	case "group.user_membership.add", "group.user_membership.remove":
		group, err := oktaOneTarget(e.Target, oktaTargetGroup)
		if err != nil {
			return nil, err
		}
		name := e.Target[group].DisplayName
		if err := checkID(fmt.Sprintf("target[%d].displayName", group), name); err != nil {
			return nil, err
		}
		return UserGroupChanged{Customer: customer, UserExternalID: u.ID, Group: name, Member: member}, nil
	}
	return UserDeactivated{Customer: customer, ExternalID: u.ID}, nil
}

// oktaOneTarget finds the index of the only target of a type. Two would leave
// open whom (or which group) the event is about.
func oktaOneTarget(targets []oktaTarget, typ string) (int, error) {
	found := -1
	for i, t := range targets {
		if t.Type != typ {
			continue
		}
		if found >= 0 {
			return 0, fmt.Errorf("target[%d] and target[%d] are both of type %s", found, i, typ)
		}
		found = i
	}
	if found < 0 {
		return 0, fmt.Errorf("target has no element of type %s", typ)
	}
	return found, nil
}
