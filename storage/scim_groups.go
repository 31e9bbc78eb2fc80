package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// SCIMGroup is a SCIM Group resource of one customer. Members are loaded
// only when asked for (excludedAttributes=members skips them).
type SCIMGroup struct {
	ID          string      `db:"id"`
	CustomerID  string      `db:"customer_id"`
	DisplayName string      `db:"display_name"`
	ExternalID  *string     `db:"external_id"`
	CreatedAt   time.Time   `db:"created_at"`
	UpdatedAt   time.Time   `db:"updated_at"`
	Members     SCIMMembers `db:"members"`
}

// SCIMMember is one member of a group: a SCIM user id and its userName.
type SCIMMember struct {
	Value   string `json:"value"`
	Display string `json:"display"`
}

// SCIMMembers reads the JSON array scimGroupColumns builds.
type SCIMMembers []SCIMMember

// Scan reads a JSON array of members.
func (m *SCIMMembers) Scan(src any) error {
	b, ok := src.([]byte)
	if !ok {
		return fmt.Errorf("scim members: want JSON bytes, got %T", src)
	}
	return json.Unmarshal(b, m)
}

// scimGroupColumns reads a group, with its members in join order when
// $2 is true and none when false.
const scimGroupColumns = `s.id, s.customer_id, s.display_name, s.external_id, s.created_at, s.updated_at,
	CASE WHEN $2::boolean THEN (SELECT COALESCE(jsonb_agg(jsonb_build_object('value', m.user_id, 'display', u.user_name)
	                                          ORDER BY m.seq), '[]')
	     FROM scim_group_members m JOIN scim_users u ON u.customer_id = m.customer_id AND u.id = m.user_id
	     WHERE m.group_id = s.id) ELSE '[]' END AS members
	FROM scim_groups s`

// InsertSCIMGroup records a new group without members. A displayName taken
// in the customer (in any case) is ErrConflict.
func (tx *Tx) InsertSCIMGroup(ctx context.Context, customerID, displayName string, externalID *string) (string, error) {
	var id string
	err := tx.x.GetContext(ctx, &id, `
		INSERT INTO scim_groups (customer_id, display_name, external_id) VALUES ($1, $2, $3) RETURNING id`,
		customerID, displayName, externalID)
	return id, wrapf(err, "insert scim group %s", displayName)
}

// UpdateSCIMGroup renames a group or changes its externalId.
func (tx *Tx) UpdateSCIMGroup(ctx context.Context, customerID, id, displayName string, externalID *string) error {
	_, err := tx.x.ExecContext(ctx, `
		UPDATE scim_groups SET display_name = $3, external_id = $4, updated_at = now()
		WHERE customer_id = $1 AND id::text = $2`, customerID, id, displayName, externalID)
	return wrapf(err, "update scim group %s", id)
}

// SetSCIMGroupMember adds a SCIM user to a group or removes them.
func (tx *Tx) SetSCIMGroupMember(ctx context.Context, customerID, groupID, userID string, member bool) error {
	stmt := `INSERT INTO scim_group_members (group_id, customer_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
	if !member {
		stmt = `DELETE FROM scim_group_members WHERE group_id = $1 AND customer_id = $2 AND user_id = $3`
	}
	_, err := tx.x.ExecContext(ctx, stmt, groupID, customerID, userID)
	return wrapf(err, "change member %s of scim group %s", userID, groupID)
}

// TouchSCIMGroup moves a group's lastModified to now.
func (tx *Tx) TouchSCIMGroup(ctx context.Context, customerID, id string) error {
	_, err := tx.x.ExecContext(ctx, `UPDATE scim_groups SET updated_at = now() WHERE customer_id = $1 AND id::text = $2`, customerID, id)
	return wrapf(err, "touch scim group %s", id)
}

// DeleteSCIMGroup deletes a group and its memberships.
func (tx *Tx) DeleteSCIMGroup(ctx context.Context, customerID, id string) error {
	_, err := tx.x.ExecContext(ctx, `DELETE FROM scim_groups WHERE customer_id = $1 AND id::text = $2`, customerID, id)
	return wrapf(err, "delete scim group %s", id)
}

// LockSCIMGroup returns a group with its members and locks it until the
// transaction ends; ErrNotFound when the customer has no such group.
func (tx *Tx) LockSCIMGroup(ctx context.Context, customerID, id string) (SCIMGroup, error) {
	var g SCIMGroup
	err := tx.x.GetContext(ctx, &g, `SELECT `+scimGroupColumns+`
		WHERE s.customer_id = $1 AND s.id::text = $3 FOR UPDATE OF s`, customerID, true, id)
	return g, wrapf(err, "scim group %s", id)
}

// SCIMGroupsOfUser lists the groups a SCIM user is a member of, locked.
func (tx *Tx) SCIMGroupsOfUser(ctx context.Context, customerID, userID string) ([]SCIMGroup, error) {
	var gs []SCIMGroup
	err := tx.x.SelectContext(ctx, &gs, `SELECT `+scimGroupColumns+`
		WHERE s.customer_id = $1 AND s.id IN (SELECT group_id FROM scim_group_members WHERE customer_id = $1 AND user_id = $3)
		ORDER BY s.created_at, s.id FOR UPDATE OF s`, customerID, false, userID)
	return gs, wrapf(err, "scim groups of user %s", userID)
}

// SCIMGroup returns one group of a customer, with its members when
// withMembers.
func (db *DB) SCIMGroup(ctx context.Context, customerID, id string, withMembers bool) (SCIMGroup, error) {
	var g SCIMGroup
	err := db.x.GetContext(ctx, &g, `SELECT `+scimGroupColumns+`
		WHERE s.customer_id = $1 AND s.id::text = $3`, customerID, withMembers, id)
	return g, wrapf(err, "scim group %s", id)
}

// ListSCIMGroups returns the groups matching every predicate, oldest first,
// skipping offset and returning at most limit, with the number that match
// in all.
func (db *DB) ListSCIMGroups(ctx context.Context, customerID string, preds []SCIMPredicate, offset, limit int, withMembers bool) ([]SCIMGroup, int, error) {
	where, args, err := scimWhere(preds, []any{customerID, withMembers})
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := db.x.GetContext(ctx, &total, `SELECT count(*) FROM scim_groups s
		WHERE s.customer_id = $1 AND $2::boolean IS NOT NULL AND `+where, args...); err != nil {
		return nil, 0, wrapf(err, "count scim groups")
	}
	groups := []SCIMGroup{}
	if limit == 0 || offset >= total {
		return groups, total, nil
	}
	args = append(args, offset, limit)
	err = db.x.SelectContext(ctx, &groups, fmt.Sprintf(`SELECT `+scimGroupColumns+`
		WHERE s.customer_id = $1 AND `+where+`
		ORDER BY s.created_at, s.id OFFSET $%d LIMIT $%d`, len(args)-1, len(args)), args...)
	return groups, total, wrapf(err, "list scim groups")
}
