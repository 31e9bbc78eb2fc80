-- +goose Up

-- Subscribers' endpoints. The secret signs every delivery; after a
-- rotation the previous one keeps signing alongside it until it expires,
-- so subscribers can switch without a window of failed verifications.
CREATE TABLE webhook_endpoints (
    id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url                        text        NOT NULL,
    event_types                text[]      NOT NULL DEFAULT '{}',
    customer_id                uuid        REFERENCES customers (id),
    secret                     text        NOT NULL,
    previous_secret            text,
    previous_secret_expires_at timestamptz,
    enabled                    boolean     NOT NULL DEFAULT true,
    disabled_reason            text        NOT NULL DEFAULT '',
    failing_since              timestamptz,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);

-- The relay fans each outbox row out to the endpoints that want it once.
ALTER TABLE outbox ADD COLUMN relayed_at timestamptz;
-- Bodies are dropped after the retention period; the row stays, as the
-- record of the change and of its sequence number.
ALTER TABLE outbox ADD COLUMN pruned_at timestamptz;
CREATE INDEX outbox_unrelayed ON outbox (id) WHERE relayed_at IS NULL;

-- One message to one endpoint, delivered at least once.
CREATE TABLE deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id       bigint      NOT NULL REFERENCES outbox (id),
    endpoint_id     uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    resends         integer     NOT NULL DEFAULT 0,
    last_attempt_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (outbox_id, endpoint_id)
);
CREATE INDEX deliveries_pending ON deliveries (updated_at) WHERE status = 'pending';
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, id);

-- Every attempt, for the attempt log.
CREATE TABLE delivery_attempts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id      bigint      NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    status_code      integer,
    latency_ms       integer     NOT NULL,
    response_snippet text        NOT NULL DEFAULT '',
    error            text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);

-- +goose Down
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
DROP INDEX outbox_unrelayed;
ALTER TABLE outbox DROP COLUMN relayed_at;
ALTER TABLE outbox DROP COLUMN pruned_at;
DROP TABLE webhook_endpoints;
