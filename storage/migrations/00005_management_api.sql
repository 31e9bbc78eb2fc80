-- +goose Up

-- An operator replays a failed or stale event: it goes back to 'received'
-- and is enqueued again under a task id of its own (source:event_id:replay-n),
-- since the first task id may still be retained by the queue.
ALTER TABLE inbox_events ADD COLUMN replays int NOT NULL DEFAULT 0;
ALTER TABLE inbox_events ADD COLUMN replayed_at timestamptz;
-- Listing by source and status, newest first.
CREATE INDEX inbox_events_listing ON inbox_events (source, status, id);

-- Invitations: an invited seat waits for someone to claim it with a token.
-- Only the token's SHA-256 is stored; the token itself carries 256 random
-- bits, so a slow hash would add nothing. A seat has at most one open
-- invitation; a resend ends the old one and opens another.
CREATE TABLE invitations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seat_id     uuid        NOT NULL REFERENCES seats (id),
    email       text        NOT NULL,
    token_hash  bytea       NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- How the invitation ended: claimed, resent, revoked, or the seat was
    -- taken from it (quantity decrease, order canceled).
    ended_at    timestamptz,
    end_reason  text,
    claimed_by  uuid REFERENCES users (id)
);
CREATE UNIQUE INDEX invitations_open_seat ON invitations (seat_id) WHERE ended_at IS NULL;

-- Idempotency-Key on POST: per API key, the request's hash and, once the
-- request finished, the answer to replay. A row without an answer is a
-- request still running (or one that died, which a later request may take
-- over once locked_until has passed).
CREATE TABLE idempotency_keys (
    api_key_id      uuid        NOT NULL REFERENCES api_keys (id),
    key             text        NOT NULL,
    request_hash    bytea       NOT NULL,
    response_status int,
    response_body   bytea,
    locked_until    timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_key_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE invitations;
DROP INDEX inbox_events_listing;
ALTER TABLE inbox_events DROP COLUMN replayed_at;
ALTER TABLE inbox_events DROP COLUMN replays;
