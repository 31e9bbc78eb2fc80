-- +goose Up

-- Inbound events, one row per (source, provider event id). The unique key is
-- what makes applying an event idempotent: the worker locks this row in the
-- same transaction as the event's effect.
CREATE TABLE inbox_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source       text        NOT NULL,
    kind         text        NOT NULL,
    event_id     text        NOT NULL,
    event_type   text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    payload      bytea       NOT NULL,
    status       text        NOT NULL DEFAULT 'received'
                 CHECK (status IN ('received', 'applied', 'stale', 'failed')),
    error        text        NOT NULL DEFAULT '',
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    UNIQUE (source, event_id)
);

-- The sweeper only ever looks for events that were never applied.
CREATE INDEX inbox_events_unprocessed ON inbox_events (received_at) WHERE status = 'received';

CREATE TABLE customers (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    external_id      text        NOT NULL UNIQUE,
    name             text        NOT NULL DEFAULT '',
    email            text        NOT NULL DEFAULT '',
    -- Provider time of the last applied change; NULL for a customer that was
    -- only created as a reference by another event.
    applied_event_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id      uuid        NOT NULL REFERENCES customers (id),
    external_id      text        NOT NULL,
    email            text        NOT NULL DEFAULT '',
    name             text        NOT NULL DEFAULT '',
    status           text        NOT NULL DEFAULT 'active'
                     CHECK (status IN ('active', 'deactivated')),
    groups           text[]      NOT NULL DEFAULT '{}',
    applied_event_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, external_id)
);

-- API keys are stored as SHA-256 of the key: the keys carry 256 random bits,
-- so a slow password hash would add latency to every request and no safety.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text        NOT NULL,
    prefix       text        NOT NULL,
    key_hash     bytea       NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE users;
DROP TABLE customers;
DROP TABLE inbox_events;
