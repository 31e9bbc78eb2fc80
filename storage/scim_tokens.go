package storage

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"
)

// scimTokenPrefix marks SCIM tokens so that secret scanners and people can
// tell one from an API key.
const scimTokenPrefix = "scim_"

// SCIMToken is a customer's SCIM bearer token as stored: never the token.
type SCIMToken struct {
	ID                 string     `db:"id"`
	CustomerID         string     `db:"customer_id"`
	CustomerExternalID string     `db:"customer_external_id"`
	Name               string     `db:"name"`
	Prefix             string     `db:"prefix"`
	CreatedAt          time.Time  `db:"created_at"`
	RevokedAt          *time.Time `db:"revoked_at"`
}

const scimTokenColumns = `t.id, t.customer_id, c.external_id AS customer_external_id, t.name, t.prefix, t.created_at, t.revoked_at`

// CreateSCIMToken makes a token of 256 random bits for an existing
// customer, stores only its hash and returns the token itself, which nobody
// can recover later. An unknown customer is ErrNotFound.
func (db *DB) CreateSCIMToken(ctx context.Context, customerExternalID, name string) (SCIMToken, string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return SCIMToken{}, "", fmt.Errorf("generate scim token: %w", err)
	}
	secret := scimTokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	var t SCIMToken
	err := db.x.GetContext(ctx, &t, `
		WITH t AS (
		    INSERT INTO scim_tokens (customer_id, name, prefix, token_hash)
		    SELECT id, $2, $3, $4 FROM customers WHERE external_id = $1
		    RETURNING *)
		SELECT `+scimTokenColumns+` FROM t JOIN customers c ON c.id = t.customer_id`,
		customerExternalID, name, secret[:len(scimTokenPrefix)+6], hashAPIKey(secret))
	if err != nil {
		return SCIMToken{}, "", wrapf(err, "create scim token for customer %s", customerExternalID)
	}
	return t, secret, nil
}

// AuthenticateSCIMToken returns the live token matching secret, with its
// customer, or ErrNotFound for an unknown or revoked one.
func (db *DB) AuthenticateSCIMToken(ctx context.Context, secret string) (SCIMToken, error) {
	var t SCIMToken
	err := db.x.GetContext(ctx, &t, `SELECT `+scimTokenColumns+`
		FROM scim_tokens t JOIN customers c ON c.id = t.customer_id
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL`, hashAPIKey(secret))
	if err != nil {
		return SCIMToken{}, wrapf(err, "authenticate scim token")
	}
	return t, nil
}

// ListSCIMTokens lists a customer's tokens, newest first. An unknown
// customer is ErrNotFound.
func (db *DB) ListSCIMTokens(ctx context.Context, customerExternalID string) ([]SCIMToken, error) {
	customer, err := db.CustomerByExternalID(ctx, customerExternalID)
	if err != nil {
		return nil, err
	}
	tokens := []SCIMToken{}
	err = db.x.SelectContext(ctx, &tokens, `SELECT `+scimTokenColumns+`
		FROM scim_tokens t JOIN customers c ON c.id = t.customer_id
		WHERE t.customer_id = $1 ORDER BY t.created_at DESC, t.id`, customer.ID)
	if err != nil {
		return nil, wrapf(err, "list scim tokens of customer %s", customerExternalID)
	}
	return tokens, nil
}

// RevokeSCIMToken revokes a token by id and returns it; revoking twice is
// not an error. With a customerExternalID the token must be that
// customer's (else ErrNotFound), so that one customer's id cannot revoke
// another's token; the operator's CLI passes "".
func (db *DB) RevokeSCIMToken(ctx context.Context, customerExternalID, id string) (SCIMToken, error) {
	var t SCIMToken
	err := db.x.GetContext(ctx, &t, `
		WITH t AS (
		    UPDATE scim_tokens SET revoked_at = COALESCE(revoked_at, now())
		    WHERE id::text = $2
		      AND ($1 = '' OR customer_id = (SELECT id FROM customers WHERE external_id = $1))
		    RETURNING *)
		SELECT `+scimTokenColumns+` FROM t JOIN customers c ON c.id = t.customer_id`,
		customerExternalID, id)
	if err != nil {
		return SCIMToken{}, wrapf(err, "revoke scim token %s", id)
	}
	return t, nil
}
