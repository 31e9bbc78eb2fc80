package storage

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// IdempotencyClaim is a request about to run under an Idempotency-Key.
type IdempotencyClaim struct {
	APIKeyID    string
	Key         string
	RequestHash []byte
	// LockFor is how long the claim holds the key before another request
	// with the same hash may take it over, should this one die unanswered.
	LockFor time.Duration
	// TTL is how long a key is remembered; an older row counts as absent.
	TTL time.Duration
}

// IdempotencyKey is a key's stored state.
type IdempotencyKey struct {
	RequestHash    []byte `db:"request_hash"`
	ResponseStatus *int   `db:"response_status"`
	ResponseBody   []byte `db:"response_body"`
	// LockedUntil doubles as the claim's token: finishing or releasing a
	// key only works for the claim that set it, not for one it was taken
	// over from.
	LockedUntil time.Time `db:"locked_until"`
	// Owned means this claim holds the key: the caller runs the request
	// and then calls FinishIdempotencyKey or ReleaseIdempotencyKey.
	Owned bool `db:"owned"`
}

// claimAttempts bounds the retries of a claim whose key vanished between
// the insert and the read (a failed request released it meanwhile).
const claimAttempts = 3

// ClaimIdempotencyKey takes the key for a request, or answers what is
// stored under it. The key is taken when it is new, expired, or held by a
// request with the same hash whose lock ran out before it answered. The
// decision is one INSERT … ON CONFLICT, so that two concurrent requests
// with the same key never both run.
func (db *DB) ClaimIdempotencyKey(ctx context.Context, cl IdempotencyClaim) (IdempotencyKey, error) {
	for range claimAttempts {
		var k IdempotencyKey
		err := db.x.GetContext(ctx, &k, `
			INSERT INTO idempotency_keys AS k (api_key_id, key, request_hash, locked_until)
			VALUES ($1, $2, $3, now() + make_interval(secs => $4))
			ON CONFLICT (api_key_id, key) DO UPDATE
			SET request_hash = EXCLUDED.request_hash, response_status = NULL, response_body = NULL,
			    locked_until = EXCLUDED.locked_until, created_at = now()
			WHERE k.created_at <= now() - make_interval(secs => $5)
			   OR (k.response_status IS NULL AND k.locked_until <= now() AND k.request_hash = EXCLUDED.request_hash)
			RETURNING request_hash, response_status, response_body, locked_until, true AS owned`,
			cl.APIKeyID, cl.Key, cl.RequestHash, cl.LockFor.Seconds(), cl.TTL.Seconds())
		if err = translate(err); !errors.Is(err, ErrNotFound) {
			return k, wrapf(err, "claim idempotency key")
		}
		// The key exists and is not ours to take: read what it holds.
		err = db.x.GetContext(ctx, &k, `
			SELECT request_hash, response_status, response_body, locked_until, false AS owned
			FROM idempotency_keys WHERE api_key_id = $1 AND key = $2`,
			cl.APIKeyID, cl.Key)
		if err = translate(err); !errors.Is(err, ErrNotFound) {
			return k, wrapf(err, "read idempotency key")
		}
	}
	return IdempotencyKey{}, fmt.Errorf("claim idempotency key: it kept changing under %d attempts: %w", claimAttempts, ErrConflict)
}

// FinishIdempotencyKey stores the answer of the request that claimed the
// key, for later requests to replay. ErrNotFound means the claim was lost:
// its lock ran out and another request took the key over.
func (db *DB) FinishIdempotencyKey(ctx context.Context, apiKeyID, key string, lockedUntil time.Time, status int, body []byte) error {
	res, err := db.x.ExecContext(ctx, `
		UPDATE idempotency_keys SET response_status = $4, response_body = $5
		WHERE api_key_id = $1 AND key = $2 AND locked_until = $3 AND response_status IS NULL`,
		apiKeyID, key, lockedUntil, status, body)
	if err != nil {
		return wrapf(err, "store idempotent answer")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store idempotent answer: the key was taken over: %w", ErrNotFound)
	}
	return nil
}

// ReleaseIdempotencyKey forgets a claimed key whose request failed, so that
// a retry with the same key runs again. A lost claim is left alone.
func (db *DB) ReleaseIdempotencyKey(ctx context.Context, apiKeyID, key string, lockedUntil time.Time) error {
	_, err := db.x.ExecContext(ctx, `
		DELETE FROM idempotency_keys
		WHERE api_key_id = $1 AND key = $2 AND locked_until = $3 AND response_status IS NULL`,
		apiKeyID, key, lockedUntil)
	return wrapf(err, "release idempotency key")
}

// DeleteExpiredIdempotencyKeys deletes up to limit keys older than ttl,
// oldest first. Rows another request is replacing right now are skipped,
// and a row replaced meanwhile is re-checked against its new created_at.
func (db *DB) DeleteExpiredIdempotencyKeys(ctx context.Context, ttl time.Duration, limit int) (int64, error) {
	res, err := db.x.ExecContext(ctx, `
		DELETE FROM idempotency_keys
		WHERE (api_key_id, key) IN (
		        SELECT api_key_id, key FROM idempotency_keys
		        WHERE created_at <= now() - make_interval(secs => $1)
		        ORDER BY created_at LIMIT $2
		        FOR UPDATE SKIP LOCKED)
		  AND created_at <= now() - make_interval(secs => $1)`,
		ttl.Seconds(), limit)
	if err != nil {
		return 0, wrapf(err, "delete expired idempotency keys")
	}
	n, _ := res.RowsAffected()
	return n, nil
}
