package storage

import (
	"context"
	"strings"
	"time"

	"github.com/lib/pq"
)

// User statuses.
const (
	UserActive      = "active"
	UserDeactivated = "deactivated"
)

// User is an identity inside one customer. Groups are the groups the user
// is a member of now.
type User struct {
	ID                 string         `db:"id"`
	CustomerID         string         `db:"customer_id"`
	CustomerExternalID string         `db:"customer_external_id"`
	ExternalID         string         `db:"external_id"`
	Email              string         `db:"email"`
	Name               string         `db:"name"`
	Status             string         `db:"status"`
	Groups             pq.StringArray `db:"groups"`
	AppliedEventAt     *time.Time     `db:"applied_event_at"`
	StatusEventAt      *time.Time     `db:"status_event_at"`
	GroupsListedAt     *time.Time     `db:"groups_listed_at"`
	CreatedAt          time.Time      `db:"created_at"`
	UpdatedAt          time.Time      `db:"updated_at"`
}

// UserInput is what an upsert sets. Groups is the user's complete list and
// is only written when GroupsSet: an event that omits groups leaves them.
type UserInput struct {
	Customer   CustomerRef
	ExternalID string
	Email      string
	Name       string
	Status     string
	Groups     []string
	GroupsSet  bool
}

// UserChange is what a change to a user left behind: the user as it now
// is, whether the change was newer than the stored state (rule 8), and the
// status the user had before ("" for a user the change created).
type UserChange struct {
	User    UserState
	Applied bool
	Before  string
	// Reseat: the status or the memberships changed, so the user's seats
	// are to be brought in line. A profile change alone leaves them as
	// they are: automatic seating depends on the status and the groups,
	// not on the name or the email.
	Reseat bool
}

// userReturning reads a changed user back from the statement that changed
// it. The subquery reads the row as it was before the statement (a
// statement does not see its own changes), which gives the status before
// without a second round trip.
const userReturning = `RETURNING id, customer_id, external_id, email, status,
	(SELECT c.external_id FROM customers c WHERE c.id = users.customer_id) AS customer_external_id,
	COALESCE((SELECT o.status FROM users o WHERE o.id = users.id), '') AS before`

type changedUser struct {
	UserState
	Before string `db:"before"`
}

// UpsertUser creates or updates a user as of the provider time `at`,
// creating its customer if no event about it arrived yet. The profile, the
// status and the group list each keep their own event time, so events
// applied in any order leave the same user; it reports Applied false only
// when none of the three was newer than what is stored.
func (tx *Tx) UpsertUser(ctx context.Context, in UserInput, at time.Time) (UserChange, error) {
	customerID, err := tx.resolveCustomer(ctx, in.Customer)
	if err != nil {
		return UserChange{}, err
	}
	// The profile and the status each move only forward in event time.
	var u changedUser
	err = tx.x.GetContext(ctx, &u, `
		INSERT INTO users (customer_id, external_id, email, name, status, applied_event_at, status_event_at)
		VALUES ($1, $2, $3, $4, $5, COALESCE($6, now()), COALESCE($6, now()))
		ON CONFLICT (customer_id, external_id) DO UPDATE SET
		    email  = CASE WHEN `+newer("users.applied_event_at", "$6")+` THEN EXCLUDED.email ELSE users.email END,
		    name   = CASE WHEN `+newer("users.applied_event_at", "$6")+` THEN EXCLUDED.name ELSE users.name END,
		    status = CASE WHEN `+newer("users.status_event_at", "$6")+` THEN EXCLUDED.status ELSE users.status END,
		    applied_event_at = GREATEST(users.applied_event_at, EXCLUDED.applied_event_at),
		    status_event_at  = GREATEST(users.status_event_at, EXCLUDED.status_event_at),
		    updated_at = now()
		WHERE `+newer("users.applied_event_at", "$6")+` OR `+newer("users.status_event_at", "$6")+`
		`+userReturning, customerID, in.ExternalID, in.Email, in.Name, in.Status, eventTime(at))
	profile, err := appliedOrStale(err, "upsert user "+in.Customer.String()+"/"+in.ExternalID)
	if err != nil || !in.GroupsSet && !profile {
		return UserChange{}, err
	}
	change := UserChange{User: u.UserState, Applied: profile, Before: u.Before, Reseat: u.Before != u.Status}
	if !profile {
		if change.User, err = tx.userState(ctx, customerID, in.ExternalID); err != nil {
			return UserChange{}, err
		}
		change.Before, change.Reseat = change.User.Status, false
	}
	if !in.GroupsSet {
		return change, nil
	}
	groups, err := tx.listGroups(ctx, change.User.ID, in.Groups, at)
	change.Applied = change.Applied || groups
	change.Reseat = change.Reseat || groups
	return change, err
}

