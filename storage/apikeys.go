package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// apiKeyPrefix marks seatsync keys so that secret scanners and people can
// recognise one.
const apiKeyPrefix = "ssk_"

// APIKey is a management API key as stored: never the key itself.
type APIKey struct {
	ID        string     `db:"id"`
	Name      string     `db:"name"`
	Prefix    string     `db:"prefix"`
	CreatedAt time.Time  `db:"created_at"`
	RevokedAt *time.Time `db:"revoked_at"`
}

// CreateAPIKey makes a key with 256 random bits, stores only its hash and
// returns the key itself, which nobody can recover later.
func (db *DB) CreateAPIKey(ctx context.Context, name string) (APIKey, string, error) {
	if strings.TrimSpace(name) == "" {
		return APIKey{}, "", fmt.Errorf("api key name is required")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return APIKey{}, "", fmt.Errorf("generate api key: %w", err)
	}
	secret := apiKeyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	var k APIKey
	err := db.x.GetContext(ctx, &k, `
		INSERT INTO api_keys (name, prefix, key_hash) VALUES ($1, $2, $3)
		RETURNING id, name, prefix, created_at, revoked_at`,
		name, secret[:len(apiKeyPrefix)+6], hashAPIKey(secret))
	if err != nil {
		return APIKey{}, "", wrapf(err, "create api key %q", name)
	}
	return k, secret, nil
}

// AuthenticateAPIKey returns the live key matching secret, or ErrNotFound
// for an unknown or revoked one.
func (db *DB) AuthenticateAPIKey(ctx context.Context, secret string) (APIKey, error) {
	var k APIKey
	err := db.x.GetContext(ctx, &k, `
		SELECT id, name, prefix, created_at, revoked_at FROM api_keys
		WHERE key_hash = $1 AND revoked_at IS NULL`, hashAPIKey(secret))
	if err != nil {
		return APIKey{}, wrapf(err, "authenticate api key")
	}
	return k, nil
}

// ListAPIKeys lists every key, newest first.
func (db *DB) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	var keys []APIKey
	err := db.x.SelectContext(ctx, &keys, `
		SELECT id, name, prefix, created_at, revoked_at FROM api_keys ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, wrapf(err, "list api keys")
	}
	return keys, nil
}

// RevokeAPIKey revokes a key by id; revoking twice is not an error.
func (db *DB) RevokeAPIKey(ctx context.Context, id string) error {
	res, err := db.x.ExecContext(ctx, `
		UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id::text = $1`, id)
	if err != nil {
		return wrapf(err, "revoke api key %s", id)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke api key %s: %w", id, ErrNotFound)
	}
	return nil
}

// Keys are 256-bit random values, so a fast unsalted hash is enough: there is
// nothing to brute-force.
func hashAPIKey(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}