// listGroups applies a complete group list as of `at`. Memberships changed
// after `at` one by one keep their newer state.
func (tx *Tx) listGroups(ctx context.Context, userID string, groups []string, at time.Time) (bool, error) {
	res, err := tx.x.ExecContext(ctx, `
		UPDATE users SET groups_listed_at = GREATEST(groups_listed_at, COALESCE($2, now()))
		WHERE id = $1 AND ($2::timestamptz IS NULL OR groups_listed_at IS NULL OR groups_listed_at <= $2)`, userID, eventTime(at))
	if err != nil {
		return false, wrapf(err, "list groups of user %s", userID)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	list := pq.StringArray(append([]string{}, groups...))
	for _, stmt := range []string{
		`UPDATE user_groups SET member = (group_name = ANY($2)), applied_event_at = GREATEST(applied_event_at, COALESCE($3, now()))
		 WHERE user_id = $1 AND ($3::timestamptz IS NULL OR applied_event_at <= $3)`,
		`INSERT INTO user_groups (user_id, group_name, member, applied_event_at)
		 SELECT $1, g, true, COALESCE($3, now()) FROM unnest($2::text[]) AS g
		 ON CONFLICT (user_id, group_name) DO NOTHING`,
	} {
		if _, err := tx.x.ExecContext(ctx, stmt, userID, list, eventTime(at)); err != nil {
			return false, wrapf(err, "list groups of user %s", userID)
		}
	}
	return true, nil
}

// ChangeUserGroup records one membership change as of `at`, creating a bare
// user if the identity provider has not described the user yet. It reports
// Applied false for a change older than the membership's state or the
// user's last complete group list.
func (tx *Tx) ChangeUserGroup(ctx context.Context, customer CustomerRef, userExternalID, group string, member bool, at time.Time) (UserChange, error) {
	customerID, err := tx.resolveCustomer(ctx, customer)
	if err != nil {
		return UserChange{}, err
	}
	var u struct {
		changedUser
		GroupsListedAt *time.Time `db:"groups_listed_at"`
	}
	err = tx.x.GetContext(ctx, &u, `
		INSERT INTO users (customer_id, external_id) VALUES ($1, $2)
		ON CONFLICT (customer_id, external_id) DO UPDATE SET external_id = EXCLUDED.external_id
		`+userReturning+`, groups_listed_at`, customerID, userExternalID)
	if err != nil {
		return UserChange{}, wrapf(err, "user %s/%s", customer, userExternalID)
	}
	change := UserChange{User: u.UserState, Before: u.Before}
	if !at.IsZero() && u.GroupsListedAt != nil && at.Before(*u.GroupsListedAt) {
		return change, nil
	}
	var done bool
	err = tx.x.GetContext(ctx, &done, `
		INSERT INTO user_groups (user_id, group_name, member, applied_event_at) VALUES ($1, $2, $3, COALESCE($4, now()))
		ON CONFLICT (user_id, group_name) DO UPDATE SET member = EXCLUDED.member,
		    applied_event_at = GREATEST(user_groups.applied_event_at, EXCLUDED.applied_event_at)
		WHERE $4::timestamptz IS NULL OR user_groups.applied_event_at <= EXCLUDED.applied_event_at
		RETURNING true`, u.ID, group, member, eventTime(at))
	change.Applied, err = appliedOrStale(err, "change group "+group+" of user "+userExternalID)
	change.Reseat = change.Applied
	return change, err
}

// DeactivateUser marks a user deactivated as of the provider time `at`. A
// deactivation that arrives before the user's creation still records the
// user, so that the older creation's status is later recognised as stale
// (its profile still applies).
func (tx *Tx) DeactivateUser(ctx context.Context, customer CustomerRef, externalID string, at time.Time) (UserChange, error) {
	customerID, err := tx.resolveCustomer(ctx, customer)
	if err != nil {
		return UserChange{}, err
	}
	var u changedUser
	err = tx.x.GetContext(ctx, &u, `
		INSERT INTO users (customer_id, external_id, status, status_event_at)
		VALUES ($1, $2, 'deactivated', COALESCE($3, now()))
		ON CONFLICT (customer_id, external_id) DO UPDATE
		SET status = 'deactivated', status_event_at = GREATEST(users.status_event_at, EXCLUDED.status_event_at), updated_at = now()
		WHERE `+newer("users.status_event_at", "$3")+`
		`+userReturning, customerID, externalID, eventTime(at))
	applied, err := appliedOrStale(err, "deactivate user "+customer.String()+"/"+externalID)
	return UserChange{User: u.UserState, Applied: applied, Before: u.Before, Reseat: applied}, err
}

// userState reads a user of a customer, without its groups.
func (tx *Tx) userState(ctx context.Context, customerID, externalID string) (UserState, error) {
	var u UserState
	err := tx.x.GetContext(ctx, &u, `
		SELECT u.id, u.customer_id, c.external_id AS customer_external_id, u.external_id, u.email, u.status
		FROM users u JOIN customers c ON c.id = u.customer_id
		WHERE u.customer_id = $1 AND u.external_id = $2`, customerID, externalID)
	return u, wrapf(err, "user %s", externalID)
}

func (tx *Tx) userID(ctx context.Context, customerID, externalID string) (string, error) {
	var id string
	err := tx.x.GetContext(ctx, &id, `SELECT id FROM users WHERE customer_id = $1 AND external_id = $2`, customerID, externalID)
	if err != nil {
		return "", wrapf(err, "user %s", externalID)
	}
	return id, nil
}

// userColumns reads a user with its customer's external id and the groups
// it is a member of now.
const userColumns = `
	u.*, c.external_id AS customer_external_id,
	ARRAY(SELECT g.group_name FROM user_groups g
	      WHERE g.user_id = u.id AND g.member ORDER BY g.group_name) AS groups
	FROM users u JOIN customers c ON c.id = u.customer_id`

// UserByExternalID returns one user of one customer.
func (db *DB) UserByExternalID(ctx context.Context, customerExternalID, externalID string) (User, error) {
	var u User
	err := db.x.GetContext(ctx, &u, `SELECT `+userColumns+`
		WHERE c.external_id = $1 AND u.external_id = $2`, customerExternalID, externalID)
	if err != nil {
		return User{}, wrapf(err, "user %s/%s", customerExternalID, externalID)
	}
	return u, nil
}

// newer is the SQL condition "the incoming row's event time for this column
// is not older than the stored one", inside ON CONFLICT DO UPDATE; param
// is the statement's event time parameter, NULL for CurrentState.
func newer(column, param string) string {
	excluded := "EXCLUDED." + column[strings.Index(column, ".")+1:]
	return "(" + param + "::timestamptz IS NULL OR " + column + " IS NULL OR " + column + " <= " + excluded + ")"
}

// UserState is what the seat rules need to know about a user.
type UserState struct {
	ID                 string         `db:"id"`
	CustomerID         string         `db:"customer_id"`
	CustomerExternalID string         `db:"customer_external_id"`
	ExternalID         string         `db:"external_id"`
	Email              string         `db:"email"`
	Status             string         `db:"status"`
	Groups             pq.StringArray `db:"groups"`
}

// LockUser returns a user's state and locks the user until the transaction
// ends; ErrNotFound when no event made the user yet.
func (tx *Tx) LockUser(ctx context.Context, customer CustomerRef, externalID string) (UserState, error) {
	customerID, err := tx.resolveCustomer(ctx, customer)
	if err != nil {
		return UserState{}, err
	}
	var u UserState
	err = tx.x.GetContext(ctx, &u, `
		SELECT u.id, u.customer_id, c.external_id AS customer_external_id, u.external_id, u.email, u.status,
		       ARRAY(SELECT group_name FROM user_groups g WHERE g.user_id = u.id AND g.member ORDER BY 1) AS groups
		FROM users u JOIN customers c ON c.id = u.customer_id
		WHERE u.customer_id = $1 AND u.external_id = $2
		FOR UPDATE OF u`, customerID, externalID)
	return u, wrapf(err, "user %s/%s", customer, externalID)
}

// ActiveUsers lists a customer's active users, for re-evaluating an
// automatic assignment mapping.
func (tx *Tx) ActiveUsers(ctx context.Context, customerID string) ([]string, error) {
	var ids []string
	err := tx.x.SelectContext(ctx, &ids, `
		SELECT external_id FROM users WHERE customer_id = $1 AND status = 'active' ORDER BY created_at, id`, customerID)
	return ids, wrapf(err, "active users of customer %s", customerID)
}

// UserIdentity returns what outbound events say about a user.
func (tx *Tx) UserIdentity(ctx context.Context, userID string) (externalID, email string, err error) {
	var u struct {
		ExternalID string `db:"external_id"`
		Email      string `db:"email"`
	}
	err = tx.x.GetContext(ctx, &u, `SELECT external_id, email FROM users WHERE id = $1`, userID)
	return u.ExternalID, u.Email, wrapf(err, "user %s", userID)
}
